import { relative } from 'node:path';
import { CoordinationError } from '@runwarden/coordination-state';
import { writeEvidence } from '@runwarden/evidence-hasher';
import {
  LockCorruptError,
  LockError,
  type LockHandle,
  LockHeldError,
  tryAcquire,
} from '@runwarden/lock-core';
import {
  EXIT_CODES,
  type JournalEvent,
  newRunId,
  type ReasonCode,
  type RunResult,
  superviseRun,
} from '@runwarden/watchdog';
import { z } from 'zod';
import { parseCount, parseDuration } from '../durations.js';
import { CliError, usage } from '../errors.js';
import { processesOfRun } from '../orphans.js';
import { colors, printJson, say } from '../output.js';
import { ensureStateDir, findRepoRoot, resolveStateDir, statePaths } from '../state-dir.js';
import { claimTargetForRun, type TargetClaim } from '../target-claim.js';
import { describeEvent } from './story.js';

/** Raw flags of `runwarden run`, as commander gives them. */
export interface RunFlags {
  target?: string;
  store?: string;
  databaseUrl?: string;
  coordinationDir?: string;
  missionTimeout?: string;
  idleTimeout?: string;
  startupTimeout?: string;
  maxResumes?: string;
  resumeCmd?: string;
  doneFile?: string;
  killGrace?: string;
  stateDir?: string;
  json?: boolean;
}

const runSettingsSchema = z.object({
  command: z.string().min(1, 'a command to run is required after --'),
  args: z.array(z.string()),
  target: z.string().min(1).optional(),
  missionTimeoutMs: z.number().int().nonnegative(),
  idleTimeoutMs: z.number().int().nonnegative(),
  startupTimeoutMs: z.number().int().nonnegative().optional(),
  maxResumes: z.number().int().nonnegative().max(10_000),
  resumeCommand: z.string().min(1).optional(),
  doneFile: z.string().min(1).optional(),
  killGraceMs: z.number().int().nonnegative(),
  json: z.boolean(),
});

/** Validated settings of a run. */
export type RunSettings = z.infer<typeof runSettingsSchema>;

/** Turns flags into settings. @throws {CliError} `USAGE` with one line naming the flag. */
export function parseRunFlags(commandLine: string[], flags: RunFlags): RunSettings {
  const [command, ...args] = commandLine;
  const candidate = {
    command: command ?? '',
    args,
    target: flags.target,
    missionTimeoutMs:
      flags.missionTimeout !== undefined
        ? parseDuration('--mission-timeout', flags.missionTimeout)
        : 0,
    idleTimeoutMs:
      flags.idleTimeout !== undefined
        ? parseDuration('--idle-timeout', flags.idleTimeout)
        : 30 * 60_000,
    startupTimeoutMs:
      flags.startupTimeout !== undefined
        ? parseDuration('--startup-timeout', flags.startupTimeout)
        : undefined,
    maxResumes: flags.maxResumes !== undefined ? parseCount('--max-resumes', flags.maxResumes) : 20,
    resumeCommand: flags.resumeCmd,
    doneFile: flags.doneFile,
    killGraceMs:
      flags.killGrace !== undefined ? parseDuration('--kill-grace', flags.killGrace) : 5000,
    json: flags.json ?? false,
  };
  const parsed = runSettingsSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'command');
    throw usage(
      name === 'command'
        ? issue.message
        : `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${issue.message}`,
    );
  }
  return parsed.data;
}

/**
 * `runwarden run`: one run at a time under the watchdog, on the embedded
 * default. Returns the exit code.
 */
export async function runCommand(commandLine: string[], flags: RunFlags): Promise<number> {
  const settings = parseRunFlags(commandLine, flags);
  const stateDir = resolveStateDir(flags.stateDir);
  ensureStateDir(stateDir);
  const paths = statePaths(stateDir);
  const runId = newRunId();
  const runDir = paths.runDir(runId);
  const human = !settings.json;

  let lock: LockHandle;
  try {
    lock = await tryAcquire(paths.lock, {
      runId,
      repoMarker: findRepoRoot(),
      staleAfterMs: 60_000,
      abortOnLateHeartbeat: false,
      orphansOf: (record) => processesOfRun(record.runId),
    });
  } catch (error) {
    throw lockFailure(error);
  }

  const controller = new AbortController();
  let interruptedBy: string | undefined;
  let lostBecause: string | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interruptedBy) return;
    interruptedBy = signal;
    if (human) say(colors.yellow(`received ${signal}: ending the run's tree…`));
    controller.abort();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, onSignal);
  lock.signal.addEventListener('abort', () => {
    lostBecause = (lock.signal.reason as Error)?.message ?? 'lock lost';
    if (human) say(colors.red(`lost the lock: ${lostBecause}`));
    controller.abort();
  });

  let targetClaim: TargetClaim | undefined;
  let result: RunResult | undefined;
  let reason: ReasonCode = 'INTERNAL';
  let evidence:
    | { sumsPath: string; manifestPath: string; checkFrom: string; rootDigest: string }
    | undefined;
  try {
    if (settings.target) {
      targetClaim = await claimTargetForRun({
        target: settings.target,
        runId,
        flags: { ...flags, stateDir },
        onLost: (message) => {
          lostBecause = message;
          controller.abort();
        },
      });
      if (human)
        say(
          `claimed target ${colors.bold(targetClaim.claim.target)} (${targetClaim.claim.status}, fencing token ${targetClaim.claim.fencingToken})`,
        );
    }

    result = await superviseRun({
      command: settings.command,
      args: settings.args,
      runId,
      runDir,
      missionTimeoutMs: settings.missionTimeoutMs,
      idleTimeoutMs: settings.idleTimeoutMs,
      startupTimeoutMs: settings.startupTimeoutMs,
      maxResumes: settings.maxResumes,
      resume: settings.resumeCommand
        ? { command: '/bin/sh', args: ['-c', settings.resumeCommand] }
        : undefined,
      doneFile: settings.doneFile,
      killGraceMs: settings.killGraceMs,
      signal: controller.signal,
      stdout: human ? process.stdout : undefined,
      stderr: human ? process.stderr : undefined,
      onEvent: human ? (event: JournalEvent) => describeEvent(event, settings) : undefined,
    });
    reason = result.reason;
    if (reason === 'INTERRUPTED' && lostBecause) reason = 'LOCK_HELD';
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
    if (targetClaim) {
      const problems = await targetClaim.finish(reason, result?.message);
      if (human) for (const problem of problems) say(colors.yellow(`target: ${problem}`));
    }
    try {
      const written = writeEvidence(runDir);
      evidence = {
        sumsPath: written.sumsPath,
        manifestPath: written.manifestPath,
        checkFrom: written.checkFrom,
        rootDigest: written.manifest.rootDigest,
      };
    } catch (error) {
      if (human) say(colors.red(`could not write evidence: ${(error as Error).message}`));
    }
    await lock.release();
  }

  const exitCode = EXIT_CODES[reason];
  if (settings.json) {
    printJson(reason, {
      runId,
      message: result?.message,
      attempts: result?.attempts,
      resumes: result?.resumes,
      durationMs: result?.durationMs,
      timedOut: result?.timedOut,
      isTerminated: result?.isTerminated,
      isForcefullyTerminated: result?.isForcefullyTerminated,
      lastExit: result?.lastExit,
      survivors: result?.survivors,
      runDir,
      stateDir,
      target: settings.target,
      evidence,
    });
  } else {
    const paint = reason === 'OK' ? colors.green : colors.red;
    say(
      `${paint(colors.bold(reason))} (exit ${exitCode}): ${lostBecause && reason === 'LOCK_HELD' ? lostBecause : (result?.message ?? '')}`,
    );
    say(`logs: ${relativeOrAbsolute(runDir)}/{stdout.log,stderr.log,journal.jsonl}`);
    if (evidence) {
      say(`evidence: ${relativeOrAbsolute(evidence.sumsPath)} (${evidence.rootDigest})`);
      say(
        `check it: ${colors.cyan(`(cd ${relativeOrAbsolute(evidence.checkFrom)} && sha256sum -c evidence/SHA256SUMS)`)}`,
      );
    }
  }
  return exitCode;
}

function relativeOrAbsolute(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** Maps a lock-core error to the CLI's exit table. */
export function lockFailure(error: unknown): unknown {
  if (LockHeldError.isInstance(error) && error.code === 'ERR_LOCK_HELD') {
    const held = error as LockHeldError;
    const pid = held.holder?.holder.pid;
    return new CliError('LOCK_HELD', held.message, held.hint, {
      lockPath: held.path,
      holderPid: pid,
      holderRunId: held.holder?.runId,
      heldBecause: held.reason,
    });
  }
  if (LockCorruptError.isInstance(error) && error.code === 'ERR_LOCK_CORRUPT') {
    return new CliError('INVALID_STATE', error.message, error.hint, { path: error.path });
  }
  if (LockError.isInstance(error))
    return new CliError('INVALID_STATE', error.message, error.hint, { path: error.path });
  if (CoordinationError.isInstance(error)) {
    return new CliError(
      error.code === 'ERR_INVALID_STATE' ? 'INVALID_STATE' : 'USAGE',
      error.message,
      error.hint,
      { path: error.path },
    );
  }
  return error;
}
