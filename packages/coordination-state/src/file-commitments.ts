import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LockHeldError, withLock } from '@runwarden/lock-core';
import { english, firstIssue } from '@runwarden/zod-english';
import {
  COMMITMENTS_SCHEMA_VERSION,
  type Commitment,
  type CommitmentFilter,
  type TopicCommitments,
  topicCommitmentsSchema,
} from './commitment-schema.js';
import type {
  CommitmentBackend,
  CommitmentChange,
  CommitmentSelection,
} from './commitment-store.js';
import { byCreation, commitmentsToPrune, matchesFilter } from './commitments.js';
import { CoordinationError } from './errors.js';
import { LOCK_RUNNER_TOKEN, unusableState } from './state-files.js';
import { decodeKey, encodeKey } from './target.js';

/** A commitments file that is corrupt or of an unknown version (CLI exit 7), left as it is. */
function unusable(path: string, detail: string, cause?: unknown) {
  return unusableState(path, detail, {
    cause,
    noun: 'Commitments file',
    purpose: 'to record commitments for its topic again',
  });
}

/** The folder of the commitments, inside a FileStore's directory. */
export const COMMITMENTS_DIRECTORY = 'commitments';

/** How the file store reads and writes a state file (its own primitives, so both follow the same rules). */
export interface StateFileIo {
  /** Reads a file without following a symlink; `null` when it does not exist. */
  read(path: string): string | null;
  /** Replaces a file atomically (temp file, fsync, rename, directory fsync), mode 0600. */
  write(path: string, body: string): void;
  /** Creates a directory of the store (0700, component by component, never through a symlink). */
  ensureDirectory(path: string): void;
}

/** Options for {@link FileCommitments}. */
export interface FileCommitmentsOptions {
  /** The FileStore's directory; commitments live in its `commitments/` folder. */
  directory: string;
  /** The store's clock, Unix ms. */
  now: () => number;
  /** How long to wait for another writer, in ms, before `ERR_STORE_BUSY`. */
  lockWaitMs: number;
  /** The store's file primitives. */
  io: StateFileIo;
}

/**
 * Where the FileStore keeps its commitments: one JSON file per topic,
 * `<directory>/commitments/<encoded topic>.json`
 * (`{schemaVersion: 1, topic, commitments: [...]}`), each replaced whole and
 * atomically, every change made under one lock-core lock
 * (`commitments/commitments.lock`), so a key is unique across topics. A
 * corrupt or unknown file is `ERR_INVALID_STATE` naming it, left as it is.
 */
export class FileCommitments implements CommitmentBackend {
  /** The commitments folder, absolute. */
  readonly directory: string;

  /** @param options - the store's directory, clock, lock wait and file primitives. */
  constructor(private readonly options: FileCommitmentsOptions) {
    this.directory = join(options.directory, COMMITMENTS_DIRECTORY);
  }

  /**
   * The file of a topic.
   *
   * @param topic - the topic (already normalised).
   * @returns `<directory>/commitments/<encodeKey(topic)>.json`.
   */
  pathOf(topic: string): string {
    return join(this.directory, `${encodeKey(topic)}.json`);
  }

  private readTopic(path: string, topic: string): TopicCommitments | null {
    const raw = this.options.io.read(path);
    if (raw === null) return null;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      throw unusable(path, raw.trim() === '' ? 'it is empty' : 'it is not valid JSON', error);
    }
    const version = (json as { schemaVersion?: unknown } | null)?.schemaVersion;
    if (version !== COMMITMENTS_SCHEMA_VERSION) {
      throw unusable(
        path,
        `its schemaVersion ${JSON.stringify(version)} is not ${COMMITMENTS_SCHEMA_VERSION}`,
      );
    }
    const parsed = topicCommitmentsSchema.safeParse(json, english());
    if (!parsed.success) {
      throw unusable(path, firstIssue(parsed.error, 'file'));
    }
    if (parsed.data.topic !== topic) {
      throw unusable(
        path,
        `it belongs to topic ${JSON.stringify(parsed.data.topic)}, not ${topic}`,
      );
    }
    return parsed.data;
  }

  /** Every topic's file, read. */
  private readAll(): Map<string, Commitment[]> {
    const topics = new Map<string, Commitment[]>();
    let names: string[];
    try {
      names = readdirSync(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return topics;
      throw error;
    }
    for (const name of names.sort()) {
      if (!name.endsWith('.json')) continue;
      const path = join(this.directory, name);
      let topic: string;
      try {
        topic = decodeKey(name.slice(0, -'.json'.length));
      } catch (error) {
        throw unusable(path, 'its name is not an encoded topic', error);
      }
      const file = this.readTopic(path, topic);
      if (file) topics.set(topic, file.commitments);
    }
    return topics;
  }

  private writeTopic(topic: string, commitments: Commitment[]): void {
    const prune = new Set(commitmentsToPrune(commitments));
    const file: TopicCommitments = {
      schemaVersion: COMMITMENTS_SCHEMA_VERSION,
      topic,
      commitments: commitments.filter((commitment) => !prune.has(commitment.id)).sort(byCreation),
    };
    this.options.io.write(this.pathOf(topic), `${JSON.stringify(file)}\n`);
  }

  private ensureDirectory(): void {
    this.options.io.ensureDirectory(this.directory);
  }

  private select(topics: Map<string, Commitment[]>, selection: CommitmentSelection): Commitment[] {
    return [...topics.values()]
      .flat()
      .filter((entry) => ('id' in selection ? entry.id === selection.id : entry.state === 'open'))
      .sort(byCreation);
  }

  /** {@inheritDoc CommitmentBackend.change} */
  async change<R>(
    selection: CommitmentSelection,
    change: CommitmentChange<R>,
    options: { optimistic?: boolean } = {},
  ): Promise<R> {
    if (options.optimistic) {
      // Each file is replaced whole, so an unlocked read is a state the topics
      // really had; a decision that writes nothing needs no lock.
      const unlocked = change(this.select(this.readAll(), selection), this.options.now());
      if (unlocked.changed.length === 0) return unlocked.result;
    }
    this.ensureDirectory();
    try {
      return await withLock(
        join(this.directory, 'commitments.lock'),
        () => {
          const topics = this.readAll();
          const { result, changed } = change(this.select(topics, selection), this.options.now());
          const touched = new Set<string>();
          for (const commitment of changed) {
            const list = topics.get(commitment.topic) ?? [];
            const index = list.findIndex((entry) => entry.id === commitment.id);
            if (index >= 0) list[index] = commitment;
            else list.push(commitment);
            topics.set(commitment.topic, list);
            touched.add(commitment.topic);
          }
          for (const topic of touched) this.writeTopic(topic, topics.get(topic)!);
          return result;
        },
        {
          waitMs: this.options.lockWaitMs,
          heartbeatMs: 0,
          runnerToken: LOCK_RUNNER_TOKEN,
          repoMarker: this.options.directory,
        },
      );
    } catch (error) {
      if (LockHeldError.isInstance(error)) {
        throw new CoordinationError({
          code: 'ERR_STORE_BUSY',
          message: `Another writer held the commitments of ${this.directory} for more than ${this.options.lockWaitMs} ms: ${error.message}`,
          path: this.directory,
          cause: error,
          hint: error.hint,
        });
      }
      throw error;
    }
  }

  /** {@inheritDoc CommitmentBackend.list} */
  async list(filter: CommitmentFilter): Promise<Commitment[]> {
    return [...this.readAll().values()]
      .flat()
      .filter((commitment) => matchesFilter(commitment, filter))
      .sort(byCreation);
  }

  /** {@inheritDoc CommitmentBackend.get} */
  async get(id: string): Promise<Commitment | null> {
    return this.select(this.readAll(), { id })[0] ?? null;
  }
}
