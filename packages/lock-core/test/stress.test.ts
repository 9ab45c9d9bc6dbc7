import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIdentity } from '@runwarden/process-identity';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspect, type LockRecord, tryAcquire } from '../src/index.js';
import { children, endChildren, spawnFixture, type Talking, until } from './helpers.js';

let dir: string;
let lockPath: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lock-core-stress-'));
  lockPath = join(dir, 'state', 'RUN.lock');
});
afterEach(async () => {
  await endChildren();
  rmSync(dir, { recursive: true, force: true });
});

function holderPid(): number | undefined {
  try {
    return (JSON.parse(readFileSync(lockPath, 'utf8')) as LockRecord).holder.pid;
  } catch {
    return undefined;
  }
}

function stateOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
  } catch {
    return undefined;
  }
}

describe('stress', () => {
  it('16 processes × 500 cycles with holders SIGKILLed at random: never two inside, tokens strictly increasing, nothing wedged', async () => {
    const log = join(dir, 'log');
    writeFileSync(log, '');
    const perWorker = 500;
    const workers = new Map<number, { talking: Talking; budget: number }>();
    const start = (budget: number) => {
      const talking = spawnFixture('worker.mjs', [lockPath, log, String(budget)]);
      workers.set(talking.child.pid!, { talking, budget });
    };
    for (let i = 0; i < 16; i++) start(perWorker);
    const doneCount = () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('exit ')).length;
    let kills = 0;
    const finished = new Set<number>();
    for (const [pid, worker] of workers) {
      void worker.talking.next().then((line) => line === 'done' && finished.add(pid));
    }
    // Kill the holder now and then: stop it first, so everything it wrote is
    // in the log before the `kill` line, and nothing after.
    while (kills < 24 && doneCount() < 16 * perWorker * 0.8) {
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 150));
      const pid = holderPid();
      const worker = pid === undefined ? undefined : workers.get(pid);
      if (!worker || pid === undefined || finished.has(pid)) continue;
      worker.talking.child.kill('SIGSTOP');
      await until(() => stateOf(pid) === 'T' || stateOf(pid) === undefined, { everyMs: 2 });
      if (holderPid() !== pid) {
        worker.talking.child.kill('SIGCONT');
        continue;
      }
      appendFileSync(log, `kill ${pid}\n`);
      const exited = once(worker.talking.child, 'exit');
      worker.talking.child.kill('SIGKILL');
      await exited;
      kills++;
      workers.delete(pid);
      const doneByIt = readFileSync(log, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith(`exit ${pid} `)).length;
      const remaining = worker.budget - doneByIt;
      if (remaining > 0) {
        start(remaining);
        const [newPid, fresh] = [...workers].at(-1)!;
        void fresh.talking.next().then((line) => line === 'done' && finished.add(newPid));
      }
    }
    await until(() => [...workers.keys()].every((pid) => finished.has(pid)), {
      everyMs: 100,
      timeoutMs: 240_000,
    });

    const lines = readFileSync(log, 'utf8').trim().split('\n');
    let inside: { pid: string; token: number } | undefined;
    let last = 0;
    let enters = 0;
    for (const line of lines) {
      const [kind, pid, token] = line.split(' ') as [string, string, string?];
      if (kind === 'enter') {
        expect(inside, `two inside at once at "${line}"`).toBeUndefined();
        expect(Number(token), `token went backwards at "${line}"`).toBeGreaterThan(last);
        last = Number(token);
        inside = { pid, token: last };
        enters++;
      } else if (kind === 'exit') {
        expect(inside).toEqual({ pid, token: Number(token) });
        inside = undefined;
      } else if (kind === 'kill' && inside?.pid === pid) {
        inside = undefined;
      }
    }
    expect(kills).toBeGreaterThanOrEqual(5);
    expect(lines.filter((line) => line.startsWith('exit ')).length).toBe(16 * perWorker);
    expect(enters).toBeGreaterThanOrEqual(16 * perWorker);
    // Nothing wedged: the lock is free (or stale from a killed holder) and can be taken at once.
    expect(['free', 'stale']).toContain(inspect(lockPath).state);
    const handle = await tryAcquire(lockPath, { heartbeatMs: 0 });
    expect(handle.fencingToken).toBeGreaterThan(last);
    await handle.release();
  }, 300_000);

  it('32 contenders racing one stale lock: exactly one winner, every time over 200 rounds', async () => {
    mkdirSync(join(dir, 'state'), { mode: 0o700 });
    const gone = spawn('sleep', ['30']);
    children.push(gone);
    await until(() => captureIdentity(gone.pid!)?.comm === 'sleep');
    const dead = captureIdentity(gone.pid!)!;
    gone.kill('SIGKILL');
    await once(gone, 'exit');
    const contenders = Array.from({ length: 32 }, () => spawnFixture('contender.mjs', [lockPath]));
    for (const contender of contenders) expect(await contender.next()).toBe('ready');
    for (let round = 1; round <= 200; round++) {
      const stale: LockRecord = {
        schemaVersion: 1,
        runnerToken: 'runwarden',
        repoMarker: dir,
        holder: dead,
        acquiredAt: new Date().toISOString(),
        heartbeatAt: new Date().toISOString(),
        nonce: `stale-round-${round}`,
        fencingToken: round * 10,
      };
      writeFileSync(`${lockPath}.incoming`, JSON.stringify(stale));
      renameSync(`${lockPath}.incoming`, lockPath);
      for (const contender of contenders) contender.say(`go ${round}`);
      const outcomes = await Promise.all(contenders.map((contender) => contender.next()));
      const winners = outcomes.filter((line) => line.startsWith('won '));
      expect(winners, `round ${round}: ${outcomes.join(' | ')}`).toEqual([
        `won ${round} ${round * 10 + 1}`,
      ]);
      expect(outcomes.filter((line) => line.startsWith('lost ')).length).toBe(31);
    }
  }, 300_000);
});
