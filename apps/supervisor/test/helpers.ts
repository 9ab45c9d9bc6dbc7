/**
 * What the supervisor's process tests share: the built CLI, fake-agent, a
 * config writer, a supervisor started as a real child process, journals, and
 * `until` (poll a condition; never a bare sleep).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until as untilShared } from '@runwarden/test-utils';
import { type JournalEvent, readJournal } from '@runwarden/watchdog';
import { readSupervisorJournal, type SupervisorEvent } from '../src/supervisor-journal.js';

/** The built CLI. */
export const cliPath = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
/** fake-agent's entry. */
export const agent = createRequire(import.meta.url).resolve('@runwarden/fake-agent');

/** True while the pid runs (a zombie is dead): test-utils' `alive`. */
export { alive } from '@runwarden/test-utils';

/** Polls `condition` every 25 ms until it returns a truthy value (test-utils' `until`); rejects after `timeoutMs`, naming `what`. */
export async function until<T>(
  condition: () => T | undefined | null | false,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  try {
    return await untilShared(condition, { timeoutMs, everyMs: 25 });
  } catch {
    throw new Error(`timed out waiting for ${what}`);
  }
}

/** Writes `runwarden.yaml` in `dir`; returns its path. */
export function writeConfig(dir: string, yaml: string): string {
  const file = join(dir, 'runwarden.yaml');
  writeFileSync(file, yaml);
  return file;
}

/** A supervisor started as `runwarden-supervisor start --config <file>`, a real process. */
export interface RunningSupervisor {
  child: ChildProcess;
  pid: number;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts the built CLI's `start` in `dir` (its own process group, so a test can SIGKILL it alone). */
export function startSupervisor(dir: string, extra: string[] = []): RunningSupervisor {
  const child = spawn(
    process.execPath,
    [cliPath, 'start', '--config', join(dir, 'runwarden.yaml'), ...extra],
    {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, NO_COLOR: '1' },
    },
  );
  let text = '';
  child.stdout!.on('data', (chunk) => {
    text += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    text += chunk;
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, pid: child.pid!, output: () => text, exited };
}

/** Runs the built CLI to its end. */
export async function cli(
  dir: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cliPath, ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const [code] = await once(child, 'exit');
  return { code: code as number | null, stdout, stderr };
}

/** The supervisor journal of a state dir. */
export const supervisorEvents = (stateDir: string): SupervisorEvent[] =>
  readSupervisorJournal(join(stateDir, 'supervisor', 'journal.jsonl'));

/** Every run journal of a loop, oldest run first. */
export function runJournals(
  stateDir: string,
  loop: string,
): { runId: string; events: JournalEvent[] }[] {
  const runs = join(stateDir, 'loops', loop, 'runs');
  if (!existsSync(runs)) return [];
  return readdirSync(runs)
    .sort()
    .filter((runId) => existsSync(join(runs, runId, 'journal.jsonl')))
    .map((runId) => ({ runId, events: readJournal(join(runs, runId, 'journal.jsonl')) }));
}

/** Every agent pid a loop's journals recorded (spawned, resumed, adopted). */
export function agentPids(stateDir: string, loop: string): number[] {
  return runJournals(stateDir, loop).flatMap(({ events }) =>
    events
      .filter((event) => ['spawned', 'resumed', 'adopted'].includes(event.type))
      .map((event) => event.pid as number),
  );
}

/** The pids fake-agent wrote to its `--pid-file`. */
export function pidFile(path: string): number[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => Number(line.split(' ')[1]));
}

/** SIGKILLs whatever is left (a failed test must not leave processes behind). */
export function killAll(pids: number[]): void {
  for (const pid of pids) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}
