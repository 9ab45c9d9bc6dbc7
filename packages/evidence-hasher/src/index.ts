export type { CollisionKind } from './collisions.js';
export { ENTRY_STATUSES, type EntryReport, type EntryStatus } from './compare.js';
export { EVIDENCE_DEFAULTS } from './defaults.js';
export {
  EVIDENCE_FILES,
  EVIDENCE_FORMATS,
  type EvidenceFormat,
  FORMAT_FILES,
} from './documents.js';
export { EvidenceError, type EvidenceErrorCode, type EvidenceErrorOptions } from './errors.js';
export {
  type EvidenceResult,
  type EvidenceTexts,
  type RenderOptions,
  renderEvidence,
  type WriteEvidenceAsyncOptions,
  type WriteEvidenceOptions,
  writeEvidence,
  writeEvidenceAsync,
} from './evidence.js';
export {
  type EvidenceManifest,
  escapeSumsName,
  MANIFEST_SCHEMA_VERSION,
  MANIFEST_SCHEMA_VERSIONS,
  rootDigest,
} from './formats.js';
export type { HashFilesOptions, HashProgress } from './hash-pool.js';
export {
  type EvidenceSummary,
  type InTotoStatement,
  type ProcessRecord,
  RUN_PREDICATE_TYPE,
  type RunPredicate,
  STATEMENT_TYPE,
} from './in-toto.js';
export { createLogChain, type LogChain, type LogChainSummary } from './log-chain.js';
export {
  LOG_CHAIN_CHUNK_BYTES,
  LOG_CHAIN_SUFFIX,
  type LogChainOptions,
  MAX_LOG_CHAIN_BYTES,
} from './log-chain-format.js';
export {
  type LogChainStatus,
  type LogChainVerification,
  verifyLogChain,
} from './log-chain-verify.js';
export { type VerifyOptions, type VerifyReport, verifyEvidence } from './verify.js';
export {
  type CollectAsyncOptions,
  type CollectOptions,
  collectEntries,
  collectEntriesAsync,
  type EvidenceEntry,
} from './walk.js';
