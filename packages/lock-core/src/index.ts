export { acquire, tryAcquire, withLock } from './acquire.js';
export { type BreakLockResult, breakLock } from './break-lock.js';
export { LOCK_DEFAULTS } from './defaults.js';
export {
  type CompromiseReason,
  LockCompromisedError,
  type LockCompromisedErrorOptions,
  LockCorruptError,
  LockError,
  type LockErrorCode,
  type LockErrorOptions,
  LockHeldError,
  type LockHeldErrorOptions,
} from './errors.js';
export { type ExplainInput, explain, type InspectionCore } from './explain.js';
export type { LockHandle, ReleaseResult, Takeover } from './handle.js';
export { inspect, type LockInspection } from './inspect.js';
export {
  type JudgeFacts,
  type Judgement,
  judge,
  type LockContent,
  lastSignOfLifeMs,
} from './judge.js';
export { type ReadLock, readLockFile } from './lock-file.js';
export type { AcquireOptions, BreakLockOptions, LockOptions } from './options.js';
export { type AcquirePlan, planAcquire } from './plan-acquire.js';
export {
  type LegacyLockRecord,
  LOCK_SCHEMA_VERSION,
  type LockRecord,
  legacyLockRecordSchema,
  lockRecordSchema,
} from './schema.js';
