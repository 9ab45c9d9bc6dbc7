import type { JournalEvent } from '@runwarden/watchdog';

/** Where a loop's current run is, as its watchdog's events tell it. */
export interface RunProgressFacts {
  runId: string | null;
  /** The live attempt's pid; `null` between attempts and runs. */
  pid: number | null;
  /** 1-based; 0 before the first. */
  attempt: number;
  /** Resumes the run's watchdog did so far. */
  resumes: number;
  /** Of those, the resumes that counted against `maxResumes`. */
  budgetSpent: number;
  /** When a progress source last moved (ISO 8601). */
  lastProgressAt: string | null;
  /** When the run started (ISO 8601). */
  startedAt: string | null;
}

/** What one run event means for the loop: an attempt's process began (and whether adopted). */
export interface RunEventMeaning {
  /** A process of the run began: spawned, resumed or adopted. */
  began: boolean;
  /** It was adopted (a supervisor started again found it alive). */
  adopted: boolean;
}

/**
 * A loop's current run, followed from its watchdog's journal events: the
 * pid, the attempt, resumes and the budget spent, the last progress.
 */
export class RunProgress {
  /** The facts now. */
  facts: RunProgressFacts = {
    runId: null,
    pid: null,
    attempt: 0,
    resumes: 0,
    budgetSpent: 0,
    lastProgressAt: null,
    startedAt: null,
  };

  /**
   * Begins a run: a fresh one, or an adopted one that continues its attempt and budget.
   *
   * @param start - the run's id, when it started, and what it continues from.
   */
  begin(start: {
    runId: string;
    startedAtMs: number;
    pid?: number;
    continueFrom?: { attempt: number; resumes?: number; budgetSpent?: number };
  }): void {
    this.facts = {
      runId: start.runId,
      pid: start.pid ?? null,
      attempt: start.continueFrom?.attempt ?? 0,
      resumes: start.continueFrom?.resumes ?? 0,
      budgetSpent: start.continueFrom?.budgetSpent ?? 0,
      lastProgressAt: null,
      startedAt: new Date(start.startedAtMs).toISOString(),
    };
  }

  /**
   * Takes one event of the run's journal.
   *
   * @param event - the event.
   * @returns what it means for the loop.
   */
  apply(event: JournalEvent): RunEventMeaning {
    const facts = this.facts;
    facts.attempt = Math.max(facts.attempt, event.attempt);
    switch (event.type) {
      case 'spawned':
      case 'resumed':
      case 'adopted':
        facts.pid = event.pid as number;
        if (event.type === 'resumed') facts.resumes += 1;
        return { began: true, adopted: event.type === 'adopted' };
      case 'resume-scheduled':
        facts.budgetSpent = event.budgetSpent as number;
        break;
      case 'progress':
        facts.lastProgressAt = event.ts;
        break;
      case 'exited':
      case 'died':
        facts.pid = null;
        break;
      default:
        break;
    }
    return { began: false, adopted: false };
  }

  /** The run has ended: no live pid. */
  ended(): void {
    this.facts.pid = null;
  }
}
