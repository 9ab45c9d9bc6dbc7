export { EvidenceError, type EvidenceErrorCode } from './errors.js';
export { type EvidenceResult, type WriteEvidenceOptions, writeEvidence } from './evidence.js';
export {
  buildManifest,
  type EvidenceManifest,
  formatSha256Sums,
  formatSumsLine,
  rootDigest,
  serializeManifest,
} from './formats.js';
export { type FileDigest, hashFileSync, READ_BUFFER_BYTES } from './hash-file.js';
export { type CollectOptions, collectEntries, compareUtf8, type EvidenceEntry } from './walk.js';
