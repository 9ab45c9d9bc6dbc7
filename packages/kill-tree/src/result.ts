import { isSurvivorReason } from './outcome.js';
import type { KillMechanism, KillProcessReport, KillSurvivor, KillTreeResult } from './types.js';

/** What both engines (POSIX and Windows) know once the kill is over. */
export interface KillSummaryInput {
  mechanism: KillMechanism;
  rootPid: number | null;
  /** Every process found, with its reason (and state, when still there). */
  processes: KillProcessReport[];
  escalated: boolean;
  /** `performance.now()` when the kill began. */
  startedMs: number;
  /** Wall time of each phase, in ms (unrounded). */
  phasesMs: { snapshotMs: number; graceMs: number; forceMs: number };
}

/**
 * The {@link KillTreeResult} of a finished kill: what is still alive (a
 * survivor reason) is a survivor, the rest is `killed`, ascending; times in
 * whole ms.
 *
 * @param input - the reports, the mechanism and the phase times.
 * @returns the result.
 */
export function summarizeKill(input: KillSummaryInput): KillTreeResult {
  const survivors: KillSurvivor[] = [];
  const killed: number[] = [];
  for (const report of input.processes) {
    if (isSurvivorReason(report.reason)) {
      const survivor: KillSurvivor = { pid: report.pid, reason: report.reason, comm: report.comm };
      if (report.state !== undefined) survivor.state = report.state;
      survivors.push(survivor);
    } else {
      killed.push(report.pid);
    }
  }
  return {
    ok: survivors.length === 0,
    mechanism: input.mechanism,
    rootPid: input.rootPid,
    killed: killed.sort((a, b) => a - b),
    survivors,
    processes: input.processes,
    escalated: input.escalated,
    durationMs: Math.round(performance.now() - input.startedMs),
    phases: {
      snapshotMs: Math.round(input.phasesMs.snapshotMs),
      graceMs: Math.round(input.phasesMs.graceMs),
      forceMs: Math.round(input.phasesMs.forceMs),
    },
  };
}
