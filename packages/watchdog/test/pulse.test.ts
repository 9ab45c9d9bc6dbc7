import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { judgePulse, type WatchdogPulse } from '../src/index.js';
import { fast, runAgent } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pulse-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('onPulse', () => {
  it('beats on every tick of a live attempt and says when the ticker stops, each attempt', async () => {
    const pulses: WatchdogPulse[] = [];
    const startedAt = Date.now();
    const { result } = await runAgent(
      dir,
      [
        '--turns',
        '4',
        '--turn-ms',
        '100',
        '--crash-after',
        '4',
        '--crash-lives',
        '1',
        '--state',
        join(dir, 'state.json'),
      ],
      {
        idleTimeoutMs: 2000,
        missionTimeoutMs: 60_000,
        maxResumes: 1,
        // Without a completion predicate only hangs and signals are resumed by default; this one exits 1.
        resumeOn: ['failure'],
        backoff: fast,
        onPulse: (pulse) => pulses.push(pulse),
      },
    );
    expect(result.reason).toBe('OK');
    expect(result.attempts).toBe(2);
    for (const attempt of [1, 2]) {
      const mine = pulses.filter((pulse) => pulse.attempt === attempt);
      const watching = mine.filter((pulse) => pulse.phase === 'watching');
      // 4 turns of 100 ms at a 250 ms tick: at least one beat, then the ticker stops once.
      expect(watching.length).toBeGreaterThan(0);
      expect(mine.at(-1)).toMatchObject({ phase: 'between', intervalMs: 0 });
      expect(mine.filter((pulse) => pulse.phase === 'between')).toHaveLength(1);
      expect(new Set(watching.map((pulse) => pulse.intervalMs))).toEqual(new Set([250]));
      for (const pulse of watching) {
        expect(pulse.watchesOutput).toBe(true);
        expect(pulse.watchesProgress).toBe(false);
        expect(Math.abs(pulse.missionDeadlineAtMs! - (startedAt + 60_000))).toBeLessThan(1000);
      }
      // Output was seen by the last beat of the attempt, and it is wall-clock time.
      const last = watching.at(-1)!;
      expect(last.lastOutputAtMs).not.toBeNull();
      expect(last.lastOutputAtMs!).toBeGreaterThanOrEqual(startedAt);
      expect(last.lastOutputAtMs!).toBeLessThanOrEqual(last.atMs);
      // Each beat was judged ticking at the moment it was emitted.
      expect(judgePulse(last, last.atMs).state).toBe('ticking');
    }
  });
});
