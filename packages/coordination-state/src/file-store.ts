import { lstatSync, readdirSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { captureIdentity, type ProcessIdentity, verifyIdentity } from '@runwarden/process-identity';
import { CommitmentOperations } from './commitment-store.js';
import { COORDINATION_DEFAULTS } from './defaults.js';
import { CoordinationError } from './errors.js';
import { COMMITMENTS_DIRECTORY, FileCommitments } from './file-commitments.js';
import { archivePath, MAX_RECORD_BYTES, recordPathOf, targetOf } from './file-layout.js';
import { type ClaimInput, positiveCount } from './operation-input.js';
import type {
  ClaimStatus,
  OperationResult,
  OwnershipStatus,
  ReleaseStatus,
} from './operation-result.js';
import {
  applyClaim,
  applyExitSignal,
  applyRefresh,
  applyRelease,
  assertOwnershipOn,
} from './operations.js';
import { appendArchive, readArchive, readRecordFile, writeRecordFile } from './record-file.js';
import { boundRecord } from './record-rules.js';
import type { ArchivedEntry, CoordinationRecord } from './schema.js';
import {
  directoriesExist,
  ensureStateDirectory,
  readPrivateFile,
  writePrivateFile,
} from './state-files.js';
import type {
  AssertOwnershipInput,
  CoordinationStore,
  ExitSignalInput,
  ListedTarget,
  StoreOptions,
} from './store.js';
import { parseTarget, type Target } from './target.js';
import { lockUnlessAnswered } from './target-lock.js';

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
   * @default COORDINATION_DEFAULTS.lockWaitMs (30000)
   */
  lockWaitMs?: number;
}

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
    this.lockWaitMs = options.lockWaitMs ?? COORDINATION_DEFAULTS.lockWaitMs;
    this.historyLimit = positiveCount(
      'history limit',
      options.historyLimit,
      COORDINATION_DEFAULTS.historyLimit,
    );
    this.verifyOwner = options.verifyOwner ?? verifyIdentity;
  }

  /**
   * Absolute path of a target's record file.
   *
   * @param target - a target key or a parsed target.
   * @returns `<directory>/<owner>/<repo>/pr-<N>.json` or `<directory>/other/<encoded>.json`.
   * @throws {CoordinationError} `ERR_INVALID_TARGET` for a bad key.
   */
  pathOf(target: string | Target): string {
    return recordPathOf(this.directory, typeof target === 'string' ? parseTarget(target) : target);
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

  private read(path: string, target?: Target): CoordinationRecord | null {
    return readRecordFile(this.directory, path, target);
  }

  /**
   * Reads, decides, and writes under the target's lock, taken only when a
   * plain read cannot answer (`lockUnlessAnswered`); history past the limit is
   * archived before the record is rewritten.
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
    this.holder ??= captureIdentity(process.pid) ?? undefined;
    const taken = await lockUnlessAnswered(path, {
      directory: this.directory,
      holder: this.holder,
      lockWaitMs: this.lockWaitMs,
      answer: () => {
        const optimistic = apply(this.read(path, target), target);
        return optimistic.next ? undefined : { value: optimistic.result };
      },
      prepare: () => ensureStateDirectory(this.directory, path),
    });
    if ('answered' in taken) return taken.answered.value;
    try {
      const { next, result } = apply(this.read(path, target), target);
      if (next) {
        const bounded = boundRecord(next, this.historyLimit);
        appendArchive(path, target, bounded, this.now());
        writeRecordFile(path, bounded.record);
      }
      return result;
    } finally {
      await taken.lock.release();
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
    if (directoriesExist(this.directory, join(this.directory, 'record.json'))) walk(this.directory);
    return found.sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
  }

  /** {@inheritDoc CoordinationStore.archived} */
  async archived(target: string): Promise<ArchivedEntry[]> {
    return readArchive(this.archivePathOf(target));
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
        ensureDirectory: (directory) =>
          ensureStateDirectory(this.directory, join(directory, 'commitments.json')),
        write: writePrivateFile,
      },
    });
    return this.commitmentFiles;
  }
}
