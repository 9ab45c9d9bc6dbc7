import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { runCheckCommand } from '@runwarden/watchdog';
import type { DoneCondition } from './config.js';
import type { DoneWatcherFacts } from './guards.js';

/**
 * Whether a file holds a line equal to `line` (both trimmed), as cc-ci's
 * `launch.sh` stops its loops on `## DONE` in `plan.md`. A missing or
 * unreadable file is not done.
 *
 * @param text - the file's content.
 * @param line - the line to look for.
 * @returns whether a line equals it.
 */
export function holdsLine(text: string, line: string): boolean {
  const wanted = line.trim();
  return text.split('\n').some((candidate) => candidate.trim() === wanted);
}

/**
 * Watches the global `done` condition: the file is looked at every `everyMs`
 * (read only when its size or mtime changed), the command is run every
 * `everyMs` (`/bin/sh -c`, exit 0 = done, its own process group, ended after
 * its timeout). `onDone` is called once.
 */
export class DoneWatcher {
  private timer: NodeJS.Timeout | undefined;
  private lastStamp = '';
  private checking = false;
  private fired = false;
  private readonly abort = new AbortController();
  /** When the condition was last checked (Unix ms), for `GET /guards`. */
  lastCheckedAtMs: number | undefined;

  /**
   * @param condition - the file and line, or the command.
   * @param onDone - called once when the condition holds.
   */
  constructor(
    private condition: DoneCondition,
    private readonly onDone: () => void,
  ) {}

  /** What the watcher says of itself, for the `done-watcher` guard. */
  facts(): DoneWatcherFacts {
    return { lastCheckedAtMs: this.lastCheckedAtMs, checking: this.checking, fired: this.fired };
  }

  /** The condition watched now. */
  get watched(): DoneCondition {
    return this.condition;
  }

  /** Starts watching (checks at once, then every `everyMs`). */
  start(): void {
    this.stop();
    void this.check();
    this.timer = setInterval(() => void this.check(), this.condition.everyMs);
  }

  /**
   * Watches another condition from now on (a SIGHUP with a changed `done`).
   *
   * @param condition - the new condition.
   */
  replace(condition: DoneCondition): void {
    this.condition = condition;
    this.lastStamp = '';
    if (this.timer) this.start();
  }

  /** Stops watching; a running check is ended. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops watching and ends a running check's tree. */
  close(): void {
    this.stop();
    this.abort.abort();
  }

  private async check(): Promise<void> {
    if (this.checking || this.fired) return;
    this.checking = true;
    try {
      this.lastCheckedAtMs = Date.now();
      const done =
        this.condition.kind === 'file'
          ? this.fileHolds(this.condition)
          : await this.commandPasses(this.condition);
      if (done && !this.fired) {
        this.fired = true;
        this.stop();
        this.onDone();
      }
    } finally {
      this.checking = false;
    }
  }

  private fileHolds(condition: Extract<DoneCondition, { kind: 'file' }>): boolean {
    let fd: number;
    try {
      fd = openSync(condition.file, constants.O_RDONLY);
    } catch {
      return false;
    }
    try {
      const stat = fstatSync(fd);
      const stamp = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
      if (stamp === this.lastStamp) return false;
      this.lastStamp = stamp;
      return holdsLine(readFileSync(fd, 'utf8'), condition.line);
    } catch {
      return false;
    } finally {
      closeSync(fd);
    }
  }

  private async commandPasses(
    condition: Extract<DoneCondition, { kind: 'command' }>,
  ): Promise<boolean> {
    const check = await runCheckCommand({
      command: condition.command,
      cwd: condition.cwd,
      env: process.env,
      token: `supervisor-done-${process.pid}`,
      timeoutMs: condition.timeoutMs,
      signal: this.abort.signal,
    });
    return check.passed;
  }
}
