import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Bench, median } from '../harness.js';

const require = createRequire(import.meta.url);

/** Wall time of one whole command, in ms. */
function timeCommand(command: string, args: string[]): number {
  const start = performance.now();
  const result = spawnSync(command, args, { stdio: 'ignore' });
  const elapsed = performance.now() - start;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}`);
  return elapsed;
}

/**
 * `runwarden run -- true` (lock, watchdog, journal, evidence, release) against
 * spawning `true` from a plain Node.js process: both pay Node's start-up.
 */
export const cliBench: Bench = async ({ quick, workDir }) => {
  const cli = join(require.resolve('runwarden/package.json'), '..', 'dist', 'cli.js');
  const stateDir = mkdtempSync(join(workDir, 'cli-'));
  const rounds = quick ? 10 : 40;
  const ours: number[] = [];
  const peer: number[] = [];
  // Warm the page cache for both, then alternate so drift hits both alike.
  timeCommand(process.execPath, [cli, 'run', '--state-dir', stateDir, '--', 'true']);
  timeCommand(process.execPath, ['-e', "require('node:child_process').spawnSync('true')"]);
  for (let i = 0; i < rounds; i++) {
    ours.push(timeCommand(process.execPath, [cli, 'run', '--state-dir', stateDir, '--', 'true']));
    peer.push(
      timeCommand(process.execPath, ['-e', "require('node:child_process').spawnSync('true')"]),
    );
  }
  rmSync(stateDir, { recursive: true, force: true });
  return [
    {
      id: 'cli/run-overhead',
      ours: median(ours),
      peer: { name: 'node-spawnSync-true', value: median(peer) },
      unit: 'ms',
      target: '<=4',
      notes: `median of ${rounds} runs each`,
    },
  ];
};
