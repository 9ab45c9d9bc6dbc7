/**
 * The DONE file of a run, told apart from one a previous run left behind: a
 * file counts as this run's only when it appears, or its modification time
 * moves, after the run started. (`touch DONE; runwarden run --done-file DONE
 * -- …` must not end the run at once and call it `OK`.)
 */
import { statSync } from 'node:fs';

/** What a DONE file is at one moment: its inode and modification time (ns). */
export interface DoneFileSnapshot {
  /** Inode number: a file removed and written again is another file. */
  ino: bigint;
  /** Modification time in ns since the epoch (`stat(2)`'s `st_mtim`). */
  mtimeNs: bigint;
}

/**
 * Looks at a DONE file now (following a symlink, as `existsSync` does).
 *
 * @param path - the file.
 * @returns its snapshot, or `null` when it is missing or cannot be looked at.
 */
export function snapshotDoneFile(path: string): DoneFileSnapshot | null {
  try {
    const stat = statSync(path, { bigint: true, throwIfNoEntry: false });
    return stat ? { ino: stat.ino, mtimeNs: stat.mtimeNs } : null;
  } catch {
    return null;
  }
}

/**
 * Whether a DONE file is this run's: present now, and absent at the start or
 * changed since (another inode, or another modification time, earlier or later).
 *
 * @param atStart - the file when the run started (`null`: it was not there).
 * @param now - the file now (`null`: it is not there).
 * @returns true when the file proves this run's completion.
 */
export function isFreshDoneFile(
  atStart: DoneFileSnapshot | null,
  now: DoneFileSnapshot | null,
): boolean {
  if (now === null) return false;
  if (atStart === null) return true;
  return now.ino !== atStart.ino || now.mtimeNs !== atStart.mtimeNs;
}

/** A run's DONE file, with what it was when the run started. */
export class DoneFileWatch {
  /** The file when the watch was made (the run's start); `null` when it was not there. */
  readonly atStart: DoneFileSnapshot | null;

  /**
   * Takes the start snapshot: make it before the first attempt starts.
   *
   * @param path - the DONE file, absolute.
   */
  constructor(readonly path: string) {
    this.atStart = snapshotDoneFile(path);
  }

  /** True when a DONE file was already there at the start (it is not this run's until written again). */
  get presentAtStart(): boolean {
    return this.atStart !== null;
  }

  /** The start snapshot's modification time, ISO 8601, for the warning. */
  get modifiedAtStart(): string | undefined {
    return this.atStart
      ? new Date(Number(this.atStart.mtimeNs / 1_000_000n)).toISOString()
      : undefined;
  }

  /**
   * Whether the file now proves this run's completion ({@link isFreshDoneFile}).
   *
   * @returns true once the file appeared or changed after the start.
   */
  isFresh(): boolean {
    return isFreshDoneFile(this.atStart, snapshotDoneFile(this.path));
  }
}
