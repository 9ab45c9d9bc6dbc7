/**
 * Crash safety: a process SIGKILLed in the middle of FileStore writes leaves
 * the previous record or the new one, never a torn one, and the next process
 * carries on (the dead writer's lock is taken over, its temp file ignored).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStore } from '../src/index.js';

const writer = join(import.meta.dirname, 'fixtures', 'crash-writer.mjs');
const TARGET = 'acme/widgets#9';
const ROUNDS = 12;

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface State {
  token: number;
  active: string | null;
}

function successor(state: State): State {
  return state.active === null
    ? { token: state.token + 1, active: `run-${state.token + 1}` }
    : { token: state.token, active: null };
}

/** Runs the writer until it has started `operations` operations, then SIGKILLs it at a random moment. */
async function killMidWrite(directory: string, operations: number): Promise<State> {
  const child = spawn(process.execPath, [writer, directory, TARGET], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  let last: State | undefined;
  let seen = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    const [, token, active] = line.split(' ');
    last = { token: Number(token), active: active === '-' ? null : active! };
    if (++seen === operations) {
      // Anywhere inside the operation: lock, read, temp write, fsync, rename, directory fsync.
      await setTimeout(Math.random() * 12);
      child.kill('SIGKILL');
    }
  }
  const [code, signal] = await exited;
  expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });
  return last!;
}

describe('FileStore crash', () => {
  it(`leaves the previous or the new record after a SIGKILL mid-write (${ROUNDS} kills)`, async () => {
    dir = mkdtempSync(join(tmpdir(), 'coordination-crash-'));
    const directory = join(dir, 'coordination');
    const outcomes = { previous: 0, next: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const started = await killMidWrite(directory, 2 + Math.floor(Math.random() * 6));
      const record = await new FileStore({ directory }).get(TARGET);
      const found = {
        token: record?.lastFencingToken ?? 0,
        active: record?.activeRun?.runId ?? null,
      };
      const next = successor(started);
      expect([started, next]).toContainEqual(found);
      if (found.token === started.token && found.active === started.active) outcomes.previous++;
      else outcomes.next++;
    }
    const store = new FileStore({ directory, lockWaitMs: 10_000 });
    const record = await store.get(TARGET);
    const history = record?.history ?? [];
    for (const [index, entry] of history.entries()) {
      expect(entry.type).toBe(index % 2 === 0 ? 'claim' : 'release');
    }
    expect((await store.list()).map((entry) => entry.target)).toEqual([TARGET]);
    // The last writer died holding the target's lock, or not: either way the next one gets in.
    const active = record?.activeRun?.runId;
    expect(
      active
        ? await store.release(TARGET, active)
        : await store.claim(TARGET, { runId: 'after-crash' }),
    ).toMatchObject({ ok: true });
    expect(outcomes.previous + outcomes.next).toBe(ROUNDS);
  });
});
