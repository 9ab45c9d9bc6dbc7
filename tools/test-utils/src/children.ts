import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { once } from 'node:events';

/**
 * The processes a test file started, so `afterEach` ends exactly those and
 * waits for them: a test leaves no process behind.
 */
export class Children {
  private readonly list: ChildProcess[] = [];

  /**
   * Spawns a child (stdio ignored unless `options.stdio` says otherwise) and keeps it.
   *
   * @param command - the program.
   * @param args - its arguments.
   * @param options - `spawn` options.
   * @returns the child.
   */
  start(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
    return this.push(spawn(command, args, { stdio: 'ignore', ...options }));
  }

  /**
   * Keeps a child started elsewhere.
   *
   * @param child - the child.
   * @returns the same child.
   */
  push<T extends ChildProcess>(child: T): T {
    this.list.push(child);
    return child;
  }

  /** Ends every child still running (SIGCONT first, so a stopped one can die, then SIGKILL) and waits for each. */
  async endAll(): Promise<void> {
    for (const child of this.list.splice(0)) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = once(child, 'exit');
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    }
  }
}
