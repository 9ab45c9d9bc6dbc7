/**
 * Races with real processes: 16 contenders claim the same target 200 times
 * each and release at random. Never two owners at once, checked twice: from
 * the store's own history (record plus archive) and from a shared append-only
 * log each contender writes inside its ownership. Fencing tokens strictly
 * increase and no history entry is lost. PostgreSQL runs the same race across
 * two "machines" (8 processes each, different machine ids).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CoordinationStore,
  FileStore,
  type HistoryEntry,
  PostgresStore,
} from '../src/index.js';
import { dropSchema, freshSchemaName, postgresName, postgresUrl } from './stores.js';
import { runJsonWorker } from './workers.js';

const worker = join(import.meta.dirname, 'fixtures', 'race-worker.mjs');
const TARGET = 'acme/widgets#7';
const PROCESSES = 16;
const ITERATIONS = 200;
/** 3200 claims on two shared cores: generous, the figures live in `pnpm bench`. */
const RACE_TIMEOUT_MS = 300_000;

interface WorkerStats {
  claims: number;
  refreshes: number;
  releases: number;
  conflicts: number;
  tokens: number[];
  violations: string[];
}

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const runWorker = (settings: Record<string, unknown>) =>
  runJsonWorker<WorkerStats>(worker, settings);

/** Replays the shared log: one owner at a time, tokens strictly increasing. */
function checkLog(log: string): { ownerships: number } {
  let owner: string | null = null;
  let lastToken = 0;
  let ownerships = 0;
  for (const [index, text] of log.trim().split('\n').entries()) {
    const [kind, tokenText, runId] = text.split(' ');
    const token = Number(tokenText);
    const who = `${token} ${runId}`;
    if (kind === 'begin') {
      if (owner !== null) throw new Error(`line ${index + 1}: ${who} began while ${owner} owned`);
      if (token <= lastToken)
        throw new Error(`line ${index + 1}: token ${token} after ${lastToken}`);
      owner = who;
      lastToken = token;
      ownerships++;
    } else if (owner !== who) {
      throw new Error(`line ${index + 1}: ${kind} by ${who} while ${owner ?? 'nobody'} owned`);
    } else if (kind === 'end') owner = null;
  }
  if (owner !== null) throw new Error(`the log ends with ${owner} still owning`);
  return { ownerships };
}

/** Replays the store's history (archive, then record): the same two promises, and nothing lost. */
async function checkHistory(store: CoordinationStore, stats: WorkerStats[]) {
  const record = await store.get(TARGET);
  const archived = await store.archived(TARGET);
  const history = [
    ...archived
      .filter((entry) => entry.kind === 'history')
      .map((entry) => entry.entry as HistoryEntry),
    ...(record?.history ?? []),
  ];
  let owner: string | null = null;
  let lastToken = 0;
  for (const entry of history) {
    if (entry.type === 'claim') {
      expect(owner).toBeNull();
      expect(entry.fencingToken).toBe(lastToken + 1);
      owner = entry.runId ?? null;
      lastToken = entry.fencingToken!;
    } else if (entry.type === 'refresh') {
      expect(entry.runId).toBe(owner);
    } else if (entry.type === 'release') {
      expect(entry.runId).toBe(owner);
      owner = null;
    } else throw new Error(`unexpected history entry ${JSON.stringify(entry)}`);
  }
  const sum = (key: 'claims' | 'refreshes' | 'releases') =>
    stats.reduce((total, one) => total + one[key], 0);
  expect(history.filter((entry) => entry.type === 'claim')).toHaveLength(sum('claims'));
  expect(history.filter((entry) => entry.type === 'refresh')).toHaveLength(sum('refreshes'));
  expect(history.filter((entry) => entry.type === 'release')).toHaveLength(sum('releases'));
  expect(record?.activeRun).toBeNull();
  expect(record?.history.length).toBeLessThanOrEqual(200);
  return { entries: history.length, lastToken };
}

function checkWorkers(stats: WorkerStats[]) {
  expect(stats.flatMap((one) => one.violations)).toEqual([]);
  for (const one of stats) {
    expect(one.claims + one.refreshes + one.conflicts).toBe(ITERATIONS);
    expect(one.tokens).toEqual([...one.tokens].sort((a, b) => a - b));
  }
  const tokens = stats.flatMap((one) => one.tokens).sort((a, b) => a - b);
  expect(tokens).toEqual(Array.from({ length: tokens.length }, (_, index) => index + 1));
}

describe('FileStore race', () => {
  it(
    `never has two owners: ${PROCESSES} processes claim one target ${ITERATIONS} times each`,
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'coordination-race-'));
      const log = join(dir, 'ownership.log');
      writeFileSync(log, '');
      const directory = join(dir, 'coordination');
      const stats = await Promise.all(
        Array.from({ length: PROCESSES }, (_, index) =>
          runWorker({
            store: 'file',
            directory,
            target: TARGET,
            iterations: ITERATIONS,
            log,
            runId: `worker-${index}`,
            releaseProbability: 0.5,
            retryMs: 10,
          }),
        ),
      );
      checkWorkers(stats);
      const { ownerships } = checkLog(readFileSync(log, 'utf8'));
      const { lastToken, entries } = await checkHistory(new FileStore({ directory }), stats);
      expect(ownerships).toBe(lastToken);
      expect(entries).toBeGreaterThan(3 * PROCESSES);
      expect(ownerships).toBeGreaterThan(PROCESSES);
    },
    RACE_TIMEOUT_MS,
  );
});

describe.skipIf(!postgresUrl)(postgresName('PostgresStore race'), () => {
  it(
    `never has two owners across two machines: ${PROCESSES} processes claim one target ${ITERATIONS} times each`,
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'coordination-race-'));
      const log = join(dir, 'ownership.log');
      writeFileSync(log, '');
      const schema = freshSchemaName();
      const store = new PostgresStore({ connectionString: postgresUrl!, schema });
      try {
        await store.migrate();
        const stats = await Promise.all(
          Array.from({ length: PROCESSES }, (_, index) =>
            runWorker({
              store: 'postgres',
              url: postgresUrl,
              schema,
              machineId: index % 2 === 0 ? 'machine-a' : 'machine-b',
              target: TARGET,
              iterations: ITERATIONS,
              log,
              runId: `${index % 2 === 0 ? 'a' : 'b'}-worker-${index}`,
              releaseProbability: 0.5,
              retryMs: 10,
            }),
          ),
        );
        checkWorkers(stats);
        const { ownerships } = checkLog(readFileSync(log, 'utf8'));
        const { lastToken, entries } = await checkHistory(store, stats);
        expect(ownerships).toBe(lastToken);
        expect(entries).toBeGreaterThan(3 * PROCESSES);
        const machines = new Set(
          readFileSync(log, 'utf8')
            .split('\n')
            .filter((line) => line.startsWith('begin'))
            .map((line) => line.split(' ')[2]![0]),
        );
        expect(machines).toEqual(new Set(['a', 'b']));
      } finally {
        await store.close();
        await dropSchema(postgresUrl!, schema);
      }
    },
    RACE_TIMEOUT_MS,
  );
});
