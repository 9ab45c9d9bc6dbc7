/**
 * Whether a run is complete after an attempt ended, decided from plain data.
 * Completion is never just exit 0 when a predicate is set: the DONE file or
 * the marker first (when either is set), then the check command, then
 * `isComplete`, all of them. The check and `isComplete` are asked for only
 * when the facts before them hold (a `pending` verdict), so a failed DONE
 * file never runs the check.
 */

/** The facts {@link judgeCompletion} decides on. */
export interface CompletionFacts {
  /** Which completion predicates the run has. */
  predicates: {
    /** `doneFile` or `doneMarker` is set. */
    doneSignal: boolean;
    /** `checkCommand` is set. */
    checkCommand: boolean;
    /** `isComplete` is set. */
    isComplete: boolean;
  };
  /** The attempt ended by exiting 0. */
  exitedZero: boolean;
  /** The attempt's last lines hold a quota message (an agent CLI exits 0 on a usage limit). */
  quotaHit: boolean;
  /** The DONE file is this run's (it appeared, or changed, after the start). */
  doneFileFresh: boolean;
  /** The done marker was a line of this attempt's output. */
  markerSeen: boolean;
  /** The check command's verdict; absent until it ran. */
  check?: { passed: boolean };
  /** What `isComplete` answered; absent until it was asked. */
  isComplete?: boolean;
}

/** The verdict of {@link judgeCompletion}. */
export type CompletionVerdict =
  | {
      state: 'complete';
      /** What proved it: `exit-0`, `done-file`, `marker`, `check`, `done-file+check`, `marker+check`, `predicate`. */
      by: string;
    }
  | {
      state: 'incomplete';
      /** Why not. */
      why: 'not-exit-0' | 'quota' | 'no-done-signal' | 'check-failed' | 'predicate-false';
    }
  | {
      state: 'pending';
      /** Run the check command (`check`) or ask `isComplete` (`is-complete`), add its answer, and judge again. */
      needs: 'check' | 'is-complete';
    };

/**
 * Judges completion. The rules, in order:
 *
 * 1. no predicate: exit 0 is completion (`exit-0`), unless a quota message was printed;
 * 2. `doneFile` or `doneMarker` set: a fresh DONE file (`done-file`) or the
 *    marker (`marker`) must be there;
 * 3. `checkCommand` set: it must pass (`…+check`, or `check` alone);
 * 4. `isComplete` set: it must answer true;
 * 5. all that hold: complete, by the first proof (`predicate` when only `isComplete` proved it).
 *
 * @param facts - what is known after the attempt.
 * @returns complete (and by what), incomplete (and why), or what to find out first.
 */
export function judgeCompletion(facts: CompletionFacts): CompletionVerdict {
  const { predicates } = facts;
  if (!predicates.doneSignal && !predicates.checkCommand && !predicates.isComplete) {
    if (!facts.exitedZero) return { state: 'incomplete', why: 'not-exit-0' };
    return facts.quotaHit
      ? { state: 'incomplete', why: 'quota' }
      : { state: 'complete', by: 'exit-0' };
  }
  let by: string | undefined;
  if (predicates.doneSignal) {
    if (facts.doneFileFresh) by = 'done-file';
    else if (facts.markerSeen) by = 'marker';
    else return { state: 'incomplete', why: 'no-done-signal' };
  }
  if (predicates.checkCommand) {
    if (facts.check === undefined) return { state: 'pending', needs: 'check' };
    if (!facts.check.passed) return { state: 'incomplete', why: 'check-failed' };
    by = by ? `${by}+check` : 'check';
  }
  if (predicates.isComplete) {
    if (facts.isComplete === undefined) return { state: 'pending', needs: 'is-complete' };
    if (!facts.isComplete) return { state: 'incomplete', why: 'predicate-false' };
  }
  return { state: 'complete', by: by ?? 'predicate' };
}
