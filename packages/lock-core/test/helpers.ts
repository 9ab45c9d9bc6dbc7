import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const fixtures = join(import.meta.dirname, 'fixtures');

/** Every child a test starts, so afterEach can end exactly those. */
export const children: ChildProcess[] = [];

/** Ends the children this file started (SIGCONT first, so a stopped one can die). */
export async function endChildren(): Promise<void> {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = once(child, 'exit');
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }
}

/** A child whose stdout is read line by line. */
export interface Talking {
  child: ChildProcess;
  /** The next line the child prints. */
  next(): Promise<string>;
  /** Writes one line to the child's stdin. */
  say(line: string): void;
}

/**
 * Spawns `node <fixture> ...args` and reads its lines.
 *
 * @param fixture - a file in test/fixtures.
 * @param args - its arguments.
 * @param env - extra environment.
 */
export function spawnFixture(
  fixture: string,
  args: string[],
  env: Record<string, string> = {},
  command: string[] = [],
): Talking {
  const [program, ...prefix] =
    command.length > 0 ? [...command, process.execPath] : [process.execPath];
  const child = spawn(program!, [...prefix, join(fixtures, fixture), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  children.push(child);
  const queue: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter(line);
    else queue.push(line);
  });
  child.on('exit', () => {
    for (const waiter of waiting.splice(0)) waiter('<exit>');
  });
  return {
    child,
    next: () =>
      queue.length > 0
        ? Promise.resolve(queue.shift()!)
        : child.exitCode !== null || child.signalCode !== null
          ? Promise.resolve('<exit>')
          : new Promise((resolve) => waiting.push(resolve)),
    say: (line) => child.stdin!.write(`${line}\n`),
  };
}

/** Resolves once `condition` holds, checking every `everyMs`; rejects after `timeoutMs`. */
export async function until(
  condition: () => boolean,
  { everyMs = 20, timeoutMs = 20_000 } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
