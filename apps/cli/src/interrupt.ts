import { formatDuration } from '@runwarden/cli-kit';
import { killTree } from '@runwarden/kill-tree';
import type { JournalEvent } from '@runwarden/watchdog';
import { colors, say } from './output.js';
import { markHungUp, onHangup } from './safe-output.js';

/** The signals that stop a run: Ctrl-C, `kill`, and a terminal that hangs up. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Options for {@link handleInterrupts}. */
export interface InterruptOptions {
  /** The run, whose processes carry `RUNWARDEN_RUN_ID=<runId>`. */
  runId: string;
  /** The grace between SIGTERM and SIGKILL the run ends its tree with, in ms. */
  graceMs: number;
  /** Print what happens (stderr); off for `--json`. */
  human: boolean;
  /** Starts the graceful stop (the watchdog ends the tree: SIGTERM, the grace, SIGKILL). */
  stop: (signal: NodeJS.Signals) => void;
}

/** What {@link handleInterrupts} returns. */
export interface Interrupts {
  /** The first stop signal received, if any. */
  readonly signal: NodeJS.Signals | undefined;
  /** Records the process groups and sessions of the attempts and services (`spawned`, `resumed`, `service-started`). */
  observe(event: JournalEvent): void;
  /** Stops listening (the run is over). */
  dispose(): void;
}

/**
 * Ctrl-C as every other tool does it: the first SIGINT (or SIGTERM, or a
 * hang-up: SIGHUP, or EIO on the CLI's own output) starts the graceful stop
 * and says how much grace is left; a second SIGINT or SIGTERM during the
 * grace sends SIGKILL to the whole run at once (the processes carrying its
 * run id and the attempts' process groups), the way `docker compose` and
 * `systemctl` treat a second interrupt. The watchdog then sees the tree gone
 * and ends the run `INTERRUPTED`.
 *
 * @param options - the run, its grace, whether to print, and how to stop it.
 * @returns the handle; {@link Interrupts.dispose} when the run is over.
 */
export function handleInterrupts(options: InterruptOptions): Interrupts {
  let first: { signal: NodeJS.Signals; atMs: number } | undefined;
  let forced = false;
  const groups = new Map<number, number>();

  const force = () => {
    forced = true;
    if (options.human) say(colors.red('second interrupt: sending SIGKILL to the run now'));
    // The attempts and services each lead their own session and process group (setsid(2)).
    const leaders = [...groups];
    killTree(
      { token: options.runId },
      {
        signal: 'SIGKILL',
        graceMs: 0,
        processGroups: leaders.map(([pgid, leaderStartTicks]) => ({ pgid, leaderStartTicks })),
        sessions: leaders.map(([sid, leaderStartTicks]) => ({ sid, leaderStartTicks })),
      },
    ).catch(() => undefined);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (signal === 'SIGHUP') markHungUp();
    if (!first) {
      first = { signal, atMs: performance.now() };
      if (options.human && signal !== 'SIGHUP') {
        say(
          colors.yellow(
            `received ${signal}: ending the run's tree (SIGTERM, then SIGKILL after ${formatDuration(options.graceMs)}; Ctrl-C again to kill it now)`,
          ),
        );
      }
      options.stop(signal);
      return;
    }
    if (forced || signal === 'SIGHUP') return;
    const leftMs = options.graceMs - (performance.now() - first.atMs);
    if (leftMs > 0) force();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  const offHangup = onHangup(() => onSignal('SIGHUP'));

  return {
    get signal() {
      return first?.signal;
    },
    observe(event) {
      if (
        (event.type === 'spawned' ||
          event.type === 'resumed' ||
          event.type === 'service-started') &&
        typeof event.pid === 'number'
      ) {
        const ticks = event.startTicks;
        if (typeof ticks === 'number') groups.set(event.pid, ticks);
      }
    },
    dispose() {
      for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
      offHangup();
    },
  };
}
