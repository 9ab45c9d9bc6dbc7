import type { StatePathError } from '@runwarden/safe-fs';
import { WatchdogError } from './errors.js';

/**
 * The error for a state file `@runwarden/safe-fs` refused to open (a symlink,
 * a FIFO, a socket, a directory): the file is named and kept as it is.
 *
 * @param error - the refusal.
 * @param file - what the file is (`Journal`, `Log`), its path, and what to do.
 * @returns a `WatchdogError` `ERR_UNSAFE_PATH`.
 */
export function unsafeFileError(
  error: StatePathError,
  file: { kind: string; path: string; hint: string },
): WatchdogError {
  return new WatchdogError({
    code: 'ERR_UNSAFE_PATH',
    message:
      error.problem === 'symlink'
        ? `${file.kind} ${file.path} is a symlink; refusing it.`
        : `${file.kind} ${file.path} is unusable: ${error.message}`,
    path: file.path,
    cause: error,
    hint: file.hint,
  });
}
