// `@runwarden/evidence-hasher/internal`: the formats, parsers, hashers and
// comparisons behind the public API, for runwarden's own packages and tests.
// No stability promise.
export { canonicalJson } from './canonical-json.js';
export { type CollisionGroup, caseKey, findCollisions, nfcKey } from './collisions.js';
export { compareEntry, compareTrees, countStatuses } from './compare.js';
export {
  crossCheck,
  type DocumentProblem,
  type EvidenceDocuments,
} from './documents.js';
export {
  buildManifest,
  formatSha256Sums,
  formatSumsLine,
  legacyRootDigest,
  type ManifestLocation,
  type ParsedSums,
  parseSha256Sums,
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
  type HashRequest,
  hashFiles,
  POOL_THRESHOLD_BYTES,
} from './hash-pool.js';
export { buildStatement, serializeStatement, summarizeManifest } from './in-toto.js';
export { parseManifest } from './manifest-parse.js';
export { formatReviewPacket, markdownCode, type ReviewPacketOptions } from './review-packet.js';
export { type DocumentsSeen, MAX_DOCUMENT_BYTES, readEvidence } from './verify.js';
export { compareUtf8, sortEntries } from './walk.js';
