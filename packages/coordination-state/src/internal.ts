// `@runwarden/coordination-state/internal`: the pure operations both stores
// replay, the file store's layout limits and the PostgreSQL migrations, for
// runwarden's own packages and tests. No stability promise.
export { COMMITMENTS_DIRECTORY } from './file-commitments.js';
export {
  DERIVED_NAME_BYTES,
  MAX_ARCHIVE_BYTES,
  MAX_RECORD_BYTES,
  MAX_RECORD_NAME_BYTES,
  NAME_MAX_BYTES,
} from './file-layout.js';
export { type ClaimFacts, normalizeLeaseMs, normalizeRunId } from './operation-input.js';
export {
  applyClaim,
  applyExitSignal,
  applyRefresh,
  applyRelease,
  assertOwnershipOn,
} from './operations.js';
export { commitmentsMigration } from './postgres-commitments.js';
export { postgresMigrations, quoteSchema } from './postgres-schema.js';
export { boundRecord, emptyRecord, highestToken } from './record-rules.js';
