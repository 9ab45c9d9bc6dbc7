import {
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { acquire } from '@runwarden/lock-core';
import { verifyIdentity } from '@runwarden/process-identity';
import writeFileAtomic from 'write-file-atomic';
import { CoordinationError } from './errors.js';
import {
  applyClaim,
  applyExitSignal,
  applyRefresh,
  applyRelease,
  assertOwnershipOn,
  type ClaimInput,
  type ClaimStatus,
  type OperationResult,
  type OwnershipStatus,
  type ReleaseStatus,
} from './operations.js';
import {
  type CoordinationRecord,
  coordinationRecordSchema,
  SUPPORTED_SCHEMA_VERSIONS,
} from './schema.js';
import { decodeKey, parseTarget, type Target, targetFile } from './target.js';

/** The operations every store offers (file and PostgreSQL), with the same statuses. */
export interface CoordinationStore {
  /** Claims a target for a run (`claimed_new`, `refreshed`, `claimed_expired`, `claimed_dead_owner`, `taken_over`). */
  claim(target: string, input: ClaimInput): Promise<OperationResult<ClaimStatus>>;
  /** Extends the owning run's lease. */
  refresh(target: string, runId: string): Promise<OperationResult<'refreshed'>>;
  /** Checks ownership, optionally against a fencing token. */
  assertOwnership(
    target: string,
    input: { runId: string; fencingToken?: number; requireExisting?: boolean },
  ): Promise<OperationResult<OwnershipStatus>>;
  /** Gives the target up. */
  release(target: string, runId: string): Promise<OperationResult<ReleaseStatus>>;
  /** Records why a run stopped. */
  recordExitSignal(
    target: string,
    input: { runId: string; reason?: string; requireActiveOwner?: boolean },
  ): Promise<OperationResult<'exit_signal_recorded'>>;
  /** The record of one target, or `null`. */
  get(target: string): Promise<CoordinationRecord | null>;
  /** Every target with a record. */
  list(): Promise<{ target: string; record: CoordinationRecord }[]>;
}

/** Options for {@link FileStore}. */
export interface FileStoreOptions {
  /** The coordination directory, e.g. `.runtime/coordination` or a dev-loops `.pi/runner-coordination`. */
  directory: string;
  /** Injected clock, Unix ms. @default Date.now */
  now?: () => number;
  /**
   * How long to wait for another writer of the same target, in ms.
   * @default 30000
   */
  lockWaitMs?: number;
}

/**
 * The embedded store: one JSON file per target, each change made under a
 * lock-core lock (`<file>.lock`), written to a temp file, fsynced, renamed
 * (write-file-atomic), and the directory fsynced. A corrupt or unknown file is
 * a {@link CoordinationError} naming it; it is never overwritten.
 */
export class FileStore implements CoordinationStore {
  readonly directory: string;
  private readonly now: () => number;
  private readonly lockWaitMs: number;

  constructor(options: FileStoreOptions) {
    this.directory = resolve(options.directory);
    this.now = options.now ?? Date.now;
    this.lockWaitMs = options.lockWaitMs ?? 30_000;
  }

  /** Absolute path of a target's file. @throws {CoordinationError} `ERR_INVALID_TARGET`. */
  pathOf(target: string | Target): string {
    const parsed = typeof target === 'string' ? parseTarget(target) : target;
    return join(this.directory, targetFile(parsed));
  }

  private read(path: string): CoordinationRecord | null {
    let raw: string;
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return null;
      if (code === 'ELOOP')
        throw invalid(
          path,
          'it is a symlink, and runwarden never follows a symlink into state',
          error,
        );
      throw error;
    }
    try {
      raw = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
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
    return parsed.data;
  }

  private async write(path: string, record: CoordinationRecord): Promise<void> {
    await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`, {
      mode: 0o600,
      fsync: true,
    });
    let fd: number | undefined;
    try {
      fd = openSync(dirname(path), constants.O_RDONLY | constants.O_DIRECTORY);
      fsyncSync(fd);
    } catch {
      // best effort on filesystems that refuse directory fsync
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  private ensureDirectory(path: string): void {
    const directory = dirname(path);
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    if (!lstatSync(directory).isDirectory()) {
      throw new CoordinationError(
        'ERR_INVALID_STATE',
        `${directory} is not a directory; a symlink is never followed into state.`,
        { path: directory },
      );
    }
  }

  private async mutate<R>(
    targetInput: string,
    apply: (
      current: CoordinationRecord | null,
      target: Target,
    ) => { next: CoordinationRecord | null; result: R },
  ): Promise<R> {
    const target = parseTarget(targetInput);
    const path = this.pathOf(target);
    this.ensureDirectory(path);
    const lock = await acquire(`${path}.lock`, {
      waitMs: this.lockWaitMs,
      retryMs: 2,
      heartbeatMs: 0,
      runnerToken: 'runwarden-coordination',
    });
    try {
      const { next, result } = apply(this.read(path), target);
      if (next) await this.write(path, next);
      return result;
    } finally {
      await lock.release();
    }
  }

  async claim(target: string, input: ClaimInput): Promise<OperationResult<ClaimStatus>> {
    return this.mutate(target, (current, parsed) => {
      const owner = current?.activeRun?.owner;
      const ownerVerdict = owner ? verifyIdentity(owner) : undefined;
      return applyClaim(current, parsed, input, { ownerVerdict }, this.now());
    });
  }

  async refresh(target: string, runId: string): Promise<OperationResult<'refreshed'>> {
    return this.mutate(target, (current, parsed) =>
      applyRefresh(current, parsed, runId, this.now()),
    );
  }

  async assertOwnership(
    target: string,
    input: { runId: string; fencingToken?: number; requireExisting?: boolean },
  ): Promise<OperationResult<OwnershipStatus>> {
    const parsed = parseTarget(target);
    return assertOwnershipOn(this.read(this.pathOf(parsed)), parsed, input);
  }

  async release(target: string, runId: string): Promise<OperationResult<ReleaseStatus>> {
    return this.mutate(target, (current, parsed) =>
      applyRelease(current, parsed, runId, this.now()),
    );
  }

  async recordExitSignal(
    target: string,
    input: { runId: string; reason?: string; requireActiveOwner?: boolean },
  ): Promise<OperationResult<'exit_signal_recorded'>> {
    return this.mutate(target, (current, parsed) =>
      applyExitSignal(current, parsed, input, this.now()),
    );
  }

  async get(target: string): Promise<CoordinationRecord | null> {
    return this.read(this.pathOf(target));
  }

  async list(): Promise<{ target: string; record: CoordinationRecord }[]> {
    const found: { target: string; record: CoordinationRecord }[] = [];
    const walk = (directory: string) => {
      let names: string[];
      try {
        names = readdirSync(directory);
      } catch {
        return;
      }
      for (const name of names.sort()) {
        const path = join(directory, name);
        const stat = lstatSync(path);
        if (stat.isDirectory()) walk(path);
        else if (stat.isFile() && name.endsWith('.json')) {
          const record = this.read(path);
          if (record)
            found.push({
              target: targetOf(relative(this.directory, path).split(sep).join('/'), record),
              record,
            });
        }
      }
    };
    walk(this.directory);
    return found;
  }
}

function targetOf(relativePath: string, record: CoordinationRecord): string {
  if ('repo' in record.target && typeof record.target.repo === 'string')
    return `${record.target.repo}#${String(record.target.pr)}`;
  if ('key' in record.target && typeof record.target.key === 'string') return record.target.key;
  const match = /^other\/(.+)\.json$/.exec(relativePath);
  return match ? decodeKey(match[1]!) : relativePath;
}

function invalid(path: string, detail: string, cause?: unknown): CoordinationError {
  return new CoordinationError(
    'ERR_INVALID_STATE',
    `Coordination state ${path} is unusable: ${detail}. It was left exactly as it was.`,
    {
      path,
      cause,
      hint: `Inspect ${path}; move it aside (or restore it from a backup) to let runs claim this target again.`,
    },
  );
}
