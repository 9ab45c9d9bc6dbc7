import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIdentity, descendantsOf, getProcessInfoSync } from '@runwarden/process-identity';
import { copyBuiltPackage } from '@runwarden/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquire,
  breakLock,
  inspect,
  LockCorruptError,
  LockHeldError,
  type LockRecord,
  planAcquire,
  tryAcquire,
  withLock,
} from '../src/index.js';
import { children, endChildren, spawnFixture, until } from './helpers.js';

let dir: string;
let lockPath: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lock-core-'));
  chmodSync(dir, 0o755);
  lockPath = join(dir, 'state', 'RUN.lock');
});
afterEach(async () => {
  await endChildren();
  rmSync(dir, { recursive: true, force: true });
});

async function holdInAnotherProcess(options: string | Record<string, unknown> = {}) {
  const holder = spawnFixture('hold-lock.mjs', [
    lockPath,
    typeof options === 'string' ? options : JSON.stringify({ heartbeatMs: 50, ...options }),
  ]);
  expect(await holder.next()).toMatch(/^acquired \d+$/);
  return holder;
}

async function killAndReap(child: ReturnType<typeof spawnFixture>['child']): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

function body(): LockRecord {
  return JSON.parse(readFileSync(lockPath, 'utf8'));
}

/** Writes a lock body as another writer would: whole, then renamed into place. */
function writeLock(record: unknown, mtimeMs?: number): void {
  mkdirSync(join(dir, 'state'), { recursive: true, mode: 0o700 });
  writeFileSync(`${lockPath}.incoming`, JSON.stringify(record));
  if (mtimeMs !== undefined) utimesSync(`${lockPath}.incoming`, mtimeMs / 1000, mtimeMs / 1000);
  renameSync(`${lockPath}.incoming`, lockPath);
}

function leftovers(): string[] {
  return readdirSync(join(dir, 'state'))
    .filter((name) => name !== 'RUN.lock' && name !== 'RUN.lock.fence')
    .sort();
}

describe('tryAcquire', () => {
  it('creates the lock 0600 in a 0700 directory, and release removes it', async () => {
    const handle = await tryAcquire(lockPath, { heartbeatMs: 0 });
    expect(statSync(lockPath).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'state')).mode & 0o777).toBe(0o700);
    expect(body()).toMatchObject({
      schemaVersion: 1,
      nonce: handle.nonce,
      fencingToken: 1,
      holder: { pid: process.pid },
    });
    expect(await handle.release()).toEqual({ released: true, reason: 'released' });
    expect(inspect(lockPath).state).toBe('free');
    expect(await handle.release()).toEqual({ released: false, reason: 'already-released' });
    expect(leftovers()).toEqual([]);
  });

  it('refuses a second holder while the first is alive', async () => {
    const holder = await holdInAnotherProcess({ runId: 'run-a' });
    const error = await tryAcquire(lockPath).catch((caught: unknown) => caught);
    expect(LockHeldError.isInstance(error)).toBe(true);
    expect((error as LockHeldError).reason).toBe('holder-alive');
    expect((error as LockHeldError).holder?.holder.pid).toBe(holder.child.pid);
    expect((error as Error).message).toBe(
      `Lock ${lockPath} is held by pid ${holder.child.pid} on ${body().holder.hostname} (run run-a) (holder-alive).`,
    );
  });

  it('takes over at once from a holder killed with SIGKILL, with the next fencing token', async () => {
    const holder = await holdInAnotherProcess({ staleAfterMs: 600_000 });
    await killAndReap(holder.child);
    expect(inspect(lockPath)).toMatchObject({ state: 'stale', reason: 'holder-dead' });
    // No stale window to wait out: the holder is proven dead.
    const handle = await tryAcquire(lockPath, { heartbeatMs: 0, staleAfterMs: 600_000 });
    expect(handle.fencingToken).toBe(2);
    expect(handle.takeover?.reason).toBe('holder-dead');
    await handle.release();
    expect(leftovers()).toEqual([]);
  });

  it('issues strictly increasing fencing tokens across releases and takeovers', async () => {
    const tokens: number[] = [];
    for (let i = 0; i < 3; i++) {
      const handle = await tryAcquire(lockPath, { heartbeatMs: 0 });
      tokens.push(handle.fencingToken);
      await handle.release();
    }
    const holder = await holdInAnotherProcess();
    await killAndReap(holder.child);
    for (let i = 0; i < 2; i++) {
      const handle = await tryAcquire(lockPath, { heartbeatMs: 0 });
      tokens.push(handle.fencingToken);
      await handle.release();
    }
    expect(tokens).toEqual([1, 2, 3, 5, 6]);
  });

  it('leaves a garbage lock exactly as it was and names it', async () => {
    writeLock('x');
    writeFileSync(lockPath, 'garbage\n');
    const error = await tryAcquire(lockPath).catch((caught: unknown) => caught);
    expect(LockCorruptError.isInstance(error)).toBe(true);
    expect((error as LockCorruptError).code).toBe('ERR_LOCK_CORRUPT');
    expect((error as Error).message).toBe(
      `Lock file ${lockPath} is not a valid lock: it is not JSON. It was left exactly as it was.`,
    );
    expect(readFileSync(lockPath, 'utf8')).toBe('garbage\n');
  });

  it('leaves a garbage fencing counter exactly as it was, names it, and keeps no lock', async () => {
    await tryAcquire(lockPath, { heartbeatMs: 0 }).then((handle) => handle.release());
    writeFileSync(`${lockPath}.fence`, 'nonsense');
    const error = await tryAcquire(lockPath).catch((caught: unknown) => caught);
    expect(LockCorruptError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe(
      `Fencing counter ${lockPath}.fence is not valid: it is not JSON. It was left exactly as it was.`,
    );
    expect(readFileSync(`${lockPath}.fence`, 'utf8')).toBe('nonsense');
    expect(existsSync(lockPath)).toBe(false);
  });

  it('never follows a symlink in place of the lock', async () => {
    writeLock('x');
    rmSync(lockPath);
    writeFileSync(join(dir, 'elsewhere'), 'x');
    symlinkSync(join(dir, 'elsewhere'), lockPath);
    await expect(tryAcquire(lockPath)).rejects.toMatchObject({ code: 'ERR_LOCK_UNSAFE_PATH' });
    expect(readFileSync(join(dir, 'elsewhere'), 'utf8')).toBe('x');
  });

  it('says ERR_LOCK_IO, naming the directory, when it cannot write there', async () => {
    mkdirSync(join(dir, 'state'), { mode: 0o755 });
    // As root, permission bits do not stop us: run the contender as nobody, on a copy of
    // the package nobody can read (the checkout may be private to its owner).
    const readable = copyBuiltPackage(join(import.meta.dirname, '..'));
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import(${JSON.stringify(readable.entry)}).then((m) => m.tryAcquire(${JSON.stringify(lockPath)})).then(() => console.log('acquired'), (e) => console.log(e.code + ' ' + e.message))`,
      ],
      { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(child);
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
    });
    await once(child, 'exit');
    readable.remove();
    expect(out.trim()).toMatch(
      new RegExp(`^ERR_LOCK_IO Cannot create a temp file for ${lockPath}: EACCES`),
    );
  });

  it('understands a LifeOS runner_lock.py body and takes it over when its pid is dead', async () => {
    const gone = spawn('true');
    await once(gone, 'exit');
    writeLock({ pid: gone.pid, runner_token: 'opencode_ci_runner', repo_marker: dir });
    expect(inspect(lockPath)).toMatchObject({
      state: 'stale',
      reason: 'holder-dead',
      legacyHolder: { pid: gone.pid },
    });
    const handle = await tryAcquire(lockPath, { heartbeatMs: 0 });
    expect(handle.takeover?.previous.kind).toBe('legacy');
    expect(handle.fencingToken).toBe(1);
    await handle.release();
  });

  it('holds a LifeOS lock whose pid runs the runner token', async () => {
    const runner = spawn('sleep', ['30']);
    children.push(runner);
    writeLock({ pid: runner.pid, runner_token: 'sleep 30', repo_marker: dir });
    expect(inspect(lockPath)).toMatchObject({ state: 'held', reason: 'holder-alive' });
    await expect(tryAcquire(lockPath)).rejects.toMatchObject({
      code: 'ERR_LOCK_HELD',
      reason: 'holder-alive',
    });
  });

  it('gives a lock file left empty by a creator stopped between open and write its grace, then takes it over', async () => {
    mkdirSync(join(dir, 'state'), { mode: 0o700 });
    const creator = spawnFixture('open-then-stop.mjs', [lockPath]);
    expect(await creator.next()).toBe('opened');
    await until(() => readFileSync(`/proc/${creator.child.pid}/stat`, 'utf8').includes(') T '));
    expect(inspect(lockPath)).toMatchObject({ state: 'held', reason: 'being-written' });
    await expect(tryAcquire(lockPath)).rejects.toMatchObject({ reason: 'being-written' });
    const later = Date.now() + 3000;
    const handle = await tryAcquire(lockPath, { heartbeatMs: 0, now: () => later });
    expect(handle.takeover?.reason).toBe('incomplete-abandoned');
    await handle.release();
  });
});

describe('a live holder is never robbed', () => {
  it('keeps a holder SIGSTOPped for longer than the stale window; it learns its heartbeat was late', async () => {
    const holder = await holdInAnotherProcess({ staleAfterMs: 300, heartbeatMs: 100 });
    const nonce = body().nonce;
    holder.child.kill('SIGSTOP');
    await until(() => (inspect(lockPath, { staleAfterMs: 300 }).heartbeatAgeMs ?? 0) > 900);
    expect(inspect(lockPath, { staleAfterMs: 300 })).toMatchObject({
      state: 'held',
      reason: 'holder-alive',
    });
    await expect(
      acquire(lockPath, { staleAfterMs: 300, waitMs: 200, heartbeatMs: 0 }),
    ).rejects.toMatchObject({ code: 'ERR_LOCK_HELD', reason: 'holder-alive' });
    holder.child.kill('SIGCONT');
    expect(await holder.next()).toBe('compromised late-heartbeat');
    expect(body().nonce).toBe(nonce);
  });

  it('does not rob a holder that holds for many stale windows with a steady heartbeat', async () => {
    // Late heartbeats on a loaded machine are another test's subject.
    const holder = await holdInAnotherProcess({
      staleAfterMs: 300,
      heartbeatMs: 50,
      abortOnLateHeartbeat: false,
    });
    const nonce = body().nonce;
    await expect(
      acquire(lockPath, { staleAfterMs: 300, waitMs: 1200, heartbeatMs: 0 }),
    ).rejects.toMatchObject({ code: 'ERR_LOCK_HELD', reason: 'holder-alive' });
    holder.say('refresh');
    expect(await holder.next()).toBe('refreshed');
    expect(body().nonce).toBe(nonce);
  });
});

describe('another machine, another name', () => {
  async function liveIdentity() {
    const runner = spawn('sleep', ['30']);
    children.push(runner);
    await until(() => captureIdentity(runner.pid!)?.comm === 'sleep');
    return { runner, identity: captureIdentity(runner.pid!)! };
  }

  function recordOf(holder: LockRecord['holder'], heartbeatAt: string): LockRecord {
    return {
      schemaVersion: 1,
      runnerToken: 'runwarden',
      repoMarker: dir,
      holder,
      acquiredAt: heartbeatAt,
      heartbeatAt,
      nonce: 'foreign-nonce-1',
      fencingToken: 9,
    };
  }

  it('holds a lock from another machine id with a fresh heartbeat, even with the opt-in', async () => {
    const { identity } = await liveIdentity();
    writeLock(recordOf({ ...identity, machineId: 'another-machine' }, new Date().toISOString()));
    const seen = inspect(lockPath, { foreignHostTakeover: true, staleAfterMs: 5000 });
    expect(seen).toMatchObject({
      state: 'held',
      reason: 'foreign-host',
      holderVerdict: { status: 'foreign-host', reason: 'machine-id-differs' },
    });
    expect(seen.explanation).toContain('on another machine or pid namespace');
    await expect(
      tryAcquire(lockPath, { foreignHostTakeover: true, staleAfterMs: 5000 }),
    ).rejects.toMatchObject({ reason: 'foreign-host' });
  });

  it('takes over a foreign lock with a stale heartbeat only with the opt-in', async () => {
    const { identity } = await liveIdentity();
    const longAgo = Date.now() - 600_000;
    writeLock(
      recordOf({ ...identity, machineId: 'another-machine' }, new Date(longAgo).toISOString()),
      longAgo,
    );
    await expect(tryAcquire(lockPath, { staleAfterMs: 5000 })).rejects.toMatchObject({
      reason: 'foreign-host',
    });
    expect(inspect(lockPath, { staleAfterMs: 5000 }).explanation).toContain(
      'with foreignHostTakeover it is taken over once that passes 5.0 s',
    );
    const handle = await tryAcquire(lockPath, {
      foreignHostTakeover: true,
      staleAfterMs: 5000,
      heartbeatMs: 0,
    });
    expect(handle.takeover?.reason).toBe('foreign-heartbeat-expired');
    expect(handle.fencingToken).toBe(10);
    await handle.release();
  });

  it('treats the same machine id under a new hostname as this machine', async () => {
    const { runner, identity } = await liveIdentity();
    writeLock(recordOf({ ...identity, hostname: 'old-name' }, new Date(0).toISOString()));
    expect(inspect(lockPath, { foreignHostTakeover: true })).toMatchObject({
      state: 'held',
      reason: 'holder-alive',
    });
    await killAndReap(runner);
    expect(inspect(lockPath)).toMatchObject({ state: 'stale', reason: 'holder-dead' });
    const handle = await tryAcquire(lockPath, { heartbeatMs: 0 });
    expect(handle.takeover?.reason).toBe('holder-dead');
    await handle.release();
  });
});

const isRoot = process.getuid?.() === 0;
const hasUnshare = existsSync('/usr/bin/unshare');

describe('pid reuse and pid namespaces', () => {
  it.skipIf(!isRoot)(
    'calls a lock stale when its pid now belongs to another process, and never touches that process (skipped when not root: needs /proc/sys/kernel/ns_last_pid)',
    async () => {
      const holder = await holdInAnotherProcess();
      const pid = holder.child.pid!;
      await killAndReap(holder.child);
      let reuser: ReturnType<typeof spawn> | undefined;
      for (let attempt = 0; attempt < 50 && !reuser; attempt++) {
        writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
        const candidate = spawn('sleep', ['30'], { stdio: 'ignore' });
        children.push(candidate);
        if (candidate.pid === pid) reuser = candidate;
        else {
          candidate.kill('SIGKILL');
          await once(candidate, 'exit');
        }
      }
      expect(reuser?.pid, 'another process took the pid 50 times in a row').toBe(pid);
      await until(() => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep');
      expect(inspect(lockPath)).toMatchObject({
        state: 'stale',
        reason: 'holder-reused',
        holderVerdict: { status: 'reused', reason: 'start-time-differs' },
      });
      const handle = await tryAcquire(lockPath, { heartbeatMs: 0 });
      expect(handle.takeover?.reason).toBe('holder-reused');
      await handle.release();
      // The process that got the pid is untouched: still running sleep, not stopped, not signalled.
      // Its state is R (on its way into nanosleep) or S (in it), never T (stopped) or Z (ended).
      expect(reuser!.exitCode).toBe(null);
      expect(reuser!.signalCode).toBe(null);
      expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toMatch(/^\d+ \(sleep\) [RS] /);
      expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^SigPnd:\s+0+$/m);
    },
  );

  it.skipIf(!isRoot || !hasUnshare)(
    'holds a lock whose holder lives in another pid namespace of this machine (skipped when not root or without unshare)',
    async () => {
      const holder = spawnFixture(
        'hold-lock.mjs',
        [lockPath, JSON.stringify({ heartbeatMs: 50 })],
        {},
        // --kill-child: the holder is pid 1 of its namespace, which ignores SIGTERM; it must go with unshare.
        ['unshare', '--pid', '--fork', '--kill-child', '--mount-proc'],
      );
      expect(await holder.next()).toMatch(/^acquired 1$/);
      const outside = descendantsOf(holder.child.pid!).map((row) => row.pid);
      expect(outside).toHaveLength(1);
      expect(body().holder.pid).toBeLessThan(10);
      expect(body().pidNamespace).not.toBe(readlinkSync('/proc/self/ns/pid'));
      expect(inspect(lockPath)).toMatchObject({
        state: 'held',
        reason: 'foreign-host',
        holderVerdict: { status: 'foreign-host', reason: 'pid-namespace-differs' },
      });
      await expect(tryAcquire(lockPath)).rejects.toMatchObject({ reason: 'foreign-host' });
      // A test leaves nothing behind: ending unshare ends the holder inside.
      await endChildren();
      await until(() => {
        const info = getProcessInfoSync(outside[0]!, { cmdline: false });
        return info === null || info.state === 'Z';
      });
    },
  );
});

describe('heartbeat and compromise', () => {
  it('writes heartbeatAt in place, into its own file', async () => {
    let clock = Date.parse('2026-11-26T00:00:00.000Z');
    const handle = await tryAcquire(lockPath, { heartbeatMs: 0, now: () => clock });
    const inode = lstatSync(lockPath).ino;
    clock += 5000;
    await handle.refresh();
    expect(body().heartbeatAt).toBe('2026-11-26T00:00:05.000Z');
    expect(lstatSync(lockPath).ino).toBe(inode);
    await handle.release();
  });

  it('aborts the signal when the lock is removed under its holder', async () => {
    const handle = await tryAcquire(lockPath, { heartbeatMs: 10 });
    rmSync(lockPath);
    await once(handle.signal, 'abort');
    expect(handle.signal.reason).toMatchObject({
      name: 'LockCompromisedError',
      code: 'ERR_LOCK_COMPROMISED',
      reason: 'removed',
      message: `Lock ${lockPath} was removed.`,
    });
    expect(await handle.release()).toEqual({ released: false, reason: 'missing' });
  });

  it('aborts the signal when the lock is replaced, and a release then leaves the new lock alone', async () => {
    const handle = await tryAcquire(lockPath, { heartbeatMs: 10 });
    const other = { ...body(), nonce: 'someone-else-1', holder: { ...body().holder, pid: 1 } };
    writeLock(other);
    await once(handle.signal, 'abort');
    expect(handle.signal.reason).toMatchObject({
      reason: 'replaced',
      message: `Lock ${lockPath} was replaced by pid 1 on ${other.holder.hostname}.`,
    });
    expect(await handle.release()).toEqual({ released: false, reason: 'not-ours' });
    expect(body().nonce).toBe('someone-else-1');
  });

  it('aborts the signal when a refresh comes later than the stale window', async () => {
    let clock = 1_000_000;
    const handle = await tryAcquire(lockPath, {
      heartbeatMs: 1000,
      staleAfterMs: 3000,
      now: () => clock,
    });
    clock += 3001;
    await expect(handle.refresh()).rejects.toMatchObject({
      reason: 'late-heartbeat',
      message: `Heartbeat of ${lockPath} came 3001 ms after the last (stale window 3000 ms).`,
    });
    expect(handle.signal.aborted).toBe(true);
    // Nobody took it: the release still removes it.
    expect(await handle.release()).toEqual({ released: true, reason: 'released' });
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

  it('takes over within moments when the holder it waits for is killed', async () => {
    const holder = await holdInAnotherProcess({ staleAfterMs: 600_000 });
    const waiting = acquire(lockPath, { waitMs: 30_000, heartbeatMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const killedAt = performance.now();
    holder.child.kill('SIGKILL');
    const handle = await waiting;
    // Generous for 2 shared cores; the benchmark measures the real figure.
    expect(performance.now() - killedAt).toBeLessThan(5000);
    expect(handle.takeover?.reason).toBe('holder-dead');
    await handle.release();
  });

  it('gives up after waitMs with the holder named', async () => {
    const holder = await holdInAnotherProcess();
    const started = performance.now();
    const error = await acquire(lockPath, { waitMs: 300 }).catch((caught: unknown) => caught);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(error).toMatchObject({ code: 'ERR_LOCK_HELD', reason: 'holder-alive' });
    expect((error as Error).message).toContain(`held by pid ${holder.child.pid}`);
  });

  it('stops waiting when its signal aborts', async () => {
    await holdInAnotherProcess();
    const controller = new AbortController();
    const waiting = acquire(lockPath, { waitMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('enough')), 50);
    await expect(waiting).rejects.toThrow('enough');
  });

  it('never waits on a corrupt lock', async () => {
    writeLock('x');
    writeFileSync(lockPath, '{"schemaVersion": 7}');
    await expect(acquire(lockPath, { waitMs: 60_000 })).rejects.toMatchObject({
      code: 'ERR_LOCK_CORRUPT',
      message: `Lock file ${lockPath} is not a valid lock: it has schemaVersion 7, newer than this runwarden understands (1). It was left exactly as it was.`,
    });
  });

  it('releases after the function, also when it throws', async () => {
    await expect(
      withLock(lockPath, () => Promise.reject(new Error('boom')), { heartbeatMs: 0 }),
    ).rejects.toThrow('boom');
    expect(inspect(lockPath).state).toBe('free');
  });

  it('moves a corrupt lock aside instead of deleting it', async () => {
    writeLock('x');
    writeFileSync(lockPath, 'garbage');
    expect(await breakLock(lockPath, { dryRun: true })).toMatchObject({ wouldDo: 'moved-corrupt' });
    expect(readFileSync(lockPath, 'utf8')).toBe('garbage');
    const result = await breakLock(lockPath);
    expect(result.action).toBe('moved-corrupt');
    expect(readFileSync(result.movedTo!, 'utf8')).toBe('garbage');
    expect(inspect(lockPath).state).toBe('free');
  });

  it('removes a stale lock, keeping its fencing token', async () => {
    const holder = await holdInAnotherProcess();
    await killAndReap(holder.child);
    expect(await breakLock(lockPath)).toEqual({ action: 'removed-stale', reason: 'holder-dead' });
    const handle = await tryAcquire(lockPath, { heartbeatMs: 0 });
    expect(handle.fencingToken).toBe(2);
    await handle.release();
  });

  it('will not break a live lock', async () => {
    await holdInAnotherProcess();
    await expect(breakLock(lockPath)).rejects.toMatchObject({ code: 'ERR_LOCK_HELD' });
  });
});

describe('planAcquire (the dry run)', () => {
  it('says what acquire would do and touches nothing', async () => {
    expect(planAcquire(lockPath)).toMatchObject({
      outcome: 'would-acquire',
      reason: 'no-lock-file',
    });
    expect(existsSync(join(dir, 'state'))).toBe(false);
    const holder = await holdInAnotherProcess();
    expect(planAcquire(lockPath)).toMatchObject({
      outcome: 'would-be-held',
      reason: 'holder-alive',
    });
    await killAndReap(holder.child);
    const before = readFileSync(lockPath, 'utf8');
    const inode = lstatSync(lockPath).ino;
    const dry = planAcquire(lockPath);
    expect(dry).toMatchObject({ outcome: 'would-take-over', reason: 'holder-dead' });
    expect(dry.inspection.explanation).toMatch(/^Stale: pid \d+ on .* is gone \(no-such-process\)/);
    expect(readFileSync(lockPath, 'utf8')).toBe(before);
    expect(lstatSync(lockPath).ino).toBe(inode);
    writeFileSync(lockPath, 'garbage');
    expect(planAcquire(lockPath)).toMatchObject({
      outcome: 'would-fail-corrupt',
    });
  });

  it('acquire refuses the dryRun option of older versions instead of taking the lock', async () => {
    const options = { dryRun: true } as Parameters<typeof acquire>[1];
    await expect(acquire(lockPath, options)).rejects.toThrow(
      new TypeError(
        'acquire() takes no dryRun option: call planAcquire(path, options) to see what it would do.',
      ),
    );
    await expect(tryAcquire(lockPath, options)).rejects.toThrow(TypeError);
    expect(existsSync(lockPath)).toBe(false);
  });
});

describe('crash windows', () => {
  async function crashIn(failpoint: string, operation = 'acquire'): Promise<void> {
    const crasher = spawnFixture('crash.mjs', [lockPath, operation], {
      RUNWARDEN_LOCK_FAILPOINT: failpoint,
    });
    const exited = once(crasher.child, 'exit');
    let line = await crasher.next();
    if (operation === 'refresh') {
      expect(line).toMatch(/^acquired/);
      line = await crasher.next();
    }
    expect(line).toBe('<exit>');
    await exited;
    expect(crasher.child.signalCode).toBe('SIGKILL');
  }

  function age(name: string, ms: number): void {
    const at = (Date.now() - ms) / 1000;
    utimesSync(join(dir, 'state', name), at, at);
  }

  it('a creator killed between temp create and write, or before link, wedges nothing; its temp file is collected once abandoned', async () => {
    await crashIn('after-temp-open');
    await crashIn('before-link');
    const temps = leftovers();
    expect(temps).toHaveLength(2);
    expect(temps.every((name) => name.startsWith('RUN.lock.tmp.'))).toBe(true);
    expect(inspect(lockPath).state).toBe('free');
    age(temps[0]!, 10_000);
    const handle = await tryAcquire(lockPath, { heartbeatMs: 0 });
    expect(handle.fencingToken).toBe(1);
    // The abandoned one is gone; the young one may belong to a creator still at work.
    expect(leftovers()).toEqual([temps[1]]);
    await handle.release();
  });

  it('a creator killed right after the link leaves a stale lock that is taken over at once', async () => {
    await crashIn('after-link');
    expect(inspect(lockPath)).toMatchObject({ state: 'stale', reason: 'holder-dead' });
    const handle = await tryAcquire(lockPath, { heartbeatMs: 0 });
    expect(handle.fencingToken).toBe(2);
    await handle.release();
  });

  it('a holder killed before its first fence write: the next token is still higher', async () => {
    await crashIn('before-fence-write');
    expect(body().fencingToken).toBe(1);
    expect(existsSync(`${lockPath}.fence`)).toBe(false);
    const handle = await tryAcquire(lockPath, { heartbeatMs: 0 });
    expect(handle.fencingToken).toBe(2);
    await handle.release();
  });

  it('a holder killed mid-refresh leaves a whole lock, taken over at once', async () => {
    await crashIn('before-heartbeat-write', 'refresh');
    expect(body().fencingToken).toBe(1);
    const handle = await tryAcquire(lockPath, { heartbeatMs: 0 });
    expect(handle.fencingToken).toBe(2);
    await handle.release();
  });

  it('a claimant killed holding its claim does not wedge the takeover; its claim is collected', async () => {
    const holder = await holdInAnotherProcess();
    await killAndReap(holder.child);
    await crashIn('after-claim');
    expect(leftovers().filter((name) => name.includes('.claim.'))).toHaveLength(1);
    const handle = await tryAcquire(lockPath, { heartbeatMs: 0 });
    expect(handle.takeover?.reason).toBe('holder-dead');
    expect(handle.fencingToken).toBe(2);
    expect(leftovers().filter((name) => name.includes('.claim.'))).toEqual([]);
    await handle.release();
  });

  it('the fencing counter survives holders killed at random moments of acquire and release', async () => {
    let highest = 0;
    for (let round = 0; round < 8; round++) {
      const churn = spawnFixture('churn.mjs', [lockPath]);
      const lines = 5 + Math.floor(Math.random() * 40);
      for (let i = 0; i < lines; i++) {
        const token = Number((await churn.next()).split(' ')[1]);
        expect(token).toBeGreaterThan(highest);
        highest = token;
      }
      await killAndReap(churn.child);
      for (let line = await churn.next(); line !== '<exit>'; line = await churn.next()) {
        const token = Number(line.split(' ')[1]);
        expect(token).toBeGreaterThan(highest);
        highest = token;
      }
      const fence = JSON.parse(readFileSync(`${lockPath}.fence`, 'utf8'));
      expect(fence.fencingToken).toBeGreaterThanOrEqual(highest);
    }
    const handle = await tryAcquire(lockPath, { heartbeatMs: 0 });
    expect(handle.fencingToken).toBeGreaterThan(highest);
    await handle.release();
  });
});
