export {
  CLOSED_COMMITMENTS_KEPT,
  type CloseCommitmentResult,
  COMMITMENTS_SCHEMA_VERSION,
  type Commitment,
  type CommitmentEvidence,
  type CommitmentFilter,
  type CommitmentState,
  commitmentEvidenceSchema,
  commitmentSchema,
  commitmentStates,
  DEFAULT_COMMITMENT_CAP,
  DEFAULT_COMMITMENT_EXPIRY_MS,
  type RecordCommitmentInput,
  type RecordCommitmentResult,
  type TopicCommitments,
  topicCommitmentsSchema,
} from './commitment-schema.js';
export type { CommitmentStore } from './commitment-store.js';
export { COORDINATION_DEFAULTS } from './defaults.js';
export {
  CoordinationError,
  type CoordinationErrorCode,
  type CoordinationErrorOptions,
} from './errors.js';
export { FileStore, type FileStoreOptions } from './file-store.js';
export { type ClaimInput, MAX_LEASE_MS } from './operation-input.js';
export type {
  ClaimStatus,
  ConflictCode,
  OperationConflict,
  OperationOk,
  OperationResult,
  OwnershipStatus,
  ReleaseStatus,
} from './operation-result.js';
export type { PostgresConnectionOptions } from './postgres-connection.js';
export { POSTGRES_SCHEMA_VERSION } from './postgres-schema.js';
export {
  DATABASE_URL_ENV,
  type MigrationResult,
  PostgresStore,
  type PostgresStoreOptions,
} from './postgres-store.js';
export { leaseExpired } from './record-rules.js';
export {
  type ActiveRun,
  type ArchivedEntry,
  activeRunSchema,
  COORDINATION_SCHEMA_VERSION,
  type CoordinationRecord,
  coordinationRecordSchema,
  type ExitSignal,
  exitSignalSchema,
  type HistoryEntry,
  historyEntrySchema,
  type PreviousRun,
  previousRunSchema,
  SUPPORTED_SCHEMA_VERSIONS,
} from './schema.js';
export type {
  AssertOwnershipInput,
  CoordinationStore,
  ExitSignalInput,
  ListedTarget,
  StoreOptions,
} from './store.js';
export { decodeKey, encodeKey, parseTarget, type Target, targetFile } from './target.js';
