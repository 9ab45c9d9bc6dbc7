export {
  type CompromiseReason,
  LockCompromisedError,
  LockCorruptError,
  LockError,
  type LockErrorCode,
  LockHeldError,
} from './errors.js';
export { type ExplainInput, explain } from './explain.js';
export {
  FENCE_RESERVATION,
  type FenceState,
  fencePath,
  MAX_FENCING_TOKEN,
  nextToken,
  parseFence,
} from './fence.js';
export { classifyFilesystem, filesystemOf, type MountEntry, parseMountInfo } from './filesystem.js';
export {
  type JudgeFacts,
  type Judgement,
  judge,
  type LockContent,
  lastSignOfLifeMs,
} from './judge.js';
export {
  type AcquireOptions,
  acquire,
  type BreakLockResult,
  breakLock,
  inspect,
  type LockDryRun,
  type LockHandle,
  type LockInspection,
  type LockOptions,
  type ReleaseResult,
  tryAcquire,
  withLock,
} from './lock.js';
export { MAX_LOCK_BYTES, type ReadLock, readLockFile } from './lock-file.js';
export {
  type LegacyLockRecord,
  LOCK_SCHEMA_VERSION,
  type LockRecord,
  legacyLockRecordSchema,
  lockRecordSchema,
} from './schema.js';
