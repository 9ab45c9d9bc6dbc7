export type { CommitmentStore } from './commitment-store.js';
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
} from './commitments.js';
export { CoordinationError, type CoordinationErrorCode } from './errors.js';
export { COMMITMENTS_DIRECTORY } from './file-commitments.js';
export {
  DERIVED_NAME_BYTES,
  FileStore,
  type FileStoreOptions,
  MAX_ARCHIVE_BYTES,
  MAX_RECORD_BYTES,
  MAX_RECORD_NAME_BYTES,
  NAME_MAX_BYTES,
} from './file-store.js';
export {
  applyClaim,
  applyExitSignal,
  applyRefresh,
  applyRelease,
  assertOwnershipOn,
  boundRecord,
  type ClaimFacts,
  type ClaimInput,
  type ClaimStatus,
  type ConflictCode,
  DEFAULT_HISTORY_LIMIT,
  DEFAULT_LEASE_MS,
  emptyRecord,
  highestToken,
  leaseExpired,
  MAX_LEASE_MS,
  normalizeLeaseMs,
  normalizeRunId,
  type OperationConflict,
  type OperationOk,
  type OperationResult,
  type OwnershipStatus,
  type ReleaseStatus,
} from './operations.js';
export { commitmentsMigration } from './postgres-commitments.js';
export {
  DEFAULT_POSTGRES_SCHEMA,
  POSTGRES_SCHEMA_VERSION,
  postgresMigrations,
  quoteSchema,
} from './postgres-schema.js';
export {
  DATABASE_URL_ENV,
  type MigrationResult,
  PostgresStore,
  type PostgresStoreOptions,
} from './postgres-store.js';
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
