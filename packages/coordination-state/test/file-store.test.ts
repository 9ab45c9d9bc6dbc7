import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
