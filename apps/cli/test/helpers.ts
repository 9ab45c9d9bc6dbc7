/**
 * What the CLI tests share: the built CLI and fake-agent, running the CLI,
 * asking the kernel whether a pid lives, and a `runwarden run` left running
 * in the background until a test ends it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type FakeAgentOptions, fakeAgentArgs, until as untilShared } from '@runwarden/test-utils';
import { execa } from 'execa';

/** The CLI under test: the bin, as installed, which loads the bundle in `dist/` (through its code cache). */
export const cli = join(import.meta.dirname, '..', 'bin', 'runwarden.cjs');
/** The fake agent's entry. */
export const agent = createRequire(import.meta.url).resolve('@runwarden/fake-agent');

/** Runs `runwarden <args>` in `cwd` as CI would (no colours), never rejecting. */
export const runwarden = (args: string[], options: { cwd: string; env?: Record<string, string> }) =>
  execa(process.execPath, [cli, ...args], {
    reject: false,
    cwd: options.cwd,
    env: { CI: '1', ...options.env },
  });

/**
 * fake-agent as the command of `runwarden run -- …`: this Node.js, its entry
 * and its flags (test-utils' `fakeAgentArgs`: `turnMs: 50` is `--turn-ms 50`).
 */
export const agentCommand = (options: FakeAgentOptions): string[] => [
  process.execPath,
  agent,
  ...fakeAgentArgs(options),
];

/** True while the pid runs (a zombie is dead): test-utils' `alive`. */
export { alive } from '@runwarden/test-utils';

/** SIGKILLs every pid a test started; the ones already gone are skipped. */
export function killAll(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Polls until `probe` gives a value (test-utils' `until`, every 10 ms): waiting on the kernel's state, not on time. */
export const until = <T>(probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> =>
  untilShared(probe, { timeoutMs, everyMs: 10 });

/** A `runwarden run` of fake-agent running in the background. */
export interface LiveRun {
  child: ChildProcess;
  /** The file where fake-agent writes `<role> <pid>` lines. */
  pidFile: string;
  /** Settles with the runwarden process's exit code and signal. */
  exited: Promise<[number | null, string | null]>;
}

/**
 * Starts `runwarden run` of fake-agent (endless 50 ms turns) in the background
 * and resolves once the agent has done its first turn.
 *
 * @param options.extra - more fake-agent flags; `runFlags`, more `run` flags.
 */
export async function startLiveRun(options: {
  dir: string;
  stateDir: string;
  extra?: string[];
  runFlags?: string[];
}): Promise<LiveRun> {
  const pidFile = join(options.dir, 'pids');
  const child = spawn(
    process.execPath,
    [
      cli,
      'run',
      '--state-dir',
      options.stateDir,
      ...(options.runFlags ?? []),
      '--',
      ...agentCommand({ turns: 100_000, turnMs: 50, pidFile }),
      ...(options.extra ?? []),
    ],
    { cwd: options.dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } },
  );
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve) =>
    lines.on('line', (line) => line.includes('turn 1 done') && resolve()),
  );
  return { child, pidFile, exited };
}
