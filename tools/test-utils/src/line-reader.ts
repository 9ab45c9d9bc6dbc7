import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A child whose stdout is read line by line, and whose stdin takes lines. */
export interface LineReader {
  /** The process. */
  child: ChildProcess;
  /**
   * The next line it prints; `<exit>` once it has exited with nothing queued
   * (Node may emit `exit` before the last lines leave the pipe: a test that
   * needs every line reads the stream to its end instead).
   */
  next(): Promise<string>;
  /** Writes one line to its stdin. */
  say(line: string): void;
}

/**
 * Spawns `command` with stdin and stdout piped (stderr inherited unless
 * `options.stdio` says otherwise) and reads its stdout line by line: the
 * test talks to a real process in lines (`acquired 3`, `release`, …).
 *
 * @param command - the program.
 * @param args - its arguments.
 * @param options - `spawn` options (`env`, `cwd`, `detached`, …).
 * @returns the line reader.
 */
export function spawnLineReader(
  command: string,
  args: string[],
  options: SpawnOptions = {},
): LineReader {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'], ...options });
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
