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
} from './action-claims/follow-through.js';
export {
  type GitActivity,
  type ReadGitActivityOptions,
  type ReflogEntry,
  readGitActivity,
  type TagRef,
} from './action-claims/git-activity.js';
export type {
  ActionClaimReason,
  ClaimReason,
  RejectionReason,
} from './action-claims/reasons.js';
export {
  type ActionClaimSubscriber,
  type ActionClaimSubscriberOptions,
  createActionClaimSubscriber,
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
export { WatchdogError, type WatchdogErrorCode, type WatchdogErrorOptions } from './errors.js';
export { FileTail } from './file-tail.js';
export { Journal } from './journal.js';
export {
  type JournalEvent,
  type JournalEventType,
  journalEventSchema,
  journalEventTypes,
} from './journal-schema.js';
export type {
  AdoptContinuation,
  AdoptOptions,
  CommandSpec,
  QuotaOptions,
  RunLockOption,
  SuperviseOptions,
} from './options.js';
export {
  readyPortSchema,
  readyUrlSchema,
  superviseOptionsSchema,
  validateOptions,
} from './options-schema.js';
export type { ChunkInfo, OutputStreamName, OutputSubscriber } from './output-stream.js';
export type { Checkpoint } from './progress.js';
export {
  judgePulse,
  PULSE_STALL_INTERVALS,
  type PulseVerdict,
  pulseFrom,
  type WatchdogPulse,
} from './pulse.js';
export { AGENT_QUOTA_PATTERN } from './quota.js';
export { MAX_JOURNAL_BYTES, parseJournal, readJournal } from './read-journal.js';
export { EXIT_CODES, exitCodeFor, type ReasonCode, reasonCodes } from './reasons.js';
export { DEFAULT_RESUME_ON, RESUME_RULES, type ResumeRule } from './resume-policy.js';
export type { LogRotationOptions } from './rotating-log.js';
export { newRunId, runIdInstant } from './run/run-id.js';
export {
  type FindRunProcessesOptions,
  findRunProcesses,
  type RecordedProcess,
  type RunProcess,
  type RunProcessLink,
  recordedProcesses,
} from './run-processes.js';
export type { RunResult } from './run-result.js';
export type { ServiceSpec } from './service.js';
export {
  isServiceFailure,
  type ServiceFailureReason,
  serviceFailure,
} from './stop-reason.js';
export { type RunState, type RunSummary, summarizeJournal } from './summary.js';
export { superviseRun } from './supervise.js';
