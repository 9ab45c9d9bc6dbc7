import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Bench, median } from '../harness.js';

const require = createRequire(import.meta.url);

/** Wall time of one whole command, in ms. */
function timeCommand(command: string, args: string[], env?: NodeJS.ProcessEnv): number {
  const start = performance.now();
  const result = spawnSync(command, args, { stdio: 'ignore', env });
  const elapsed = performance.now() - start;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}`);
  return elapsed;
}

/**
 * The CLI's start-up against a bare `node -e 0` (issue 15: a CLI that starts
 * like a small tool): `runwarden --help` and `runwarden status` (commander,
 * the flags, and for status the lock and the latest run's journal), and
 * `runwarden run -- true` (lock, watchdog, journal, evidence, release). Each
 * runs the installed command: the bin, which compiles the bundle through the
 * command's code cache (bin/runwarden.cjs), kept here in a cache directory of
 * the bench's own (XDG_CACHE_HOME), so the first run of each command makes it
 * as a user's first run does. The four alternate, so drift hits all alike;
 * status reads the state directory the runs leave.
 */
export const cliBench: Bench = async ({ quick, workDir }) => {
  const cli = join(require.resolve('runwarden/package.json'), '..', 'bin', 'runwarden.cjs');
  const stateDir = mkdtempSync(join(workDir, 'cli-'));
  const cacheHome = mkdtempSync(join(workDir, 'cli-cache-'));
  const env = { ...process.env, XDG_CACHE_HOME: cacheHome };
  const rounds = quick ? 10 : 40;
  const commands = {
    node: ['-e', '0'],
    help: [cli, '--help'],
    status: [cli, 'status', '--state-dir', stateDir],
    run: [cli, 'run', '--state-dir', stateDir, '--', 'true'],
  };
  const times: Record<keyof typeof commands, number[]> = {
    node: [],
    help: [],
    status: [],
    run: [],
  };
  // Warm the page cache, and make each command's code cache, once.
  for (const args of Object.values(commands)) timeCommand(process.execPath, args, env);
  for (let i = 0; i < rounds; i++)
    for (const [name, args] of Object.entries(commands) as [keyof typeof commands, string[]][])
      times[name].push(timeCommand(process.execPath, args, env));
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(cacheHome, { recursive: true, force: true });
  const node = { name: 'node-e-0', value: median(times.node) };
  const notes = `median of ${rounds} runs each, alternating; Node ${process.versions.node}`;
  return [
    {
      id: 'cli/help-startup',
      ours: median(times.help),
      peer: node,
      unit: 'ms',
      target: '<=1.4',
      notes: `runwarden --help; ${notes}`,
    },
    {
      id: 'cli/status-startup',
      ours: median(times.status),
      peer: node,
      unit: 'ms',
      target: '<=1.4',
      notes: `runwarden status on a state dir with ${rounds + 1} finished runs; ${notes}`,
    },
    {
      id: 'cli/run-overhead',
      ours: median(times.run),
      peer: node,
      unit: 'ms',
      target: '<=2',
      notes: `runwarden run -- true (lock, watchdog, journal, evidence, release); ${notes}`,
    },
  ];
};
