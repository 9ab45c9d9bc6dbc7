import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { killTree } from '@runwarden/kill-tree';
import { descendantsOf, getProcessInfoSync } from '@runwarden/process-identity';
import fkill from 'fkill';
import treeKill from 'tree-kill';
import { type Bench, type Measure, median } from '../harness.js';

const SHELLS = 10;
const SLEEPS_PER_SHELL = 10;

/** A root shell, 10 shells under it, 10 `sleep`s under each: 111 processes. */
async function startTree(): Promise<{ root: ChildProcess; members: Array<[number, number]> }> {
  const inner = `${'sleep 1000 & '.repeat(SLEEPS_PER_SHELL)}wait`;
  const script = `${`sh -c '${inner}' & `.repeat(SHELLS)}wait`;
  const root = spawn('sh', ['-c', script], { stdio: 'ignore', detached: true });
  const expected = SHELLS + SHELLS * SLEEPS_PER_SHELL;
  for (;;) {
    const rows = descendantsOf(root.pid!);
    const sleeps = rows.filter((row) => row.comm === 'sleep').length;
    if (rows.length === expected && sleeps === SHELLS * SLEEPS_PER_SHELL) {
      const rootRow = getProcessInfoSync(root.pid!, { cmdline: false })!;
      return {
        root,
        members: [
          [root.pid!, rootRow.startTicks],
          ...rows.map((row): [number, number] => [row.pid, row.startTicks]),
        ],
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const aliveMembers = (members: Array<[number, number]>) =>
  members.filter(([pid, startTicks]) => {
    const info = getProcessInfoSync(pid, { cmdline: false });
    return info !== null && info.startTicks === startTicks && info.state !== 'Z';
  }).length;

/** Ends whatever the tool left, by the group and then by pid, so the next round starts clean. */
async function cleanUp(root: ChildProcess, members: Array<[number, number]>): Promise<void> {
  try {
    process.kill(-root.pid!, 'SIGKILL');
  } catch {
    // group gone
  }
  for (const [pid, startTicks] of members) {
    if (getProcessInfoSync(pid, { cmdline: false })?.startTicks === startTicks) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  if (root.exitCode === null && root.signalCode === null) await once(root, 'exit');
}

/**
 * Wall time from the call until every process of the tree is gone, and how
 * many were left alive. After the tool returns, the wait for stragglers is
 * capped at `capMs`: a tool that leaves processes behind is charged its own
 * time plus the cap.
 */
async function endTree(
  tool: (pid: number) => Promise<unknown>,
  capMs: number,
): Promise<{ ms: number; survivors: number }> {
  const { root, members } = await startTree();
  const start = performance.now();
  try {
    await tool(root.pid!);
    const returned = performance.now();
    while (aliveMembers(members) > 0 && performance.now() - returned < capMs) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return { ms: performance.now() - start, survivors: aliveMembers(members) };
  } finally {
    await cleanUp(root, members);
  }
}

/**
 * Ending a 111-process tree (a shell, 10 shells, 10 `sleep`s under each) with
 * SIGTERM: `killTree` against `tree-kill` (one `ps` per process) and `fkill`
 * (no tree on Linux), in ms from the call until every process is gone, capped.
 * Ratio = ours ÷ peer; the survivors of each are in the notes.
 */
export const killTreeBench: Bench = async ({ quick }) => {
  // tree-kill needs seconds per round on two cores: quick mode runs the peers once.
  const rounds = quick ? 3 : 5;
  const peerRounds = quick ? 1 : 5;
  const capMs = quick ? 1000 : 5000;
  const tools: Record<string, (pid: number) => Promise<unknown>> = {
    ours: (pid) => killTree(pid, { graceMs: capMs }),
    'tree-kill': (pid) =>
      new Promise<void>((resolve, reject) =>
        treeKill(pid, 'SIGTERM', (error) => (error ? reject(error) : resolve())),
      ),
    fkill: (pid) => fkill(pid, { tree: true, silent: true }),
  };
  const figures: Record<string, { ms: number[]; survivors: number[] }> = {};
  for (let round = 0; round < rounds; round++) {
    // Alternate the tools within each round so drift hits all alike.
    for (const [name, tool] of Object.entries(tools)) {
      if (name !== 'ours' && round >= peerRounds) continue;
      const result = await endTree(tool, capMs);
      figures[name] ??= { ms: [], survivors: [] };
      figures[name].ms.push(result.ms);
      figures[name].survivors.push(result.survivors);
    }
  }
  const survivorsNote = Object.entries(figures)
    .map(([name, figure]) => `${name}=${Math.max(...figure.survivors)}`)
    .join(' ');
  const measure = (peer: string): Measure => ({
    id: 'kill-tree/end-10x10-tree',
    ours: median(figures.ours!.ms),
    peer: { name: peer, value: median(figures[peer]!.ms) },
    unit: 'ms',
    target: '<=0.2',
    notes: `from the call until all 111 are gone (stragglers waited for at most ${capMs} ms), median of ${rounds} (peers ${peerRounds}); survivors (most in a round): ${survivorsNote}`,
  });
  const measures = [measure('tree-kill'), measure('fkill')];
  // A kill that leaves a process behind has not ended the tree, however fast it was.
  if (Math.max(...figures.ours!.survivors) > 0)
    for (const entry of measures) entry.ours = Number.POSITIVE_INFINITY;
  return measures;
};
