import type { ProcessIdentity } from '@runwarden/process-identity';
import type { JournalEvent, ReasonCode } from '@runwarden/watchdog';
import type { LoopState, StatePaths } from './state.js';
import type { SupervisorJournal } from './supervisor-journal.js';

/** One loop as `status --json` and `GET /runs` show it. */
export interface LoopStatus {
  name: string;
  state: LoopState;
  /** The live attempt's pid; `null` between attempts and runs. */
  pid: number | null;
  runId: string | null;
  /** The run's attempt (1-based; 0 before the first). */
  attempt: number;
  /** Resumes the run's watchdog did so far. */
  resumesUsed: number;
  /** Of those, the resumes that counted against `maxResumes`. */
  budgetSpent: number;
  /** Restarts by the supervisor within the give-up window. */
  restarts: number;
  lastReason: ReasonCode | null;
  lastMessage: string | null;
  /** When a progress source last moved, as the run's journal says (ISO 8601). */
  lastProgressAt: string | null;
  /** When the current run started (ISO 8601). */
  runStartedAt: string | null;
  /** When the next run starts, in state `backoff` (ISO 8601). */
  nextStartAt: string | null;
  /** The process that supervises the loop. */
  owner: { pid: number; hostname: string; startTimeMs: number } | null;
  /** When the live attempt last wrote output (ISO 8601), as its watchdog's last tick saw it; `null` before its first byte or between attempts. */
  lastOutputAt: string | null;
  /** When the mission timeout ends the current run (ISO 8601); `null` without one or between runs. */
  missionDeadlineAt: string | null;
}

/** What every loop of one supervisor shares. */
export interface LoopContext {
  paths: StatePaths;
  journal: SupervisorJournal;
  /** The supervisor's own identity (evidence, target owner, status). */
  self: ProcessIdentity | null;
  /** Called with every event of every run (the API's event feed). @default none */
  onRunEvent?: (loop: string, event: JournalEvent) => void;
  /** Injected randomness for the restart jitter. @default Math.random */
  random?: () => number;
}
