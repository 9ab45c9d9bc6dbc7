export {
  type AdvanceCommitmentsOptions,
  type AdvanceCommitmentsResult,
  advanceCommitments,
  type CommitmentJournalEvent,
  type CommitmentLedger,
  commitmentEventOf,
  type LedgerCommitment,
} from './action-claims/advance.js';
export {
  type ActionClaimVerdict,
  classifyActionClaim,
  MAX_CLAIM_TEXT_CHARS,
} from './action-claims/classify.js';
export {
  actionClaimKey,
  type ClaimCommitmentInput,
  type CommitmentInputOfOptions,
  commitmentInputOf,
} from './action-claims/commitment-input.js';
export {
  evidenceKindOf,
  type FollowThroughCommitment,
  type FollowThroughEvidence,
  type FollowThroughFinding,
  findFollowThrough,
  GIT_EVIDENCE_LEAD_MS,
  type ReflogEntry,
  type TagRef,
} from './action-claims/evidence.js';
export {
  DEFAULT_REFLOG_TAIL_BYTES,
  type GitActivity,
  parseReflog,
  type ReadGitActivityOptions,
  readGitActivity,
} from './action-claims/git-activity.js';
export { CLAIM_GATE } from './action-claims/phrases.js';
export type {
  ActionClaimReason,
  ClaimReason,
  RejectionReason,
} from './action-claims/reasons.js';
export {
  type ActionClaimSubscriber,
  type ActionClaimSubscriberOptions,
  createActionClaimSubscriber,
  DEFAULT_CLAIM_LINE_BYTES,
  type HeardActionClaim,
} from './action-claims/subscriber.js';
export {
  ACTION_VERBS,
  type ActionVerb,
  type ActionVerbEntry,
  type EvidenceKind,
} from './action-claims/verbs.js';
export { type BackoffOptions, backoffDelayMs } from './backoff.js';
export { type CheckCommandOptions, type CheckResult, runCheckCommand } from './check-command.js';
export { WATCHDOG_DEFAULTS } from './defaults.js';
export {
  type DoneFileSnapshot,
  DoneFileWatch,
  isFreshDoneFile,
  snapshotDoneFile,
} from './done-file.js';
export { WatchdogError, type WatchdogErrorCode } from './errors.js';
export { FileOutput, type FileOutputOptions, FollowedLog } from './file-output.js';
export { FILE_TAIL_FALLBACK_MS, FILE_TAIL_READ_BYTES, FileTail } from './file-tail.js';
export {
  Journal,
  type JournalEvent,
  type JournalEventType,
  journalEventSchema,
  journalEventTypes,
  MAX_JOURNAL_BYTES,
  parseJournal,
  readJournal,
} from './journal.js';
export {
  type AttemptTimes,
  judgeLiveness,
  type LivenessLimits,
  type LivenessVerdict,
} from './liveness.js';
export {
  type AdoptContinuation,
  type AdoptOptions,
  type CommandSpec,
  type QuotaOptions,
  type RunLockOption,
  readyPortSchema,
  readyUrlSchema,
  type SuperviseOptions,
  superviseOptionsSchema,
  validateOptions,
} from './options.js';
export {
  type Checkpoint,
  MAX_CHECKPOINT_BYTES,
  ProgressWatcher,
  type ProgressWatcherOptions,
  readCheckpoint,
} from './progress.js';
export {
  judgePulse,
  PULSE_STALL_INTERVALS,
  type PulseVerdict,
  pulseFrom,
  type WatchdogPulse,
} from './pulse.js';
export {
  AGENT_QUOTA_PATTERN,
  findQuotaMessage,
  type ParseResetOptions,
  parseResetTime,
  type QuotaMatch,
  zoneOffsetMinutes,
} from './quota.js';
export { EXIT_CODES, exitCodeFor, type ReasonCode, reasonCodes } from './reasons.js';
export {
  DEFAULT_RESUME_ON,
  type DeathFacts,
  decideAfterDeath,
  EMPTY_LEDGER,
  RESUME_RULES,
  type ResumeDecision,
  type ResumeLedger,
  type ResumePolicy,
  type ResumeRule,
  resolveResumeOn,
  ruleOfDeath,
} from './resume-policy.js';
export {
  DEFAULT_LOG_BACKUPS,
  DEFAULT_LOG_MAX_BYTES,
  type LogRotationOptions,
  RotatingLog,
} from './rotating-log.js';
export {
  type FindRunProcessesOptions,
  findRunProcesses,
  MAX_JOURNAL_SCAN_BYTES,
  type RecordedProcess,
  type RunProcess,
  type RunProcessLink,
  recordedProcesses,
} from './run-processes.js';
export {
  type ReadyOutcome,
  type RunningService,
  type ServiceSpec,
  type StartServiceOptions,
  startService,
  stopService,
  waitReady,
} from './service.js';
export {
  isServiceFailure,
  type ServiceFailureReason,
  serviceFailure,
} from './stop-reason.js';
export { type RunState, type RunSummary, summarizeJournal } from './summary.js';
export { newRunId, type RunResult, superviseRun } from './supervise.js';
export {
  type ChunkInfo,
  type OutputStreamName,
  type OutputSubscriber,
  OutputTee,
  type OutputTeeOptions,
  TailBuffer,
} from './tee.js';
