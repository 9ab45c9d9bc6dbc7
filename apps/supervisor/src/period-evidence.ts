import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeEvidenceAsync } from '@runwarden/evidence-hasher';
import type { ProcessIdentity } from '@runwarden/process-identity';
import { EXIT_CODES, type ReasonCode } from '@runwarden/watchdog';
import type { LoopStatus } from './loop-status.js';
import { ensurePrivateDir } from './state-files.js';
import type { StatePaths } from './state-paths.js';

/** The evidence of a supervised period, as the outcome and the journal name it. */
export type PeriodEvidence = {
  sumsPath: string;
  checkFrom: string;
  rootDigest: string;
};

/** Input of {@link writePeriodEvidence}. */
export interface PeriodEvidenceInput {
  paths: StatePaths;
  /** The supervisor session's id (the manifest's `runId`). */
  sessionId: string;
  /** The config file. */
  configFile: string;
  reason: ReasonCode;
  startedAt: Date;
  /** How long the period lasted so far, in ms. */
  durationMs: number;
  /** Every loop at the end, with the runs it started in the period. */
  loops: (LoopStatus & { runs: number })[];
  /** The supervisor's own identity. */
  self: ProcessIdentity | null;
}

/**
 * Writes one manifest over every loop's run directories (`<stateDir>/loops`,
 * the run locks left out) into `supervisor/evidence/<sessionId>/`
 * (`@runwarden/evidence-hasher`), with the period as its predicate.
 *
 * @param input - the paths, the session, the loops and the supervisor.
 * @returns where the sums are, where to check them from, and the root digest.
 * @throws what `writeEvidenceAsync` throws (an unreadable run file, a full disk).
 */
export async function writePeriodEvidence(input: PeriodEvidenceInput): Promise<PeriodEvidence> {
  const root = input.paths.loopsDir;
  const exclude: string[] = [];
  for (const name of readdirSync(root)) {
    let entries: string[] = [];
    try {
      entries = readdirSync(join(root, name));
    } catch {
      continue;
    }
    for (const entry of entries) if (entry.startsWith('RUN.lock')) exclude.push(`${name}/${entry}`);
  }
  const outDir = input.paths.evidenceDir(input.sessionId);
  ensurePrivateDir(input.paths.stateDir, outDir);
  const { self } = input;
  const written = await writeEvidenceAsync(root, {
    outDir,
    exclude,
    predicate: {
      runId: input.sessionId,
      kind: 'supervised-period',
      command: ['runwarden-supervisor', 'start', '--config', input.configFile],
      cwd: process.cwd(),
      reason: input.reason,
      exitCode: EXIT_CODES[input.reason],
      startedAt: input.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      durationMs: input.durationMs,
      loops: input.loops.map((loop) => ({
        name: loop.name,
        state: loop.state,
        runs: loop.runs,
        restarts: loop.restarts,
        lastReason: loop.lastReason,
      })),
      processes: self
        ? [
            {
              role: 'runwarden-supervisor',
              pid: self.pid,
              startTimeMs: self.startTimeMs,
              bootId: self.bootId,
              machineId: self.machineId,
              hostname: self.hostname,
            },
          ]
        : [],
    },
  });
  return {
    sumsPath: written.sumsPath,
    checkFrom: written.checkFrom,
    rootDigest: written.manifest.rootDigest,
  };
}
