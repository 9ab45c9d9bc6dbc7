import type { JournalEvent } from './journal-schema.js';
import type { ReasonCode } from './reasons.js';

/** Where a run is, as its journal tells it. */
export type RunState = 'starting' | 'running' | 'stopping' | 'backing-off' | 'paused' | 'ended';

/** A run's state folded from its journal: what `runwarden status` and a supervisor show. */
export interface RunSummary {
  runId: string;
  /** `starting` (services), `running` (an attempt is alive), `stopping` (an attempt is being ended or judged), `backing-off` (waiting to resume), `paused` (quota), `ended`. */
  state: RunState;
  /** The current (or last) attempt, 1-based; 0 before the first. */
  attempt: number;
  /** Resumes started so far. */
  resumes: number;
  /** Resumes that counted against the budget. */
  budgetSpent: number;
  /** The budget, from the `started` event. */
  maxResumes?: number;
  /** Quota pauses taken. */
  quotaPauses: number;
  /** The running attempt's pid. */
  pid?: number;
  /** The run's command line. */
  command?: string[];
  startedAt?: string;
  /** When a scheduled resume is due (ISO 8601). */
  nextResumeAt?: string;
  /** Until when a quota pause lasts (ISO 8601). */
  pausedUntil?: string;
  /** When a progress source last moved, as journalled (ISO 8601). */
  lastProgressAt?: string;
  /** Why the last attempt died. */
  lastDeath?: ReasonCode;
  /** Set once ended. */
  endedAt?: string;
  reason?: ReasonCode;
  exitCode?: number;
  message?: string;
  /** The hand-off, when the budget was spent. */
  handoff?: { resumeCommand: string; lastLines: string[] };
  /** The last event. */
  lastEvent?: JournalEvent;
}

/**
 * Folds a journal into the run's current state (a pure function of the events).
 *
 * @param events - the run's journal events, in order ({@link readJournal}).
 * @returns the summary; `runId` is empty for an empty journal.
 */
export function summarizeJournal(events: readonly JournalEvent[]): RunSummary {
  const summary: RunSummary = {
    runId: events[0]?.runId ?? '',
    state: 'starting',
    attempt: 0,
    resumes: 0,
    budgetSpent: 0,
    quotaPauses: 0,
  };
  const at = (ts: string, plusMs: number) => new Date(Date.parse(ts) + plusMs).toISOString();
  for (const event of events) {
    summary.lastEvent = event;
    summary.attempt = Math.max(summary.attempt, event.attempt);
    switch (event.type) {
      case 'started':
        summary.startedAt = event.ts;
        summary.command = [String(event.command), ...((event.args as string[]) ?? [])];
        if (typeof event.maxResumes === 'number') summary.maxResumes = event.maxResumes;
        break;
      case 'spawned':
      case 'adopted':
      case 'resumed':
        summary.state = 'running';
        summary.pid = event.pid as number;
        summary.nextResumeAt = undefined;
        summary.pausedUntil = undefined;
        if (event.type === 'resumed') summary.resumes++;
        break;
      case 'progress':
        summary.lastProgressAt = event.ts;
        break;
      case 'died':
        summary.state = 'stopping';
        summary.pid = undefined;
        summary.lastDeath = event.reason ?? undefined;
        break;
      case 'resume-scheduled':
        summary.state = 'backing-off';
        summary.budgetSpent = event.budgetSpent as number;
        summary.nextResumeAt = at(event.ts, event.delayMs as number);
        break;
      case 'quota-pause':
        summary.state = 'paused';
        summary.quotaPauses = event.pauses as number;
        summary.pausedUntil = event.until as string;
        break;
      case 'handoff':
        summary.handoff = {
          resumeCommand: event.resumeCommand as string,
          lastLines: event.lastLines as string[],
        };
        break;
      case 'ended':
        summary.state = 'ended';
        summary.pid = undefined;
        summary.endedAt = event.ts;
        summary.reason = event.reason ?? undefined;
        summary.exitCode = event.exitCode as number;
        summary.message = event.message as string;
        summary.budgetSpent = event.budgetSpent as number;
        summary.resumes = event.resumes as number;
        break;
      case 'output-idle':
      case 'startup-idle':
      case 'progress-idle':
      case 'timeout':
      case 'interrupted':
      case 'lock-lost':
      case 'service-died':
      case 'exited':
      case 'completed':
        if (summary.state !== 'ended') summary.state = 'stopping';
        break;
      default:
        break;
    }
  }
  return summary;
}
