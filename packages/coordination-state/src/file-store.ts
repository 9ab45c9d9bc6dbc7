import {
  closeSync,
  constants,
  type FSWatcher,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  watch,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { acquire, LockError, type LockHandle, LockHeldError } from '@runwarden/lock-core';
import { captureIdentity, type ProcessIdentity, verifyIdentity } from '@runwarden/process-identity';
import {
  ensurePrivateDirectory,
  errnoOf,
  readRegularFile,
  StatePathError,
} from '@runwarden/safe-fs';
import writeFileAtomic from 'write-file-atomic';
import { CommitmentOperations } from './commitment-store.js';
import { CoordinationError } from './errors.js';
import { COMMITMENTS_DIRECTORY, FileCommitments } from './file-commitments.js';
import {
  applyClaim,
  applyExitSignal,
  applyRefresh,
  applyRelease,
  assertOwnershipOn,
  boundRecord,
  type ClaimInput,
  type ClaimStatus,
  DEFAULT_HISTORY_LIMIT,
  type OperationResult,
  type OwnershipStatus,
  type ReleaseStatus,
} from './operations.js';
import {
  type ArchivedEntry,
  type CoordinationRecord,
  coordinationRecordSchema,
  SUPPORTED_SCHEMA_VERSIONS,
} from './schema.js';
import type {
  AssertOwnershipInput,
  CoordinationStore,
  ExitSignalInput,
  ListedTarget,
  StoreOptions,
} from './store.js';
import { decodeKey, parseTarget, type Target, targetFile } from './target.js';

export type { CoordinationStore } from './store.js';

/** Options for {@link FileStore}. */
export interface FileStoreOptions extends StoreOptions {
  /**
   * The coordination directory, e.g. `.runtime/coordination`, or an existing
   * dev-loops `.pi/runner-coordination` (the same files are read and written).
   * Created with mode 0700 when missing.
   */
  directory: string;
  /**
   * How long to wait for another writer of the same target, in ms, before
   * failing with `ERR_STORE_BUSY`.
   * @default 30000
   */
  lockWaitMs?: number;
}

const LOCK_RUNNER_TOKEN = 'runwarden-coordination';

/** The most bytes read from a record file: 200 history entries are about 60 KB. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** The most bytes read from an archive (`*.archive.jsonl`). */
export const MAX_ARCHIVE_BYTES = 256 * 1024 * 1024;
/** The longest file name a file system takes (NAME_MAX on Linux, macOS and Windows), in bytes. */
export const NAME_MAX_BYTES = 255;
/**
 * The bytes runwarden adds to a record's file name for the files beside it:
 * the longest is the takeover claim of its lock,
 * `<name>.lock.claim.<32 hex>.<up to 10 digits>` (55 bytes).
 */
export const DERIVED_NAME_BYTES = 55;
/**
 * The most bytes a target's record file name (`<encoded key>.json`) may have
 * in the file store: {@link NAME_MAX_BYTES} less {@link DERIVED_NAME_BYTES}, 200.
 */
export const MAX_RECORD_NAME_BYTES = NAME_MAX_BYTES - DERIVED_NAME_BYTES;
const FIRST_RETRY_MS = 1;
const MAX_RETRY_MS = 25;

/**
 * The embedded store, for one machine: one JSON file per target (dev-loops'
 * layout), each change made under a lock-core lock (`<file>.lock`), written to
 * a temp file, fsynced and renamed (write-file-atomic), then the directory
 * fsynced. History beyond `historyLimit` is appended (fsynced) to
 * `<file minus .json>.archive.jsonl` before the record is rewritten, so a crash
 * in between duplicates entries at worst and never loses one. A corrupt or
 * unknown file is a {@link CoordinationError} `ERR_INVALID_STATE` naming it; it
 * is never overwritten. A symlink is never followed into state.
 *
 * @example
 * ```ts
 * const store = new FileStore({ directory: '.runtime/coordination' });
 * const claim = await store.claim('acme/widgets#12', { runId: 'run-1', owner: captureIdentity() ?? undefined });
 * ```
 */
export class FileStore extends CommitmentOperations implements CoordinationStore {
  /** The coordination directory, absolute. */
  readonly directory: string;
  private readonly now: () => number;
  private readonly lockWaitMs: number;
  private readonly historyLimit: number;
  private readonly verifyOwner: NonNullable<StoreOptions['verifyOwner']>;
  private holder: ProcessIdentity | undefined;

  /**
   * @param options - the directory, and optionally the clock, lock wait, history limit and owner verifier.
   * @throws {CoordinationError} `ERR_INVALID_OPTION` for a history limit that is not a positive integer.
   */
  constructor(options: FileStoreOptions) {
    super();
    this.directory = resolve(options.directory);
    this.now = options.now ?? Date.now;
    this.lockWaitMs = options.lockWaitMs ?? 30_000;
    this.historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    this.verifyOwner = options.verifyOwner ?? verifyIdentity;
    if (!Number.isInteger(this.historyLimit) || this.historyLimit <= 0) {
      throw new CoordinationError({
        code: 'ERR_INVALID_OPTION',
        message: `Invalid history limit ${JSON.stringify(options.historyLimit)}: use a positive whole number.`,
      });
    }
  }

  /**
   * Absolute path of a target's record file.
   *
   * @param target - a target key or a parsed target.
   * @returns `<directory>/<owner>/<repo>/pr-<N>.json` or `<directory>/other/<encoded>.json`.
   * @throws {CoordinationError} `ERR_INVALID_TARGET` for a bad key.
   */
  pathOf(target: string | Target): string {
    const parsed = typeof target === 'string' ? parseTarget(target) : target;
    const relativePath = targetFile(parsed);
    for (const name of relativePath.split('/')) {
      const bytes = Buffer.byteLength(name);
      if (bytes > MAX_RECORD_NAME_BYTES) {
        throw new CoordinationError({
          code: 'ERR_INVALID_TARGET',
          message: `Target ${JSON.stringify(short(parsed.key))} cannot be stored in the file store: its file name ${short(name)} is ${bytes} bytes, and the file store allows ${MAX_RECORD_NAME_BYTES} bytes (${NAME_MAX_BYTES}, the file system's limit, less ${DERIVED_NAME_BYTES} for the lock and temp files beside it).`,
          hint: 'Use a shorter key (non-ASCII characters and reserved ones such as / : ? take 3 bytes each once encoded), or the PostgreSQL store.',
        });
      }
    }
    return join(this.directory, relativePath);
  }

  /**
   * Absolute path of a target's archive (history moved out of the record), one JSON object a line.
   *
   * @param target - a target key or a parsed target.
   * @returns the record's path with `.json` replaced by `.archive.jsonl`.
   * @throws {CoordinationError} `ERR_INVALID_TARGET` for a bad key.
   */
  archivePathOf(target: string | Target): string {
    return archivePath(this.pathOf(target));
  }

  /**
   * Refuses a symlink (or a file) in place of a directory between the
   * coordination directory and `path`, without creating anything: a read
   * follows no link into state either. `false` when a directory is missing.
   */
  private directoriesOf(path: string): boolean {
    const below = relative(this.directory, dirname(path));
    let current = this.directory;
    for (const name of ['', ...(below === '' ? [] : below.split(sep))]) {
      current = name === '' ? current : join(current, name);
      let stat: ReturnType<typeof lstatSync>;
      try {
        stat = lstatSync(current);
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') return false;
        throw storeIo(current, 'read', error);
      }
      if (!stat.isDirectory()) {
        throw invalid(
          current,
          stat.isSymbolicLink()
            ? 'it is a symlink, and runwarden never follows a symlink into state'
            : 'it is not a directory',
        );
      }
    }
    return true;
  }

  private read(path: string, target?: Target): CoordinationRecord | null {
    if (!this.directoriesOf(path)) return null;
    const raw = readPrivateFile(path, MAX_RECORD_BYTES);
    if (raw === null) return null;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      throw invalid(
        path,
        raw.trim() === '' ? 'it is empty' : 'it is not valid JSON (truncated or corrupt)',
        error,
      );
    }
    const version = (json as { schemaVersion?: unknown } | null)?.schemaVersion;
    if (!SUPPORTED_SCHEMA_VERSIONS.includes(version as 1 | 2)) {
      throw invalid(
        path,
        `its schemaVersion ${JSON.stringify(version)} is not one of ${SUPPORTED_SCHEMA_VERSIONS.join(', ')}`,
      );
    }
    const parsed = coordinationRecordSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw invalid(path, `${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'}`);
    }
    if (target) {
      const recorded = targetKeyOf(parsed.data);
      if (recorded !== undefined && recorded !== target.key) {
        throw invalid(path, `it belongs to target ${JSON.stringify(recorded)}, not ${target.key}`);
      }
    }
    return parsed.data;
  }

  private write(path: string, record: CoordinationRecord): void {
    // Compact: a record with 200 history entries is 30% smaller than
    // pretty-printed, and the fsync of its bytes is most of a write's cost.
    try {
      writeFileAtomic.sync(path, `${JSON.stringify(record)}\n`, {
        mode: 0o600,
        fsync: true,
      });
    } catch (error) {
      throw storeIo(path, 'write', error);
    }
    syncDirectory(dirname(path));
  }

  private archive(path: string, target: Target, moved: ReturnType<typeof boundRecord>): void {
    const archivedAt = new Date(this.now()).toISOString();
    const lines = [
      ...moved.history.map((entry) => ({ kind: 'history', target: target.key, archivedAt, entry })),
      ...moved.exitSignals.map((entry) => ({
        kind: 'exitSignal',
        target: target.key,
        archivedAt,
        entry,
      })),
    ];
    if (lines.length === 0) return;
    const archive = archivePath(path);
    let fd: number;
    try {
      // O_NONBLOCK: a FIFO put there never blocks the open; fstat then refuses it.
      fd = openSync(
        archive,
        constants.O_RDWR |
          constants.O_APPEND |
          constants.O_CREAT |
          constants.O_NOFOLLOW |
          constants.O_NONBLOCK,
        0o600,
      );
    } catch (error) {
      if (errnoOf(error) === 'ELOOP')
        throw invalid(
          archive,
          'it is a symlink, and runwarden never follows a symlink into state',
          error,
        );
      throw storeIo(archive, 'open', error);
    }
    try {
      if (!fstatSync(fd).isFile()) throw invalid(archive, 'it is not a regular file');
      // A line cut short by a crash mid-append must not swallow the next one.
      const size = fstatSync(fd).size;
      const last = Buffer.alloc(1);
      const separator = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 10;
      writeSync(
        fd,
        `${separator ? '\n' : ''}${lines.map((line) => `${JSON.stringify(line)}\n`).join('')}`,
      );
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Creates the record's directory one component at a time from the
   * coordination directory down (the one state-directory rule of
   * `@runwarden/safe-fs`): a symlink is refused before any mkdir through it.
   */
  private ensureDirectory(path: string): void {
    try {
      ensurePrivateDirectory(dirname(path), { root: this.directory });
    } catch (error) {
      if (!StatePathError.isInstance(error)) throw error;
      if (error.problem === 'io') throw storeIo(error.path, 'create', error);
      throw new CoordinationError({
        code: 'ERR_INVALID_STATE',
        message: `${error.message} The coordination state was left as it is.`,
        path: error.path,
        cause: error,
        hint:
          error.problem === 'writable-by-others'
            ? `Use a coordination directory only this user may write (chmod 0700 ${error.path}).`
            : 'Point the coordination directory at a real directory (runwarden never follows a symlink into state).',
      });
    }
  }

  private async tryLock(path: string): Promise<LockHandle> {
    this.holder ??= captureIdentity(process.pid) ?? undefined;
    try {
      return await acquire(`${path}.lock`, {
        heartbeatMs: 0,
        runnerToken: LOCK_RUNNER_TOKEN,
        repoMarker: this.directory,
        holder: this.holder,
      });
    } catch (error) {
      // Held is the caller's to wait on; any other lock failure is the store's.
      if (LockHeldError.isInstance(error) || !LockError.isInstance(error)) throw error;
      throw new CoordinationError({
        code: error.code === 'ERR_LOCK_IO' ? 'ERR_STORE_IO' : 'ERR_INVALID_STATE',
        message: `Cannot lock ${path} to change it: ${error.message}`,
        path: error.path,
        cause: error,
        hint: error.hint,
      });
    }
  }

  /**
   * Reads, decides, and writes under the target's lock. An outcome that writes
   * nothing (a conflict, a no-op) needs no lock: the file is only ever replaced
   * whole, so a read is one state the target really had during the call, and
   * answering from it is linearizable. So the decision is first made on a
   * plain read, and again after every wait for the lock: a contender that
   * loses the race learns it from a read instead of queueing for the lock.
   */
  private async mutate<R>(
    targetInput: string,
    apply: (
      current: CoordinationRecord | null,
      target: Target,
    ) => { next: CoordinationRecord | null; result: R },
  ): Promise<R> {
    const target = parseTarget(targetInput);
    const path = this.pathOf(target);
    const deadline = Date.now() + this.lockWaitMs;
    let delayMs = FIRST_RETRY_MS;
    let lock: LockHandle | undefined;
    while (!lock) {
      const optimistic = apply(this.read(path, target), target);
      if (!optimistic.next) return optimistic.result;
      this.ensureDirectory(path);
      try {
        lock = await this.tryLock(path);
      } catch (error) {
        if (!LockHeldError.isInstance(error)) throw error;
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new CoordinationError({
            code: 'ERR_STORE_BUSY',
            message: `Another writer held ${path} for more than ${this.lockWaitMs} ms: ${error.message}`,
            path,
            cause: error,
            hint: error.hint,
          });
        }
        await waitForRemoval(`${path}.lock`, Math.min(left, jitter(delayMs)));
        delayMs = Math.min(MAX_RETRY_MS, delayMs * 2);
      }
    }
    try {
      const { next, result } = apply(this.read(path, target), target);
      if (next) {
        const bounded = boundRecord(next, this.historyLimit);
        this.archive(path, target, bounded);
        this.write(path, bounded.record);
      }
      return result;
    } finally {
      await lock.release();
    }
  }

  /** {@inheritDoc CoordinationStore.claim} */
  async claim(target: string, input: ClaimInput): Promise<OperationResult<ClaimStatus>> {
    return this.mutate(target, (current, parsed) => {
      const owner = current?.activeRun?.owner;
      const ownerVerdict = owner ? this.verifyOwner(owner) : undefined;
      return applyClaim(current, parsed, input, { ownerVerdict }, this.now());
    });
  }

  /** {@inheritDoc CoordinationStore.refresh} */
  async refresh(target: string, runId: string): Promise<OperationResult<'refreshed'>> {
    return this.mutate(target, (current, parsed) =>
      applyRefresh(current, parsed, runId, this.now()),
    );
  }

  /** {@inheritDoc CoordinationStore.assertOwnership} */
  async assertOwnership(
    target: string,
    input: AssertOwnershipInput,
  ): Promise<OperationResult<OwnershipStatus>> {
    const parsed = parseTarget(target);
    return assertOwnershipOn(this.read(this.pathOf(parsed), parsed), parsed, input);
  }

  /** {@inheritDoc CoordinationStore.release} */
  async release(target: string, runId: string): Promise<OperationResult<ReleaseStatus>> {
    return this.mutate(target, (current, parsed) =>
      applyRelease(current, parsed, runId, this.now()),
    );
  }

  /** {@inheritDoc CoordinationStore.recordExitSignal} */
  async recordExitSignal(
    target: string,
    input: ExitSignalInput,
  ): Promise<OperationResult<'exit_signal_recorded'>> {
    return this.mutate(target, (current, parsed) =>
      applyExitSignal(current, parsed, input, this.now()),
    );
  }

  /** {@inheritDoc CoordinationStore.get} */
  async get(target: string): Promise<CoordinationRecord | null> {
    const parsed = parseTarget(target);
    return this.read(this.pathOf(parsed), parsed);
  }

  /** {@inheritDoc CoordinationStore.list} */
  async list(): Promise<ListedTarget[]> {
    const found: ListedTarget[] = [];
    // Files directly in commitments/ are topics' commitments, never targets (those are other/*.json or three deep).
    const commitments = join(this.directory, COMMITMENTS_DIRECTORY);
    const walk = (directory: string) => {
      let names: string[];
      try {
        names = readdirSync(directory);
      } catch {
        return;
      }
      for (const name of names.sort()) {
        const path = join(directory, name);
        let stat: ReturnType<typeof lstatSync>;
        try {
          stat = lstatSync(path);
        } catch {
          continue; // removed meanwhile
        }
        if (stat.isDirectory()) walk(path);
        else if (stat.isFile() && name.endsWith('.json') && directory !== commitments) {
          const record = this.read(path);
          if (record)
            found.push({
              target: targetOf(relative(this.directory, path).split(sep).join('/'), record),
              record,
            });
        }
      }
    };
    if (this.directoriesOf(join(this.directory, 'record.json'))) walk(this.directory);
    return found.sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
  }

  /** {@inheritDoc CoordinationStore.archived} */
  async archived(target: string): Promise<ArchivedEntry[]> {
    const path = this.archivePathOf(target);
    const raw = readPrivateFile(path, MAX_ARCHIVE_BYTES);
    if (raw === null) return [];
    const entries: ArchivedEntry[] = [];
    for (const line of raw.split('\n')) {
      if (line.trim() === '') continue;
      try {
        entries.push(JSON.parse(line) as ArchivedEntry);
      } catch {
        // A line cut short by a crash mid-append: its entries were still in
        // the record, which had not been rewritten, and were archived again.
      }
    }
    return entries;
  }

  /** Nothing to free: the file store holds no open resources between operations. */
  async close(): Promise<void> {}

  private commitmentFiles: FileCommitments | undefined;

  /** The commitments' backend, `<directory>/commitments/` ({@link FileCommitments}), with this store's file primitives. */
  protected commitmentBackend(): FileCommitments {
    this.commitmentFiles ??= new FileCommitments({
      directory: this.directory,
      now: this.now,
      lockWaitMs: this.lockWaitMs,
      io: {
        read: (path) => readPrivateFile(path, MAX_RECORD_BYTES),
        ensureDirectory: (directory) => this.ensureDirectory(join(directory, 'commitments.json')),
        write: (path, body) => {
          writeFileAtomic.sync(path, body, { mode: 0o600, fsync: true });
          syncDirectory(dirname(path));
        },
      },
    });
    return this.commitmentFiles;
  }
}

/** The first 40 characters of a long name, for a one-line message. */
function short(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function archivePath(recordPath: string): string {
  return `${recordPath.replace(/\.json$/, '')}.archive.jsonl`;
}

/**
 * Reads a state file without following a symlink and without blocking (a
 * FIFO or socket is refused at once), at most `maxBytes`; `null` when it does
 * not exist.
 */
function readPrivateFile(path: string, maxBytes: number): string | null {
  try {
    return readRegularFile(path, { maxBytes })?.bytes.toString('utf8') ?? null;
  } catch (error) {
    if (!StatePathError.isInstance(error)) throw error;
    switch (error.problem) {
      case 'symlink':
        throw invalid(
          path,
          'it is a symlink, and runwarden never follows a symlink into state',
          error,
        );
      case 'too-large':
        throw invalid(path, `it is larger than ${maxBytes} bytes`, error);
      case 'io':
        throw storeIo(path, 'read', error);
      default:
        throw invalid(
          path,
          error.message.replace(`${path} is `, 'it is ').replace(/\.$/, ''),
          error,
        );
    }
  }
}

/** A file-system failure of the store, with the path and a way out (CLI exit 7). */
function storeIo(path: string, doing: string, error: unknown): CoordinationError {
  const errno = StatePathError.isInstance(error) ? error.errno : errnoOf(error);
  return new CoordinationError({
    code: 'ERR_STORE_IO',
    message: `Cannot ${doing} ${path}: ${errno ?? (error as Error)?.message ?? String(error)}.`,
    path,
    cause: error,
    hint:
      errno === 'EACCES' || errno === 'EPERM' || errno === 'EROFS'
        ? `Make ${dirname(path)} writable by this user (mode 0700), or point --coordination-dir (or --state-dir) elsewhere.`
        : `Check ${dirname(path)} (space, permissions), or point --coordination-dir (or --state-dir) elsewhere.`,
  });
}

/** fsyncs a directory so a rename in it survives a power loss (best effort where refused). */
function syncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(directory, constants.O_RDONLY | constants.O_DIRECTORY);
    fsyncSync(fd);
  } catch {
    // filesystems that refuse a directory fsync (some network ones) keep the rename anyway
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function jitter(delayMs: number): number {
  return delayMs / 2 + Math.random() * delayMs;
}

/**
 * Waits until the lock file is removed or replaced (inotify through
 * `fs.watch` on its directory), or `timeoutMs` passes, whichever is first: a
 * waiter wakes as soon as the holder lets go instead of sleeping a backoff out.
 */
function waitForRemoval(lockPath: string, timeoutMs: number): Promise<void> {
  return new Promise((resolvePromise) => {
    let watcher: FSWatcher | undefined;
    const name = basename(lockPath);
    const done = () => {
      clearTimeout(timer);
      watcher?.close();
      resolvePromise();
    };
    const timer = setTimeout(done, timeoutMs);
    try {
      watcher = watch(dirname(lockPath), { persistent: false }, (event, file) => {
        if (event === 'rename' && (file === null || file === name)) done();
      });
      watcher.on('error', () => undefined);
    } catch {
      // no inotify (or too many watches): the timer alone wakes us
    }
  });
}

function targetKeyOf(record: CoordinationRecord): string | undefined {
  if ('repo' in record.target && typeof record.target.repo === 'string')
    return `${record.target.repo.toLowerCase()}#${String(record.target.pr)}`;
  if ('key' in record.target && typeof record.target.key === 'string') return record.target.key;
  return undefined;
}

function targetOf(relativePath: string, record: CoordinationRecord): string {
  const key = targetKeyOf(record);
  if (key !== undefined) return key;
  const match = /^other\/(.+)\.json$/.exec(relativePath);
  return match ? decodeKey(match[1]!) : relativePath;
}

function invalid(path: string, detail: string, cause?: unknown): CoordinationError {
  return new CoordinationError({
    code: 'ERR_INVALID_STATE',
    message: `Coordination state ${path} is unusable: ${detail}. It was left exactly as it was.`,
    path,
    cause,
    hint: `Inspect ${path}; move it aside (or restore it from a backup) to let runs claim this target again.`,
  });
}
