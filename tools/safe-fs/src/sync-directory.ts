import { closeSync, constants, fsyncSync, openSync } from 'node:fs';

/**
 * fsyncs a directory so a rename or link in it survives a power loss
 * (fsync(2): syncing a file does not sync the directory entry that names it).
 * Best effort: some filesystems (network ones) refuse a directory fsync and
 * keep the rename anyway, so every error is ignored.
 *
 * @param directory - the directory to sync.
 */
export function syncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(directory, constants.O_RDONLY | constants.O_DIRECTORY);
    fsyncSync(fd);
  } catch {
    // refused (or gone): the rename stands, only its durability is best effort
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
