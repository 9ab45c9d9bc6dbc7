/**
 * `@runwarden/watchdog/internal`: the building blocks, parsers and pure
 * decisions the watchdog is made of, for tests and tools. Not covered by
 * semver: any release may change them.
 */

export { parseReflog } from './action-claims/git-activity.js';
export { CLAIM_GATE } from './action-claims/phrases.js';
export {
  type DoneFileSnapshot,
  DoneFileWatch,
  isFreshDoneFile,
  snapshotDoneFile,
} from './done-file.js';
export { FileOutput, type FileOutputOptions } from './file-output.js';
export { FILE_TAIL_FALLBACK_MS, FILE_TAIL_READ_BYTES } from './file-tail.js';
export { FollowedLog } from './followed-log.js';
export {
  type AttemptTimes,
  judgeLiveness,
  type LivenessLimits,
  type LivenessVerdict,
} from './liveness.js';
export {
  MAX_CHECKPOINT_BYTES,
  ProgressWatcher,
  type ProgressWatcherOptions,
  readCheckpoint,
} from './progress.js';
export {
  findQuotaMessage,
  type ParseResetOptions,
  parseResetTime,
  type QuotaMatch,
  zoneOffsetMinutes,
} from './quota.js';
export {
  type DeathFacts,
  decideAfterDeath,
  EMPTY_LEDGER,
  type ResumeDecision,
  type ResumeLedger,
  type ResumePolicy,
  resolveResumeOn,
  ruleOfDeath,
} from './resume-policy.js';
export { RotatingLog } from './rotating-log.js';
export {
  type CompletionFacts,
  type CompletionVerdict,
  judgeCompletion,
} from './run/completion.js';
export {
  classifyDeath,
  type DeathEnd,
  type DeathVerdict,
  describeCause,
  describeExit,
  type ProcessExit,
} from './run/death.js';
export { type StopFacts, type StopKind, stopEventOf, stopOutcome } from './run/stop.js';
export { MAX_JOURNAL_SCAN_BYTES } from './run-processes.js';
export {
  type RunningService,
  type StartServiceOptions,
  startService,
  stopService,
} from './service.js';
export { type ReadyOutcome, waitReady } from './service-ready.js';
export { TailBuffer } from './tail-buffer.js';
export { OutputTee, type OutputTeeOptions } from './tee.js';
