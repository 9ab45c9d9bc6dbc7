import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { captureIdentity } from '@runwarden/process-identity';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoordinationError, FileStore } from '../src/index.js';

let dir: string;
let store: FileStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'coordination-'));
  store = new FileStore({ directory: join(dir, 'coordination') });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('FileStore', () => {
  it("writes a pull request's record where dev-loops keeps it, private, schema version 2", async () => {
    const result = await store.claim('Acme/Widgets#12', { runId: 'run-a' });
    expect(result).toMatchObject({
      ok: true,
      status: 'claimed_new',
      target: 'acme/widgets#12',
      fencingToken: 1,
    });
    const path = join(dir, 'coordination', 'acme', 'widgets', 'pr-12.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({
      schemaVersion: 2,
      target: { repo: 'acme/widgets', pr: 12 },
      activeRun: { runId: 'run-a' },
    });
  });

  it('runs claim, conflict, release and exit signal end to end', async () => {
    await store.claim('queue:item-7', { runId: 'run-a', owner: captureIdentity()! });
    expect(await store.claim('queue:item-7', { runId: 'run-b' })).toMatchObject({
      ok: false,
      error: 'active_run_exists',
    });
    expect(await store.assertOwnership('queue:item-7', { runId: 'run-a' })).toMatchObject({
      status: 'owner_confirmed',
    });
    expect(
      await store.recordExitSignal('queue:item-7', { runId: 'run-a', reason: 'OK' }),
    ).toMatchObject({ status: 'exit_signal_recorded' });
    expect(await store.release('queue:item-7', 'run-a')).toMatchObject({ status: 'released' });
    expect(await store.claim('queue:item-7', { runId: 'run-b' })).toMatchObject({
      status: 'claimed_new',
      fencingToken: 2,
    });
    expect((await store.list()).map((entry) => entry.target)).toEqual(['queue:item-7']);
  });

  it('lets a new run claim at once when the owner process is dead', async () => {
    const gone = spawn('true');
    await once(gone, 'exit');
    const deadOwner = { ...captureIdentity()!, pid: gone.pid!, startTicks: 1 };
    await store.claim('acme/widgets#1', { runId: 'run-a', owner: deadOwner });
    expect(await store.claim('acme/widgets#1', { runId: 'run-b' })).toMatchObject({
      status: 'claimed_dead_owner',
      fencingToken: 2,
    });
  });

  it('reads a dev-loops schema 1 record and keeps dev-loops fields', async () => {
    const path = join(dir, 'coordination', 'acme', 'widgets', 'pr-3.json');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(
      path,
      JSON.stringify({
        schemaVersion: 1,
        target: { repo: 'acme/widgets', pr: 3 },
        activeRun: {
          runId: 'devloops-run',
          claimedAt: '2026-01-01T00:00:00.000Z',
          updatedAt: '2026-01-01T00:00:00.000Z',
        },
        previousRun: null,
        history: [{ type: 'claim', runId: 'devloops-run', at: '2026-01-01T00:00:00.000Z' }],
      }),
    );
    expect(await store.claim('acme/widgets#3', { runId: 'run-b' })).toMatchObject({
      ok: false,
      error: 'active_run_exists',
    });
    expect(await store.release('acme/widgets#3', 'devloops-run')).toMatchObject({
      status: 'released',
    });
  });

  it('refuses a corrupt file with a typed error naming it, and leaves it as it was', async () => {
    const path = join(dir, 'coordination', 'other', 'queue%3Abroken.json');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '{"schemaVersion": 2, "target": ');
    const error = await store
      .claim('queue:broken', { runId: 'run-a' })
      .catch((caught: unknown) => caught);
    expect(CoordinationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_INVALID_STATE', path });
    expect((error as Error).message).toBe(
      `Coordination state ${path} is unusable: it is not valid JSON (truncated or corrupt). It was left exactly as it was.`,
    );
    expect(readFileSync(path, 'utf8')).toBe('{"schemaVersion": 2, "target": ');
  });

  it('refuses an unknown schema version and keeps the file', async () => {
    const path = store.pathOf('queue:future');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '{"schemaVersion": 9}');
    await expect(store.get('queue:future')).rejects.toThrow(/schemaVersion 9 is not one of 1, 2/);
    expect(readFileSync(path, 'utf8')).toBe('{"schemaVersion": 9}');
  });
});

describe('FileStore and dev-loops', () => {
  const devLoopsRecord = {
    schemaVersion: 2,
    target: { repo: 'acme/widgets', pr: 4 },
    activeRun: null,
    previousRun: {
      runId: 'devloops-run',
      replacedAt: '2026-01-01T00:00:00.000Z',
      replacedByRunId: null,
    },
    history: [
      { type: 'claim', runId: 'devloops-run', at: '2026-01-01T00:00:00.000Z', fencingToken: 5 },
      { type: 'release', runId: 'devloops-run', at: '2026-01-01T00:00:01.000Z' },
    ],
    exitSignals: [{ runId: 'devloops-run', at: '2026-01-01T00:00:01.000Z', reason: 'done' }],
    devLoopsNote: 'kept',
  };

  it("writes schemaVersion 2 with runwarden's fields beside dev-loops' own, which stay", async () => {
    const path = store.pathOf('acme/widgets#4');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(devLoopsRecord));
    const owner = captureIdentity()!;
    // dev-loops rewrote the file without lastFencingToken: the token in its history still counts.
    expect(await store.claim('acme/widgets#4', { runId: 'run-b', owner })).toMatchObject({
      status: 'claimed_new',
      fencingToken: 6,
    });
    const written = JSON.parse(readFileSync(path, 'utf8'));
    expect(written).toMatchObject({
      schemaVersion: 2,
      target: { repo: 'acme/widgets', pr: 4 },
      activeRun: { runId: 'run-b', owner, leaseMs: 300_000, fencingToken: 6 },
      exitSignals: devLoopsRecord.exitSignals,
      devLoopsNote: 'kept',
      lastFencingToken: 6,
    });
    expect(written.history.slice(0, 2)).toEqual(devLoopsRecord.history);
    expect(typeof written.activeRun.claimedAt).toBe('string');
    expect(typeof written.activeRun.updatedAt).toBe('string');
  });

  it('refuses a record that names another target, and a symlink, leaving both as they are', async () => {
    const path = store.pathOf('acme/widgets#5');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(devLoopsRecord));
    await expect(store.claim('acme/widgets#5', { runId: 'run-a' })).rejects.toMatchObject({
      code: 'ERR_INVALID_STATE',
      message: `Coordination state ${path} is unusable: it belongs to target "acme/widgets#4", not acme/widgets#5. It was left exactly as it was.`,
    });
    const linked = store.pathOf('acme/widgets#6');
    symlinkSync(path, linked);
    await expect(store.get('acme/widgets#6')).rejects.toMatchObject({
      code: 'ERR_INVALID_STATE',
      message: `Coordination state ${linked} is unusable: it is a symlink, and runwarden never follows a symlink into state. It was left exactly as it was.`,
    });
    expect(readFileSync(path, 'utf8')).toBe(JSON.stringify(devLoopsRecord));
  });

  it("quotes zod's first issue in English for a record that does not match", async () => {
    const path = store.pathOf('queue:odd');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify({ schemaVersion: 2, target: { key: 'queue:odd' } }));
    await expect(store.get('queue:odd')).rejects.toMatchObject({
      code: 'ERR_INVALID_STATE',
      message: `Coordination state ${path} is unusable: activeRun: Invalid input: expected object, received undefined. It was left exactly as it was.`,
    });
  });

  it('moves history past the limit to a private archive file beside the record', async () => {
    const small = new FileStore({ directory: join(dir, 'coordination'), historyLimit: 2 });
    for (let round = 1; round <= 3; round++) {
      await small.claim('acme/widgets#8', { runId: `run-${round}` });
      await small.release('acme/widgets#8', `run-${round}`);
    }
    const archive = join(dir, 'coordination', 'acme', 'widgets', 'pr-8.archive.jsonl');
    expect(small.archivePathOf('acme/widgets#8')).toBe(archive);
    expect(statSync(archive).mode & 0o777).toBe(0o600);
    const lines = readFileSync(archive, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => [line.kind, line.entry.type, line.entry.runId])).toEqual([
      ['history', 'claim', 'run-1'],
      ['history', 'release', 'run-1'],
      ['history', 'claim', 'run-2'],
      ['history', 'release', 'run-2'],
    ]);
    expect((await small.get('acme/widgets#8'))?.history.map((entry) => entry.runId)).toEqual([
      'run-3',
      'run-3',
    ]);
    expect((await small.list()).map((entry) => entry.target)).toEqual(['acme/widgets#8']);
  });
});
