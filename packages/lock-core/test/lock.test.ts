import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquire,
  breakLock,
  inspect,
  LockCorruptError,
  LockHeldError,
  tryAcquire,
  withLock,
} from '../src/index.js';

const fixtures = join(import.meta.dirname, 'fixtures');
let dir: string;
let lockPath: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lock-core-'));
  lockPath = join(dir, 'state', 'RUN.lock');
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function firstLine(child: ChildProcess): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve) => lines.once('line', resolve));
}

async function holdInAnotherProcess(runId?: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [join(fixtures, 'hold-lock.mjs'), lockPath, ...(runId ? [runId] : [])],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  expect(await firstLine(child)).toMatch(/^acquired \d+$/);
  return child;
}

describe('tryAcquire', () => {
  it('creates the lock 0600 in a 0700 directory, and release removes it', async () => {
    const handle = await tryAcquire(lockPath, { heartbeatMs: 0 });
    expect(statSync(lockPath).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'state')).mode & 0o777).toBe(0o700);
    const body = JSON.parse(readFileSync(lockPath, 'utf8'));
    expect(body).toMatchObject({
      schemaVersion: 1,
      nonce: handle.nonce,
      fencingToken: 1,
      holder: { pid: process.pid },
    });
    expect(await handle.release()).toEqual({ released: true, reason: 'released' });
    expect(inspect(lockPath).state).toBe('free');
    expect(await handle.release()).toEqual({ released: false, reason: 'already-released' });
  });

  it('refuses a second holder while the first is alive', async () => {
    const holder = await holdInAnotherProcess('run-a');
    const error = await tryAcquire(lockPath).catch((caught: unknown) => caught);
    expect(LockHeldError.isInstance(error)).toBe(true);
    expect((error as LockHeldError).reason).toBe('holder-alive');
    expect((error as LockHeldError).holder?.holder.pid).toBe(holder.pid);
    expect((error as Error).message).toContain(`held by pid ${holder.pid}`);
  });

  it('takes over at once from a holder killed with SIGKILL, with the next fencing token', async () => {
    const holder = await holdInAnotherProcess();
    holder.kill('SIGKILL');
    await once(holder, 'exit');
    expect(inspect(lockPath)).toMatchObject({ state: 'stale', reason: 'holder-dead' });
    const handle = await tryAcquire(lockPath, { heartbeatMs: 0 });
    expect(handle.fencingToken).toBe(2);
    expect(handle.takeover?.reason).toBe('holder-dead');
    await handle.release();
  });

  it('keeps a stopped (SIGSTOP) holder: alive is held, whatever the heartbeat', async () => {
    const holder = await holdInAnotherProcess();
    holder.kill('SIGSTOP');
    try {
      const error = await tryAcquire(lockPath, { staleAfterMs: 1 }).catch(
        (caught: unknown) => caught,
      );
      expect((error as LockHeldError).reason).toBe('holder-alive');
    } finally {
      holder.kill('SIGCONT');
    }
  });

  it('issues strictly increasing fencing tokens across releases', async () => {
    const tokens: number[] = [];
    for (let i = 0; i < 5; i++) {
      const handle = await tryAcquire(lockPath, { heartbeatMs: 0 });
      tokens.push(handle.fencingToken);
      await handle.release();
    }
    expect(tokens).toEqual([1, 2, 3, 4, 5]);
  });

  it('leaves a garbage lock exactly as it was and names it', async () => {
    await tryAcquire(lockPath, { heartbeatMs: 0 }).then((handle) => handle.release());
    writeFileSync(lockPath, 'garbage\n');
    const error = await tryAcquire(lockPath).catch((caught: unknown) => caught);
    expect(LockCorruptError.isInstance(error)).toBe(true);
    expect((error as LockCorruptError).code).toBe('ERR_LOCK_CORRUPT');
    expect((error as Error).message).toBe(
      `Lock file ${lockPath} is not a valid lock: it is not JSON. It was left exactly as it was.`,
    );
    expect(readFileSync(lockPath, 'utf8')).toBe('garbage\n');
  });

  it('never follows a symlink in place of the lock', async () => {
    await tryAcquire(lockPath, { heartbeatMs: 0 }).then((handle) => handle.release());
    writeFileSync(join(dir, 'elsewhere'), 'x');
    symlinkSync(join(dir, 'elsewhere'), lockPath);
    await expect(tryAcquire(lockPath)).rejects.toMatchObject({ code: 'ERR_LOCK_UNSAFE_PATH' });
    expect(readFileSync(join(dir, 'elsewhere'), 'utf8')).toBe('x');
  });

  it('understands a LifeOS runner_lock.py body and takes it over when its pid is dead', async () => {
    await tryAcquire(lockPath, { heartbeatMs: 0 }).then((handle) => handle.release());
    const gone = spawn('true');
    await once(gone, 'exit');
    writeFileSync(
      lockPath,
      JSON.stringify({ pid: gone.pid, runner_token: 'opencode_ci_runner', repo_marker: dir }),
    );
    expect(inspect(lockPath)).toMatchObject({
      state: 'stale',
      reason: 'holder-dead',
      legacyHolder: { pid: gone.pid },
    });
    const handle = await tryAcquire(lockPath, { heartbeatMs: 0 });
    expect(handle.takeover?.previous.kind).toBe('legacy');
    await handle.release();
  });

  it('holds a LifeOS lock whose pid runs the runner token', async () => {
    await tryAcquire(lockPath, { heartbeatMs: 0 }).then((handle) => handle.release());
    const runner = spawn('sleep', ['30']);
    children.push(runner);
    writeFileSync(
      lockPath,
      JSON.stringify({ pid: runner.pid, runner_token: 'sleep 30', repo_marker: dir }),
    );
    expect(inspect(lockPath)).toMatchObject({ state: 'held', reason: 'holder-alive' });
  });

  it('gives an empty lock file its grace, then takes it over', async () => {
    await tryAcquire(lockPath, { heartbeatMs: 0 }).then((handle) => handle.release());
    writeFileSync(lockPath, '');
    expect(inspect(lockPath)).toMatchObject({ state: 'held', reason: 'being-written' });
    const later = Date.now() + 3000;
    const handle = await tryAcquire(lockPath, { heartbeatMs: 0, now: () => later });
    expect(handle.takeover?.reason).toBe('incomplete-abandoned');
    await handle.release();
  });
});

describe('race for a stale lock', () => {
  it('lets exactly one of 8 contenders win', async () => {
    const holder = await holdInAnotherProcess();
    holder.kill('SIGKILL');
    await once(holder, 'exit');
    const startFile = join(dir, 'go');
    const contenders = Array.from({ length: 8 }, () => {
      const child = spawn(process.execPath, [join(fixtures, 'race.mjs'), lockPath, startFile], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      return firstLine(child);
    });
    writeFileSync(startFile, '');
    const outcomes = await Promise.all(contenders);
    expect(outcomes.filter((line) => line.startsWith('won'))).toEqual(['won 2']);
    expect(outcomes.filter((line) => line.startsWith('lost')).length).toBe(7);
  });
});

describe('heartbeat and compromise', () => {
  it('aborts the signal when the lock is removed under its holder', async () => {
    const handle = await tryAcquire(lockPath, { heartbeatMs: 10 });
    rmSync(lockPath);
    await once(handle.signal, 'abort');
    expect((handle.signal.reason as Error).name).toBe('LockCompromisedError');
    expect(await handle.release()).toEqual({ released: false, reason: 'missing' });
  });

  it('refreshes heartbeatAt', async () => {
    let clock = Date.parse('2026-11-26T00:00:00.000Z');
    const handle = await tryAcquire(lockPath, { heartbeatMs: 0, now: () => clock });
    clock += 5000;
    await handle.refresh();
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).heartbeatAt).toBe('2026-11-26T00:00:05.000Z');
    await handle.release();
  });
});

describe('acquire, withLock and breakLock', () => {
  it('waits for a holder that lets go', async () => {
    const first = await tryAcquire(lockPath, { heartbeatMs: 0 });
    const waiting = acquire(lockPath, { waitMs: 5000, heartbeatMs: 0 });
    setTimeout(() => void first.release(), 50);
    const second = await waiting;
    expect(second.fencingToken).toBe(2);
    await second.release();
  });

  it('releases after the function, also when it throws', async () => {
    await expect(
      withLock(lockPath, () => Promise.reject(new Error('boom')), { heartbeatMs: 0 }),
    ).rejects.toThrow('boom');
    expect(inspect(lockPath).state).toBe('free');
  });

  it('moves a corrupt lock aside instead of deleting it', async () => {
    await tryAcquire(lockPath, { heartbeatMs: 0 }).then((handle) => handle.release());
    writeFileSync(lockPath, 'garbage');
    const result = await breakLock(lockPath);
    expect(result.action).toBe('moved-corrupt');
    expect(readFileSync(result.movedTo!, 'utf8')).toBe('garbage');
    expect(inspect(lockPath).state).toBe('free');
  });

  it('will not break a live lock', async () => {
    await holdInAnotherProcess();
    await expect(breakLock(lockPath)).rejects.toMatchObject({ code: 'ERR_LOCK_HELD' });
  });
});
