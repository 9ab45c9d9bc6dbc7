import { renameSync, unlinkSync } from 'node:fs';

/**
 * Removes a file; one already gone is no error (a rotation racing a person's `rm`).
 *
 * @param path - the file.
 * @throws the `unlink(2)` error other than `ENOENT`.
 */
export function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Renames a file; one not there is no error (a backup that was never made).
 *
 * @param from - the file.
 * @param to - its new name.
 * @throws the `rename(2)` error other than `ENOENT`.
 */
export function renameQuietly(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
