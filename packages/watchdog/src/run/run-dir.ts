import { ensurePrivateDirectory, StatePathError } from '@runwarden/safe-fs';
import { WatchdogError } from '../errors.js';

/**
 * Creates the run directory by the one state-directory rule of
 * `@runwarden/safe-fs` (mode 0700; a symlink or file in its place refused
 * before anything is made through it; a directory of ours that others may
 * write made private, another user's refused).
 *
 * @param runDir - the run directory, absolute.
 * @throws {WatchdogError} `ERR_UNSAFE_PATH` when it cannot be created or is unusable.
 */
export function ensureRunDir(runDir: string): void {
  try {
    ensurePrivateDirectory(runDir);
  } catch (error) {
    if (!StatePathError.isInstance(error)) throw error;
    throw new WatchdogError({
      code: 'ERR_UNSAFE_PATH',
      message:
        error.problem === 'io'
          ? `Cannot create the run directory ${runDir}: ${error.message}`
          : `Run directory ${runDir} is unusable: ${error.message}`,
      path: error.path,
      cause: error,
      hint:
        error.problem === 'io'
          ? 'Point runDir at a directory this user may write.'
          : 'Point runDir at a real directory only this user may write (runwarden never follows a symlink into state).',
    });
  }
}
