import type { Checkpoint } from './progress.js';
import type { ReasonCode } from './reasons.js';
import type { ResumeRule } from './resume-policy.js';

/**
 * The result of a supervised run: the same flags as a kill result or an execa
 * result (`ok`, `reason`, `exitCode`, `timedOut`, `isTerminated`,
 * `isForcefullyTerminated`, `durationMs`; execa's `types/return/result.d.ts`).
 */
export interface RunResult {
  /** True only for `OK`. */
  ok: boolean;
  /** Why the run ended (DESIGN.md's table). */
  reason: ReasonCode;
  /** Exit code from the table in DESIGN.md. */
  exitCode: number;
  /** The run id. */
  runId: string;
  /** Absolute run directory. */
  runDir: string;
  /** Attempts started or adopted (1 + resumes). */
  attempts: number;
  /** Resumes done (quota pauses included). */
  resumes: number;
  /** Resumes that counted against `maxResumes` (those after a death without progress). */
  budgetSpent: number;
  /** Quota pauses taken. */
  quotaPauses: number;
  /** Wall time in ms, on the monotonic clock. */
  durationMs: number;
  /** True when the mission timeout ended the run. */
  timedOut: boolean;
  /** True when runwarden ended the child's tree (timeout, idle, interrupt, completion grace). */
  isTerminated: boolean;
  /** True when the forced signal was needed. */
  isForcefullyTerminated: boolean;
  /** How the last attempt's process ended (`null` fields for an adopted process). */
  lastExit: { code: number | null; signal: NodeJS.Signals | null } | null;
  /** Processes that survived SIGKILL (`UNKILLABLE`). */
  survivors: { pid: number; reason: string }[];
  /** What proved completion: `done-file`, `marker`, `check`, `predicate`, `exit-0`. */
  completedBy?: string;
  /** The last checkpoint read from the heartbeat file. */
  checkpoint?: Checkpoint;
  /** The resume rules in force (`resumeOn`, or its default for this run). */
  resumeOn: ResumeRule[];
  /** Resumes and quota pauses, counted by the rule of the death before them. */
  resumedBy: Partial<Record<ResumeRule, number>>;
  /** The rule of the death that ended the run (not in `resumeOn`, resumes off, or the budget spent); absent otherwise. */
  endedByRule?: ResumeRule;
  /** What the run warned about (e.g. a DONE file that was there before it started); also `warning` journal events. */
  warnings: string[];
  /** One line for people. */
  message: string;
}
