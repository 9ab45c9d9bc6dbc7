export { errnoOf, StatePathError, type StatePathProblem } from './errors.js';
export {
  type EnsuredDirectory,
  type EnsurePrivateDirectoryOptions,
  ensurePrivateDirectory,
  PRIVATE_DIRECTORY_MODE,
} from './private-directory.js';
export {
  type OpenAppendFileOptions,
  type OpenedRegularFile,
  type OpenRegularFileOptions,
  openAppendFile,
  openRegularFile,
  type ReadRegularFile,
  readRegularFile,
} from './regular-file.js';
export { syncDirectory } from './sync-directory.js';
