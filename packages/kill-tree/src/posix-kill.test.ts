import type { ProcessInfo } from '@runwarden/process-identity';
import { describe, expect, it } from 'vitest';
import { KILL_TREE_DEFAULTS } from './defaults.js';
import { killPosixTree, type PosixSystem } from './posix-kill.js';

/**
 * The engine against a scripted machine: a race that real processes give only
 * now and then (the kill of a tree younger than one clock tick) given every
 * time. The real-process cases live in test/kill-tree.test.ts.
 */
function youngTree(): { system: PosixSystem; alive: Set<number> } {
  const startedAt = performance.now();
  const startTick = 5000;
  // Ticks as /proc/uptime gives them: centiseconds, moving with the real clock.
  const tick = () => startTick + Math.floor((performance.now() - startedAt) / 10);
  const row = (pid: number, ppid: number, startTicks: number): ProcessInfo => ({
    pid,
    ppid,
    pgid: 1, // the caller's group, which the kill does not own
    sid: 1,
    state: 'S',
    comm: 'sh',
    startTicks,
    startTimeMs: 0,
    cmdline: [],
  });
  const alive = new Set([100, 101]);
  const table = () => [
    row(1, 0, 1),
    ...(alive.has(100) ? [row(100, 1, startTick - 3)] : []),
    // Started in the very tick of the kill's first look; orphaned (ppid 1) once the root exits.
    ...(alive.has(101) ? [row(101, alive.has(100) ? 100 : 1, startTick)] : []),
  ];
  const system: PosixSystem = {
    mechanism: 'proc-snapshot',
    scan: async () => ({ tick: tick(), table: table() }),
    tokenOf: () => ({ status: 'absent' }),
    signal: (pid, signal) => {
      if (!alive.has(pid)) return 'gone';
      // The root obeys SIGTERM; its child ignores it (trap '' TERM) and ends only by SIGKILL.
      if ((pid === 100 && signal === 'SIGTERM') || signal === 'SIGKILL') alive.delete(pid);
      return 'ok';
    },
    recheck: (pid) => table().find((candidate) => candidate.pid === pid) ?? null,
  };
  return { system, alive };
}

describe('killPosixTree', () => {
  it('ends the orphan of a tree younger than one tick: it looks again once the clock has ticked', async () => {
    const { system, alive } = youngTree();
    const result = await killPosixTree(
      { root: { pid: 100, startTicks: 4997 }, token: undefined, processGroups: new Map() },
      { ...KILL_TREE_DEFAULTS, graceMs: 50, forceWaitMs: 200, pollMs: 10 },
      system,
    );
    expect(result.processes.map(({ pid, reason }) => ({ pid, reason }))).toEqual([
      { pid: 100, reason: 'exited' },
      { pid: 101, reason: 'killed' },
    ]);
    expect(result.ok).toBe(true);
    expect([...alive]).toEqual([]);
  });
});
