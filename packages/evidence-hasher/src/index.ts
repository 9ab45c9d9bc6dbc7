export { canonicalJson } from './canonical-json.js';
export {
  type CollisionGroup,
  type CollisionKind,
  caseKey,
  findCollisions,
  nfcKey,
} from './collisions.js';
export {
  compareEntry,
  compareTrees,
  countStatuses,
  ENTRY_STATUSES,
  type EntryReport,
  type EntryStatus,
} from './compare.js';
export {
  crossCheck,
  type DocumentProblem,
  EVIDENCE_FILES,
  EVIDENCE_FORMATS,
  type EvidenceDocuments,
  type EvidenceFormat,
  FORMAT_FILES,
  parseManifest,
} from './documents.js';
export { EvidenceError, type EvidenceErrorCode } from './errors.js';
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
  buildManifest,
  type EvidenceManifest,
  escapeSumsName,
  formatSha256Sums,
  formatSumsLine,
  legacyRootDigest,
  MANIFEST_SCHEMA_VERSION,
  MANIFEST_SCHEMA_VERSIONS,
  type ManifestLocation,
  type ParsedSums,
  parseSha256Sums,
  rootDigest,
  rootDigestFor,
  type SumsLine,
  serializeManifest,
} from './formats.js';
export {
  type FileDigest,
  type FileIdentity,
  type HashOutcome,
  hashFileSync,
  READ_BUFFER_BYTES,
} from './hash-file.js';
export {
  defaultConcurrency,
  type HashFilesOptions,
  type HashProgress,
  type HashRequest,
  hashFiles,
  POOL_THRESHOLD_BYTES,
} from './hash-pool.js';
export {
  buildStatement,
  type EvidenceSummary,
  type InTotoStatement,
  type ProcessRecord,
  RUN_PREDICATE_TYPE,
  type RunPredicate,
  STATEMENT_TYPE,
  serializeStatement,
  summarizeManifest,
} from './in-toto.js';
export {
  createLogChain,
  LOG_CHAIN_CHUNK_BYTES,
  LOG_CHAIN_SUFFIX,
  type LogChain,
  type LogChainOptions,
  type LogChainStatus,
  type LogChainSummary,
  type LogChainVerification,
  MAX_LOG_CHAIN_BYTES,
  verifyLogChain,
} from './log-chain.js';
export { formatReviewPacket, markdownCode, type ReviewPacketOptions } from './review-packet.js';
export {
  type DocumentsSeen,
  MAX_DOCUMENT_BYTES,
  readEvidence,
  type VerifyOptions,
  type VerifyReport,
  verifyEvidence,
} from './verify.js';
export {
  type CollectAsyncOptions,
  type CollectOptions,
  collectEntries,
  collectEntriesAsync,
  compareUtf8,
  type EvidenceEntry,
  sortEntries,
} from './walk.js';
