// `@runwarden/lock-core/internal`: the parsers and readers behind the public
// API, for runwarden's own packages and tests. No stability promise.
export {
  FENCE_RESERVATION,
  type FenceState,
  fencePath,
  MAX_FENCING_TOKEN,
  nextToken,
  parseFence,
} from './fence.js';
export { classifyFilesystem, filesystemOf, type MountEntry, parseMountInfo } from './filesystem.js';
export { MAX_LOCK_BYTES } from './lock-file.js';
