export { CoordinationError, type CoordinationErrorCode } from './errors.js';
export { type CoordinationStore, FileStore, type FileStoreOptions } from './file-store.js';
export {
  applyClaim,
  applyExitSignal,
  applyRefresh,
  applyRelease,
  assertOwnershipOn,
  type ClaimFacts,
  type ClaimInput,
  type ClaimStatus,
  type ConflictCode,
  DEFAULT_LEASE_MS,
  emptyRecord,
  leaseExpired,
  type OperationConflict,
  type OperationOk,
  type OperationResult,
  type OwnershipStatus,
  type ReleaseStatus,
} from './operations.js';
export {
  type ActiveRun,
  activeRunSchema,
  COORDINATION_SCHEMA_VERSION,
  type CoordinationRecord,
  coordinationRecordSchema,
  type ExitSignal,
  exitSignalSchema,
  type PreviousRun,
  SUPPORTED_SCHEMA_VERSIONS,
} from './schema.js';
export { decodeKey, encodeKey, parseTarget, type Target, targetFile } from './target.js';
