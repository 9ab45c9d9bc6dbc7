/**
 * Reads a repository's recent git activity straight from its files (no `git`
 * process): the `HEAD` reflog, the remote-tracking and tag reflogs, and the
 * loose tag refs with their mtimes. Worktrees and submodules (`.git` a file
 * naming the git directory) are followed to their common directory, as git
 * does (`gitrepository-layout(5)`: `commondir`). Symlinks inside the git
 * directory are never followed.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  type Stats,
} from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { WATCHDOG_DEFAULTS } from '../defaults.js';
import { WatchdogError } from '../errors.js';

/** One reflog line (`git reflog` / `.git/logs/…`). */
export interface ReflogEntry {
  /** The ref it belongs to: `HEAD`, `refs/remotes/origin/main`, `refs/tags/v1.2.0`. */
  ref: string;
  /** The object name before and after. */
  oldId: string;
  newId: string;
  /** When, Unix ms (git records whole seconds). */
  atMs: number;
  /** The message, e.g. `update by push`, `merge feat: Fast-forward`, `revert: Revert "…"`. */
  message: string;
}

/** A tag ref file and when it was written. */
export interface TagRef {
  /** `refs/tags/<name>`. */
  ref: string;
  /** The loose ref file's mtime, Unix ms. */
  atMs: number;
}

/** What {@link readGitActivity} found. */
export interface GitActivity {
  /** The git directory of the work tree (`.git`, or `.git/worktrees/<name>`). */
  gitDirectory: string;
  /** The common directory (refs and their logs shared by every worktree). */
  commonDirectory: string;
  /** Reflog entries of `HEAD`, `refs/remotes/**` and `refs/tags/**`, oldest first per ref. */
  reflog: ReflogEntry[];
  /** Loose tag refs. */
  tags: TagRef[];
}

/** Options for {@link readGitActivity}. */
export interface ReadGitActivityOptions {
  /** Entries older than this (Unix ms) are left out. @default 0 (all that is read) */
  sinceMs?: number;
  /** At most this many trailing bytes of each reflog are read (recent entries are at the end). @default WATCHDOG_DEFAULTS.actionClaims.reflogTailBytes (4 MiB) */
  maxBytesPerLog?: number;
}

const REFLOG_LINE = /^([0-9a-f]{40,64}) ([0-9a-f]{40,64}) .*? (\d+) [+-]\d{4}\t(.*)$/;

/**
 * Parses reflog text (`<old> <new> <who> <seconds> <zone>\t<message>` a line).
 *
 * @param ref - the ref the log belongs to, e.g. `HEAD`.
 * @param text - the log's text; a first line cut short is skipped.
 * @returns its entries, in file order.
 */
export function parseReflog(ref: string, text: string): ReflogEntry[] {
  const entries: ReflogEntry[] = [];
  for (const line of text.split('\n')) {
    const match = REFLOG_LINE.exec(line);
    if (!match) continue;
    entries.push({
      ref,
      oldId: match[1]!,
      newId: match[2]!,
      atMs: Number(match[3]) * 1000,
      message: match[4]!,
    });
  }
  return entries;
}

/** The git directory of a work tree, a `.git` file's target, or the directory itself when it is one. */
function gitDirectoryOf(repository: string): string {
  const dotGit = join(repository, '.git');
  const stat = statQuietly(dotGit);
  if (stat?.isDirectory()) return dotGit;
  if (stat?.isFile()) {
    const pointer = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'));
    if (pointer) return resolve(repository, pointer[1]!.trim());
  }
  if (statQuietly(join(repository, 'HEAD'))?.isFile()) return repository;
  throw new WatchdogError({
    code: 'ERR_INVALID_OPTION',
    message: `${repository} is not a git repository.`,
    option: 'repository',
    path: repository,
    hint: 'Point follow-through at the work tree (or git directory) the run works in.',
  });
}

/** Reads the last `maxBytes` of a file, never through a symlink; `null` when absent. */
function readTail(path: string, maxBytes: number): string | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString('utf8');
    // A tail that starts mid-line: its first line is cut short, drop it.
    return length < size ? text.slice(text.indexOf('\n') + 1) : text;
  } finally {
    closeSync(fd);
  }
}

/** Every regular file under `directory` (relative paths with `/`), no symlink followed. */
function filesUnder(directory: string, prefix = ''): string[] {
  let names: string[];
  try {
    names = readdirSync(join(directory, prefix));
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const name of names.sort()) {
    const relative = prefix ? `${prefix}/${name}` : name;
    const stat = statQuietly(join(directory, relative));
    if (stat?.isDirectory()) found.push(...filesUnder(directory, relative));
    else if (stat?.isFile()) found.push(relative);
  }
  return found;
}

/** lstat, or `undefined` for a file gone since it was listed (a ref packed by `git gc` meanwhile). */
function statQuietly(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Reads a repository's recent activity: reflog entries of `HEAD` (the work
 * tree's own), of every remote-tracking ref and tag (from the common
 * directory, when `core.logAllRefUpdates` logged them), and the loose tag refs.
 *
 * @param repository - a work tree, or a git directory.
 * @param options - `sinceMs`, `maxBytesPerLog`.
 * @returns the directories and what was found.
 * @throws {WatchdogError} `ERR_INVALID_OPTION` when `repository` is not a git repository.
 */
export function readGitActivity(
  repository: string,
  options: ReadGitActivityOptions = {},
): GitActivity {
  const sinceMs = options.sinceMs ?? 0;
  const maxBytes = options.maxBytesPerLog ?? WATCHDOG_DEFAULTS.actionClaims.reflogTailBytes;
  const gitDirectory = gitDirectoryOf(resolve(repository));
  const pointer = readTail(join(gitDirectory, 'commondir'), 4096)?.trim();
  const commonDirectory = pointer
    ? isAbsolute(pointer)
      ? pointer
      : resolve(gitDirectory, pointer)
    : gitDirectory;
  const reflog: ReflogEntry[] = [];
  const add = (ref: string, path: string) => {
    const text = readTail(path, maxBytes);
    if (text !== null)
      reflog.push(...parseReflog(ref, text).filter((entry) => entry.atMs + 999 >= sinceMs));
  };
  add('HEAD', join(gitDirectory, 'logs', 'HEAD'));
  for (const area of ['remotes', 'tags']) {
    const logs = join(commonDirectory, 'logs', 'refs', area);
    for (const file of filesUnder(logs)) add(`refs/${area}/${file}`, join(logs, file));
  }
  const tagsDirectory = join(commonDirectory, 'refs', 'tags');
  const tags: TagRef[] = [];
  for (const file of filesUnder(tagsDirectory)) {
    const atMs = statQuietly(join(tagsDirectory, file))?.mtimeMs;
    if (atMs !== undefined && atMs >= sinceMs) tags.push({ ref: `refs/tags/${file}`, atMs });
  }
  return { gitDirectory, commonDirectory, reflog, tags };
}
