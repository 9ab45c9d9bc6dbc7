import { chmodSync, lstatSync, mkdirSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { errnoOf, StatePathError } from './errors.js';

/** The mode of every state directory runwarden creates (DESIGN.md: directories 0700). */
export const PRIVATE_DIRECTORY_MODE = 0o700;

/** Options for {@link ensurePrivateDirectory}. */
export interface EnsurePrivateDirectoryOptions {
  /**
   * The state root: it, and every component below it down to the path, is
   * created one at a time (mkdir(2) without `-p`) and checked before the next
   * is made inside it. The components above the root are the caller's (a
   * repository, a home directory): they are created like `mkdir -p` and may
   * be symlinks.
   * @default the path itself (only its last component is state)
   */
  root?: string;
}

/** What {@link ensurePrivateDirectory} did. */
export interface EnsuredDirectory {
  /** The directory, absolute. */
  path: string;
  /** The components it created, outermost first (empty when all were there). */
  created: string[];
  /** The components whose mode it tightened to 0700 (they were writable by others). */
  fixed: string[];
}

function io(path: string, doing: string, error: unknown): StatePathError {
  const errno = errnoOf(error);
  return new StatePathError(
    'io',
    path,
    `Cannot ${doing} ${path}: ${errno ?? (error as Error)?.message ?? String(error)}.`,
    { cause: error, errno },
  );
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return null;
    throw io(path, 'inspect', error);
  }
}

/**
 * Checks one existing state component: a real directory (never a symlink),
 * written by no one but us (or root). One we own that others may write
 * (group or other write bit) is set to 0700; one owned by another user that
 * is writable by others, or one of another user at all, is refused: they
 * could put a symlink into it between our check and our write.
 */
function checkComponent(path: string, stat: Stats, fixed: string[]): void {
  if (stat.isSymbolicLink()) {
    throw new StatePathError(
      'symlink',
      path,
      `${path} is a symlink; runwarden never follows a symlink into state.`,
      { errno: 'ELOOP' },
    );
  }
  if (!stat.isDirectory()) {
    throw new StatePathError('not-directory', path, `${path} is not a directory.`, {
      errno: 'ENOTDIR',
    });
  }
  const uid = process.getuid?.();
  if (uid === undefined) return; // Windows: no POSIX owner or mode to judge
  const ours = stat.uid === uid;
  const othersMayWrite = (stat.mode & 0o022) !== 0;
  if (!ours && stat.uid !== 0) {
    throw new StatePathError(
      'writable-by-others',
      path,
      `${path} belongs to another user (uid ${stat.uid}), who may write into it; runwarden keeps state only in its own directories.`,
    );
  }
  if (!othersMayWrite) return;
  // A sticky shared directory (/tmp) is never a state directory, even our own.
  if (!ours || (stat.mode & 0o1000) !== 0) {
    throw new StatePathError(
      'writable-by-others',
      path,
      `${path} may be written by other users (mode ${(stat.mode & 0o7777).toString(8).padStart(4, '0')}), and runwarden may not make it private.`,
    );
  }
  try {
    chmodSync(path, PRIVATE_DIRECTORY_MODE);
  } catch (error) {
    throw io(path, 'make private (chmod 0700)', error);
  }
  fixed.push(path);
}

/** Creates one component (no `-p`) or finds it made meanwhile; returns its lstat. */
function makeComponent(path: string, created: string[]): Stats {
  try {
    mkdirSync(path, { mode: PRIVATE_DIRECTORY_MODE });
    created.push(path);
  } catch (error) {
    if (errnoOf(error) !== 'EEXIST') throw io(path, 'create the directory', error);
  }
  const stat = lstatOrNull(path);
  if (!stat)
    throw io(path, 'create the directory', Object.assign(new Error('gone'), { code: 'ENOENT' }));
  return stat;
}

/**
 * Makes sure `path` is a private state directory, creating what is missing:
 * every component from `root` down is created one at a time with mode 0700
 * and checked before anything is made inside it: never a symlink (refused
 * before any mkdir through it), always a directory, written by no one else (a
 * directory of ours that others may write is set to 0700; one we cannot fix
 * is refused). Node.js has no `mkdirat`/`O_NOFOLLOW` walk, so a component
 * swapped for a symlink by another user between two calls is caught at the
 * next check, not prevented; the ownership rule is what keeps other users out.
 *
 * @param path - the directory wanted.
 * @param options - `root`, where state begins (see {@link EnsurePrivateDirectoryOptions}).
 * @returns the directory and the components created or made private.
 * @throws {StatePathError} `symlink`, `not-directory`, `writable-by-others` or `io` (EACCES, EROFS, ENOSPC, …), naming the component at fault.
 */
export function ensurePrivateDirectory(
  path: string,
  options: EnsurePrivateDirectoryOptions = {},
): EnsuredDirectory {
  const target = resolve(path);
  const root = resolve(options.root ?? target);
  const below = relative(root, target);
  if (below.startsWith('..') || isAbsolute(below)) {
    throw new TypeError(`${target} is not inside its state root ${root}`);
  }
  const created: string[] = [];
  const fixed: string[] = [];
  const parent = dirname(root);
  if (parent !== root && lstatOrNull(parent) === null) {
    try {
      mkdirSync(parent, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
    } catch (error) {
      throw io(parent, 'create the directory', error);
    }
  }
  let current = root;
  const components = below === '' ? [] : below.split(sep);
  for (let index = 0; ; index++) {
    const stat = lstatOrNull(current) ?? makeComponent(current, created);
    checkComponent(current, stat, fixed);
    if (index >= components.length) break;
    current = resolve(current, components[index]!);
  }
  return { path: target, created, fixed };
}
