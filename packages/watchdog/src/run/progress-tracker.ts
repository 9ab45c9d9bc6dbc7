/**
 * Progress of a run across its attempts: the watched files and the heartbeat
 * file polled, each move stamped on the running attempt (progress idle) and
 * remembered until the next resume (the resume budget), and journalled at
 * most once a minute after an attempt's first move.
 */
import type { JournalEventType } from '../journal-schema.js';
import type { AttemptTimes } from '../liveness.js';
import type { ProgressWatcher } from '../progress.js';

/** The least time between two `progress` events of one attempt, after its first (1 min). */
export const PROGRESS_JOURNAL_MS = 60_000;

/** Polls a run's progress sources and journals their moves. */
export class ProgressTracker {
  /** A progress source moved since the previous resume (or since the start). */
  sinceResume = false;
  private eventThisAttempt = false;
  private lastEventAtMs = Number.NEGATIVE_INFINITY;
  private pending = { changes: 0, sources: new Set<string>() };

  /**
   * @param watcher - the sources.
   * @param emit - writes a journal event of the current attempt.
   * @param monotonicNow - the run's monotonic clock.
   */
  constructor(
    readonly watcher: ProgressWatcher,
    private readonly emit: (type: JournalEventType, data: Record<string, unknown>) => void,
    private readonly monotonicNow: () => number,
  ) {}

  /** True when at least one source is watched. */
  get active(): boolean {
    return this.watcher.active;
  }

  /** Called when an attempt begins: its first move is journalled at once. */
  beginAttempt(): void {
    this.eventThisAttempt = false;
  }

  /** Called when a resume starts: the budget counts moves from here. */
  resumed(): void {
    this.sinceResume = false;
  }

  /**
   * Stats the sources once; a move is stamped on `times` and journalled.
   *
   * @param times - the running attempt, if any.
   */
  poll(times: AttemptTimes | undefined): void {
    if (!this.watcher.active) return;
    const moved = this.watcher.poll();
    if (moved.length === 0) return;
    const at = this.monotonicNow();
    if (times) times.lastProgressAtMs = at;
    this.sinceResume = true;
    this.pending.changes += moved.length;
    for (const source of moved) this.pending.sources.add(source);
    if (!this.eventThisAttempt || at - this.lastEventAtMs >= PROGRESS_JOURNAL_MS) {
      this.eventThisAttempt = true;
      this.lastEventAtMs = at;
      const sources = [...this.pending.sources];
      this.emit('progress', {
        source: sources[0]!,
        sources,
        changes: this.pending.changes,
        checkpoint: this.watcher.lastCheckpoint(),
      });
      this.pending = { changes: 0, sources: new Set() };
    }
  }
}
