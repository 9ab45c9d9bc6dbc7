import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { CoordinationError } from '@runwarden/coordination-state';
import { type RunPredicate, writeEvidence } from '@runwarden/evidence-hasher';
import {
  LockCorruptError,
  LockError,
  type LockHandle,
  LockHeldError,
  tryAcquire,
} from '@runwarden/lock-core';
import { captureIdentity } from '@runwarden/process-identity';
import {
  AGENT_QUOTA_PATTERN,
  EXIT_CODES,
  type JournalEvent,
  newRunId,
  RESUME_RULES,
  type ReasonCode,
  type RunResult,
  readJournal,
  readyPortSchema,
  readyUrlSchema,
  type SuperviseOptions,
  serviceFailure,
  superviseRun,
  validateOptions,
  WatchdogError,
} from '@runwarden/watchdog';
import { z } from 'zod';
import { checkStoreFlags } from '../coordination-store.js';
import { parseCount, parseDuration, parseSize } from '../durations.js';
import { CliError, usage } from '../errors.js';
import { handleInterrupts } from '../interrupt.js';
import { processesOfRun } from '../orphans.js';
import { colors, printJson, say } from '../output.js';
import { parseResumeOn } from '../resume-on.js';
import { normalizedTarget, runLockPath } from '../run-lock.js';
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
  progressTimeout?: string;
  watch?: string[];
  heartbeatFile?: string;
  maxResumes?: string;
  resumeOn?: string;
  resumeCmd?: string;
  doneFile?: string;
  doneMarker?: string;
  checkCmd?: string;
  quotaPattern?: string | boolean;
  quotaWait?: string;
  service?: string;
  readyUrl?: string;
  readyPort?: string;
  readyTimeout?: string;
  connectTimeout?: string;
  readTimeout?: string;
  adopt?: string;
  logMaxSize?: string;
  logBackups?: string;
  backoffInitial?: string;
  backoffMax?: string;
  killGrace?: string;
  targetLease?: string;
  stateDir?: string;
  json?: boolean;
}

/** The flag each setting comes from, for one-line USAGE messages. */
const FLAG_OF: Record<string, string> = {
  target: '--target',
  missionTimeoutMs: '--mission-timeout',
  idleTimeoutMs: '--idle-timeout',
  startupTimeoutMs: '--startup-timeout',
  progressIdleMs: '--progress-timeout',
  watch: '--watch',
  heartbeatFile: '--heartbeat-file',
  maxResumes: '--max-resumes',
  resumeOn: '--resume-on',
  resumeCommand: '--resume-cmd',
  doneFile: '--done-file',
  doneMarker: '--done-marker',
  checkCommand: '--check-cmd',
  quotaPattern: '--quota-pattern',
  quotaWaitMs: '--quota-wait',
  service: '--service',
  readyUrl: '--ready-url',
  readyPort: '--ready-port',
  readyTimeoutMs: '--ready-timeout',
  connectTimeoutMs: '--connect-timeout',
  readTimeoutMs: '--read-timeout',
  adoptPid: '--adopt',
  logMaxBytes: '--log-max-size',
  logBackups: '--log-backups',
  backoffInitialMs: '--backoff-initial',
  backoffMaxMs: '--backoff-max',
  killGraceMs: '--kill-grace',
};

const runSettingsSchema = z
  .object({
    command: z.string().min(1, 'a command to run is required after --'),
    args: z.array(z.string()),
    target: z.string().min(1).optional(),
    missionTimeoutMs: z.number().int().nonnegative(),
    idleTimeoutMs: z.number().int().nonnegative(),
    startupTimeoutMs: z.number().int().nonnegative().optional(),
    progressIdleMs: z.number().int().nonnegative().optional(),
    watch: z.array(z.string().min(1, 'must not be empty')),
    heartbeatFile: z.string().min(1).optional(),
    maxResumes: z.number().int().nonnegative().max(10_000),
    resumeOn: z.array(z.enum(RESUME_RULES)).optional(),
    resumeCommand: z.string().min(1).optional(),
    doneFile: z.string().min(1).optional(),
    doneMarker: z.string().trim().min(1, 'must not be blank').optional(),
    checkCommand: z.string().min(1).optional(),
    quotaPattern: z
      .string()
      .min(1, 'must not be empty')
      .refine(
        (value) => {
          try {
            new RegExp(value, 'i');
            return true;
          } catch {
            return false;
          }
        },
        { error: 'is not a valid regular expression' },
      )
      .optional(),
    quotaWaitMs: z.number().int().nonnegative(),
    service: z.string().min(1).optional(),
    readyUrl: readyUrlSchema.optional(),
    readyPort: readyPortSchema.optional(),
    readyTimeoutMs: z.number().int().positive({ error: 'must be more than 0' }),
    connectTimeoutMs: z.number().int().positive({ error: 'must be more than 0' }),
    readTimeoutMs: z.number().int().positive({ error: 'must be more than 0' }),
    adoptPid: z.number().int().positive({ error: 'must be a pid' }).optional(),
    logMaxBytes: z.number().int().nonnegative(),
    logBackups: z.number().int().nonnegative().max(1000),
    backoffInitialMs: z.number().int().nonnegative(),
    backoffMaxMs: z.number().int().nonnegative(),
    killGraceMs: z.number().int().nonnegative(),
    json: z.boolean(),
  })
  .superRefine((settings, context) => {
    const issue = (path: string, message: string) =>
      context.addIssue({ code: 'custom', path: [path], message });
    if ((settings.readyUrl || settings.readyPort) && !settings.service)
      issue(settings.readyUrl ? 'readyUrl' : 'readyPort', 'needs --service');
    if (settings.readyUrl && settings.readyPort)
      issue('readyPort', 'give --ready-url or --ready-port, not both');
    if (settings.progressIdleMs && settings.watch.length === 0 && !settings.heartbeatFile)
      issue('progressIdleMs', 'needs --watch or --heartbeat-file');
  });

/** Validated settings of a run. */
export type RunSettings = z.infer<typeof runSettingsSchema>;

/**
 * Turns flags into settings.
 *
 * @param commandLine - the command and its arguments, after `--`.
 * @param flags - the raw flags.
 * @returns the validated settings.
 * @throws {CliError} `USAGE` with one line naming the flag.
 */
export function parseRunFlags(commandLine: string[], flags: RunFlags): RunSettings {
  const [command, ...args] = commandLine;
  const duration = (flag: string, value: string | undefined, fallback: number) =>
    value !== undefined ? parseDuration(flag, value) : fallback;
  const optionalDuration = (flag: string, value: string | undefined) =>
    value !== undefined ? parseDuration(flag, value) : undefined;
  const quotaPattern =
    flags.quotaPattern === true
      ? AGENT_QUOTA_PATTERN.source
      : typeof flags.quotaPattern === 'string'
        ? flags.quotaPattern
        : undefined;
  const candidate = {
    command: command ?? '',
    args,
    target: flags.target !== undefined ? normalizedTarget(flags.target) : undefined,
    missionTimeoutMs: duration('--mission-timeout', flags.missionTimeout, 0),
    idleTimeoutMs: duration('--idle-timeout', flags.idleTimeout, 30 * 60_000),
    startupTimeoutMs: optionalDuration('--startup-timeout', flags.startupTimeout),
    progressIdleMs: optionalDuration('--progress-timeout', flags.progressTimeout),
    watch: flags.watch ?? [],
    heartbeatFile: flags.heartbeatFile,
    maxResumes: flags.maxResumes !== undefined ? parseCount('--max-resumes', flags.maxResumes) : 20,
    resumeOn: flags.resumeOn !== undefined ? parseResumeOn(flags.resumeOn) : undefined,
    resumeCommand: flags.resumeCmd,
    doneFile: flags.doneFile,
    doneMarker: flags.doneMarker,
    checkCommand: flags.checkCmd,
    quotaPattern,
    quotaWaitMs: duration('--quota-wait', flags.quotaWait, 15 * 60_000),
    service: flags.service,
    readyUrl: flags.readyUrl,
    readyPort:
      flags.readyPort !== undefined ? parseCount('--ready-port', flags.readyPort) : undefined,
    readyTimeoutMs: duration('--ready-timeout', flags.readyTimeout, 60_000),
    connectTimeoutMs: duration('--connect-timeout', flags.connectTimeout, 5000),
    readTimeoutMs: duration('--read-timeout', flags.readTimeout, 30_000),
    adoptPid: flags.adopt !== undefined ? parseCount('--adopt', flags.adopt) : undefined,
    logMaxBytes:
      flags.logMaxSize !== undefined
        ? parseSize('--log-max-size', flags.logMaxSize)
        : 50 * 1024 * 1024,
    logBackups: flags.logBackups !== undefined ? parseCount('--log-backups', flags.logBackups) : 5,
    backoffInitialMs: duration('--backoff-initial', flags.backoffInitial, 1000),
    backoffMaxMs: duration('--backoff-max', flags.backoffMax, 300_000),
    killGraceMs: duration('--kill-grace', flags.killGrace, 5000),
    json: flags.json ?? false,
  };
  const parsed = runSettingsSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'command');
    throw usage(name === 'command' ? issue.message : `${FLAG_OF[name] ?? name}: ${issue.message}`);
  }
  return parsed.data;
}

/** The watchdog options of a run, from its settings. */
function superviseOptionsOf(settings: RunSettings): Omit<SuperviseOptions, 'runDir'> {
  return {
    command: settings.command,
    args: settings.args,
    missionTimeoutMs: settings.missionTimeoutMs,
    idleTimeoutMs: settings.idleTimeoutMs,
    startupIdleMs: settings.startupTimeoutMs,
    progressIdleMs: settings.progressIdleMs,
    watch: settings.watch,
    heartbeatFile: settings.heartbeatFile,
    maxResumes: settings.maxResumes,
    resumeOn: settings.resumeOn,
    labels: settings.target ? { target: settings.target } : undefined,
    resume: settings.resumeCommand
      ? { command: '/bin/sh', args: ['-c', settings.resumeCommand] }
      : undefined,
    doneFile: settings.doneFile,
    doneMarker: settings.doneMarker,
    checkCommand: settings.checkCommand,
    quota: settings.quotaPattern
      ? { pattern: settings.quotaPattern, fallbackPauseMs: settings.quotaWaitMs }
      : undefined,
    services: settings.service
      ? [
          {
            name: 'service',
            command: '/bin/sh',
            args: ['-c', settings.service],
            readyUrl: settings.readyUrl,
            readyPort: settings.readyPort,
            startupTimeoutMs: settings.readyTimeoutMs,
            connectTimeoutMs: settings.connectTimeoutMs,
            readTimeoutMs: settings.readTimeoutMs,
          },
        ]
      : undefined,
    adopt: settings.adoptPid !== undefined ? { pid: settings.adoptPid } : undefined,
    logs: { maxBytes: settings.logMaxBytes, backups: settings.logBackups },
    backoff: { initialMs: settings.backoffInitialMs, maxMs: settings.backoffMaxMs },
    killGraceMs: settings.killGraceMs,
  };
}

/**
 * The run's own in-toto predicate: what ran, with which limits, how it ended,
 * and the identities of runwarden and of each attempt's process (from the journal).
 */
function runPredicate(input: {
  runId: string;
  runDir: string;
  settings: RunSettings;
  reason: ReasonCode;
  result: RunResult | undefined;
  startedAt: string;
  self: ReturnType<typeof captureIdentity>;
}): RunPredicate {
  const { settings, result, self } = input;
  const processes: NonNullable<RunPredicate['processes']> = [];
  if (self) {
    processes.push({
      role: 'runwarden',
      pid: self.pid,
      startTimeMs: self.startTimeMs,
      bootId: self.bootId,
      machineId: self.machineId,
      hostname: self.hostname,
    });
  }
  try {
    for (const event of readJournal(`${input.runDir}/journal.jsonl`)) {
      if (event.type !== 'spawned' && event.type !== 'resumed') continue;
      const data = event as JournalEvent & {
        pid: number;
        startTimeMs?: number;
        startTicks?: number;
      };
      processes.push({
        role: `attempt-${event.attempt}`,
        pid: data.pid,
        ...(data.startTimeMs !== undefined ? { startTimeMs: data.startTimeMs } : {}),
        ...(data.startTicks !== undefined ? { startTicks: data.startTicks } : {}),
        ...(self
          ? { bootId: self.bootId, machineId: self.machineId, hostname: self.hostname }
          : {}),
      });
    }
  } catch {
    // no journal: the run never started
  }
  return {
    runId: input.runId,
    command: [settings.command, ...settings.args],
    cwd: process.cwd(),
    timeouts: {
      missionMs: settings.missionTimeoutMs,
      idleMs: settings.idleTimeoutMs,
      startupMs: settings.startupTimeoutMs,
      progressMs: settings.progressIdleMs,
      killGraceMs: settings.killGraceMs,
    },
    maxResumes: settings.maxResumes,
    reason: input.reason,
    exitCode: EXIT_CODES[input.reason],
    lastExit: result?.lastExit ?? null,
    startedAt: input.startedAt,
    finishedAt: new Date().toISOString(),
    durationMs: result?.durationMs,
    attempts: result?.attempts,
    resumes: result?.resumes,
    processes,
  };
}

/** Maps a watchdog error to the CLI's exit table (a bad option is a bad flag: exit 64). */
function watchdogFailure(error: unknown): unknown {
  if (!WatchdogError.isInstance(error)) return error;
  if (error.code === 'ERR_INVALID_OPTION' || error.code === 'ERR_ADOPT_NOT_FOUND') {
    const option = error.option?.split('.')[0] ?? '';
    const flag = error.code === 'ERR_ADOPT_NOT_FOUND' ? '--adopt' : (FLAG_OF[option] ?? option);
    return new CliError('USAGE', `${flag}: ${error.message.replace(/^[\w.]+: /, '')}`);
  }
  return new CliError('INVALID_STATE', error.message, error.hint, { path: error.path });
}

/**
 * `runwarden run`: one run at a time under the watchdog, on the embedded
 * default: the lock first (exit 5 with the holder's pid when held, 7 when
 * corrupt), then the watchdog, which holds it for the whole run, then evidence.
 *
 * @param commandLine - the command and its arguments, after `--`.
 * @param flags - the raw flags.
 * @returns the exit code (DESIGN.md's table).
 * @throws {CliError} `USAGE` for bad flags, `LOCK_HELD`/`INVALID_STATE` for the lock.
 */
export async function runCommand(commandLine: string[], flags: RunFlags): Promise<number> {
  const settings = parseRunFlags(commandLine, flags);
  if (settings.target) checkStoreFlags(flags);
  try {
    validateOptions({ ...superviseOptionsOf(settings), runDir: '.' });
  } catch (error) {
    throw watchdogFailure(error);
  }
  if (settings.adoptPid !== undefined && !captureIdentity(settings.adoptPid))
    throw usage(`--adopt: no live process with pid ${settings.adoptPid}`);
  const stateDir = resolveStateDir(flags.stateDir);
  ensureStateDir(stateDir);
  const paths = statePaths(stateDir);
  const runId = newRunId();
  const runDir = paths.runDir(runId);
  const startedAt = new Date().toISOString();
  const self = captureIdentity(process.pid);
  const human = !settings.json;

  let lock: LockHandle;
  try {
    // With --target, the target's own lock: runs on two targets of one repository run side by side.
    lock = await tryAcquire(runLockPath(stateDir, settings.target), {
      runId,
      repoMarker: findRepoRoot(),
      staleAfterMs: 60_000,
      abortOnLateHeartbeat: false,
      orphansOf: (record) => processesOfRun(stateDir, record.runId),
    });
  } catch (error) {
    throw lockFailure(error);
  }

  const controller = new AbortController();
  let lostBecause: string | undefined;
  let stillOwnedBecause: string | undefined;
  // Ctrl-C starts the graceful stop; a second one sends SIGKILL at once (interrupt.ts).
  const interrupts = handleInterrupts({
    runId,
    graceMs: settings.killGraceMs,
    human,
    stop: () => controller.abort(),
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
        leaseMs:
          flags.targetLease !== undefined
            ? parseDuration('--target-lease', flags.targetLease)
            : undefined,
        onLost: (message, why) => {
          // An unreachable store is a failed service (exit 1), not another run's lock (exit 5).
          if (why === 'store-unreachable')
            controller.abort(
              serviceFailure(targetClaim?.where ?? 'the coordination store', message),
            );
          else {
            lostBecause = message;
            controller.abort();
          }
        },
      });
      if (human)
        say(
          `claimed target ${colors.bold(targetClaim.claim.target)} (${targetClaim.claim.status}, fencing token ${targetClaim.claim.fencingToken})`,
        );
    }

    result = await superviseRun({
      ...superviseOptionsOf(settings),
      runId,
      runDir,
      // The watchdog holds the lock for the whole run: its loss ends the tree (LOCK_HELD).
      lock,
      signal: controller.signal,
      // With --json, stdout carries only the one JSON object: the child's output goes to stderr.
      stdout: human ? process.stdout : process.stderr,
      stderr: process.stderr,
      onEvent: (event: JournalEvent) => {
        interrupts.observe(event);
        if (human) describeEvent(event, settings);
      },
    }).catch((error) => {
      throw watchdogFailure(error);
    });
    reason = result.reason;
    if (reason === 'INTERRUPTED' && lostBecause) reason = 'LOCK_HELD';
  } finally {
    interrupts.dispose();
    if (targetClaim) {
      const problems = await targetClaim.finish(reason, result?.message);
      if (human) for (const problem of problems) say(colors.yellow(`target: ${problem}`));
      // Done, but the release never reached the store: say so in the exit code.
      if (targetClaim.stillOwned && reason === 'OK') {
        reason = 'SERVICE_FAILED';
        stillOwnedBecause = `The run completed, but ${targetClaim.claim.target} may still look owned until ${targetClaim.stillOwned.until}: ${targetClaim.where} was unreachable for the release (${targetClaim.stillOwned.why}).`;
      }
    }
    try {
      const written = writeEvidence(runDir, {
        predicate: runPredicate({ runId, runDir, settings, reason, result, startedAt, self }),
      });
      evidence = {
        sumsPath: written.sumsPath,
        manifestPath: written.manifestPath,
        checkFrom: written.checkFrom,
        rootDigest: written.manifest.rootDigest,
      };
    } catch (error) {
      // No run directory: the run never started (the lock or the target was refused); nothing to seal.
      if (human && existsSync(runDir))
        say(colors.red(`could not write evidence: ${(error as Error).message}`));
    }
    await lock.release();
  }

  const exitCode = EXIT_CODES[reason];
  if (settings.json) {
    printJson(reason, {
      runId,
      message: stillOwnedBecause ?? result?.message,
      targetStillOwned: targetClaim?.stillOwned,
      attempts: result?.attempts,
      resumes: result?.resumes,
      budgetSpent: result?.budgetSpent,
      quotaPauses: result?.quotaPauses,
      completedBy: result?.completedBy,
      resumeOn: result?.resumeOn,
      resumedBy: result?.resumedBy,
      endedByRule: result?.endedByRule,
      warnings: result?.warnings,
      checkpoint: result?.checkpoint,
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
      `${paint(colors.bold(reason))} (exit ${exitCode}): ${stillOwnedBecause ?? (lostBecause && reason === 'LOCK_HELD' ? lostBecause : (result?.message ?? ''))}`,
    );
    say(
      `logs: ${relativeOrAbsolute(runDir)}/{stdout.log,stderr.log,journal.jsonl} (runwarden logs ${runId})`,
    );
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

/**
 * Maps a lock-core or coordination error to the CLI's exit table.
 *
 * @param error - anything thrown.
 * @returns a {@link CliError} for the known errors, else `error` itself.
 */
export function lockFailure(error: unknown): unknown {
  if (LockHeldError.isInstance(error)) {
    const held = error;
    const pid = held.holder?.holder.pid;
    return new CliError('LOCK_HELD', held.message, held.hint, {
      lockPath: held.path,
      holderPid: pid,
      holderRunId: held.holder?.runId,
      heldBecause: held.reason,
    });
  }
  if (LockCorruptError.isInstance(error)) {
    return new CliError('INVALID_STATE', error.message, error.hint, { path: error.path });
  }
  if (LockError.isInstance(error))
    return new CliError('INVALID_STATE', error.message, error.hint, { path: error.path });
  if (CoordinationError.isInstance(error)) {
    return new CliError(
      error.code === 'ERR_INVALID_STATE' || error.code === 'ERR_STORE_IO'
        ? 'INVALID_STATE'
        : 'USAGE',
      error.message,
      error.hint,
      { path: error.path },
    );
  }
  return error;
}
