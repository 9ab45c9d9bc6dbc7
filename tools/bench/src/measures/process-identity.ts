import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  captureIdentity,
  getProcessInfoSync,
  listProcesses,
  verifyIdentity,
} from '@runwarden/process-identity';
import findProcess from 'find-process';
import pidtree from 'pidtree';
import psList from 'ps-list';
import type { Bench, Measure } from '../harness.js';

/** Runs `operation` again and again for about `budgetMs` (at least `minRuns` times) and returns operations per second. */
async function opsPerSecond(
  operation: () => unknown,
  budgetMs: number,
  minRuns = 3,
): Promise<number> {
  await operation(); // warm up
  let runs = 0;
  const start = performance.now();
  while (runs < minRuns || performance.now() - start < budgetMs) {
    await operation();
    runs++;
  }
  return runs / ((performance.now() - start) / 1000);
}

async function startSleeper(): Promise<ChildProcess> {
  const child = spawn('sleep', ['600'], {
    stdio: 'ignore',
    env: { ...process.env, RUNWARDEN_RUN_ID: 'bench-run' },
  });
  for (;;) {
    if (getProcessInfoSync(child.pid!)?.comm === 'sleep') return child;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * `verifyIdentity` of one pid (start ticks, executable, run token from
 * `/proc/<pid>/environ`) against `ps-list` and `find-process` answering the
 * same question (is pid N still the `sleep` we started?), and the whole table
 * (`listProcesses`) against `ps-list` (with command lines) and `pidtree`
 * (pids and parents only). All in operations per second; ratio = ours ÷ peer.
 */
export const processIdentityBench: Bench = async ({ quick }) => {
  const sleeper = await startSleeper();
  const pid = sleeper.pid!;
  const identity = captureIdentity(pid)!;
  const oursBudgetMs = quick ? 300 : 1500;
  const peerBudgetMs = quick ? 400 : 2000;
  try {
    const ours = await opsPerSecond(() => {
      if (verifyIdentity(identity).status !== 'alive') throw new Error('identity check failed');
    }, oursBudgetMs);
    const viaPsList = await opsPerSecond(async () => {
      const row = (await psList()).find((candidate) => candidate.pid === pid);
      if (row?.name !== 'sleep') throw new Error('ps-list did not find the sleeper');
    }, peerBudgetMs);
    const viaFindProcess = await opsPerSecond(async () => {
      const [row] = await findProcess('pid', pid);
      if (row?.name !== 'sleep') throw new Error('find-process did not find the sleeper');
    }, peerBudgetMs);

    const listOurs = await opsPerSecond(() => listProcesses(), oursBudgetMs);
    const listPsList = await opsPerSecond(() => psList(), peerBudgetMs);
    const listOursLean = await opsPerSecond(() => listProcesses({ cmdline: false }), oursBudgetMs);
    const listPidtree = await opsPerSecond(() => pidtree(-1, { advanced: true }), peerBudgetMs);
    const rows = (await listProcesses()).length;

    const identityMeasure = (name: string, value: number): Measure => ({
      id: 'process-identity/identity-check',
      ours,
      peer: { name, value },
      unit: 'ops/s',
      target: '>=100',
      notes: 'is pid N still the sleep we started: ours reads /proc/N/stat and environ',
    });
    return [
      identityMeasure('ps-list', viaPsList),
      identityMeasure('find-process', viaFindProcess),
      {
        id: 'process-identity/list-table',
        ours: listOurs,
        peer: { name: 'ps-list', value: listPsList },
        unit: 'ops/s',
        target: '>=1',
        notes: `${rows} processes with command lines`,
      },
      {
        id: 'process-identity/list-table',
        ours: listOursLean,
        peer: { name: 'pidtree', value: listPidtree },
        unit: 'ops/s',
        target: '>=1',
        notes: `${rows} processes, pid and parent only (ours: cmdline: false)`,
      },
    ];
  } finally {
    sleeper.kill('SIGKILL');
    await once(sleeper, 'exit').catch(() => undefined);
  }
};
