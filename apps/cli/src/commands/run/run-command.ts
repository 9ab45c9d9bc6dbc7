import { existsSync } from 'node:fs';
import { writeEvidence } from '@runwarden/evidence-hasher';
import { type LockHandle, tryAcquire } from '@runwarden/lock-core';
import { captureIdentity } from '@runwarden/process-identity';
import {
  type JournalEvent,
  newRunId,
  type ReasonCode,
  type RunResult,
  serviceFailure,
  superviseRun,
  validateOptions,
} from '@runwarden/watchdog';
import { CLI_DEFAULTS } from '../../defaults.js';
import { usage } from '../../errors.js';
import { toCliError } from '../../failure.js';
import { handleInterrupts } from '../../interrupt.js';
import { processesOfRun } from '../../orphans.js';
import { colors, say } from '../../output.js';
import { normalizedTarget, runLockPath } from '../../run-lock.js';
import { ensureStateDir, findRepoRoot, resolveStateDir, statePaths } from '../../state-dir.js';
import { describeEvent } from '../../story.js';
import type { TargetClaim } from '../../target-claim.js';
import { runPredicate } from './predicate.js';
import { type RunEvidence, reportRun } from './report.js';
import { flagOfOption, type RunFlags } from './run-flags.js';
import { checkRunFlags, superviseOptionsOf } from './supervise-options.js';

/**
 * `runwarden run`: one run at a time under the watchdog, on the embedded
 * default: the lock first (exit 5 with the holder's pid when held, 7 when
 * corrupt), then the watchdog, which holds it for the whole run, then evidence.
 *
 * @param commandLine - the command and its arguments, after `--`.
 * @param flags - the parsed flags.
 * @returns the exit code (DESIGN.md's table).
 * @throws {CliError} `USAGE` for bad flags, `LOCK_HELD`/`INVALID_STATE` for the lock.
 */
export async function runCommand(commandLine: string[], flags: RunFlags): Promise<number> {
  checkRunFlags(commandLine, flags);
  const target = flags.target !== undefined ? normalizedTarget(flags.target) : undefined;
  // The coordination stores (file and PostgreSQL, their schemas) load only for
  // a run on a target: a plain `runwarden run` never evaluates them.
  if (target) (await import('../../coordination-store.js')).checkStoreFlags(flags);
  const options = superviseOptionsOf(commandLine, flags, target);
  try {
    validateOptions({ ...options, runDir: '.' });
  } catch (error) {
    throw toCliError(error, { flagOf: flagOfOption });
  }
  if (flags.adopt !== undefined && !captureIdentity(flags.adopt))
    throw usage(`--adopt: no live process with pid ${flags.adopt}`);
  const stateDir = resolveStateDir(flags.stateDir);
  ensureStateDir(stateDir);
  const paths = statePaths(stateDir);
  const runId = newRunId();
  const runDir = paths.runDir(runId);
  const startedAt = new Date().toISOString();
  const self = captureIdentity(process.pid);
  const human = !flags.json;

  let lock: LockHandle;
  try {
    // With --target, the target's own lock: runs on two targets of one repository run side by side.
    lock = await tryAcquire(runLockPath(stateDir, target), {
      runId,
      repoMarker: findRepoRoot(),
      staleAfterMs: CLI_DEFAULTS.lockStaleAfterMs,
      abortOnLateHeartbeat: false,
      orphansOf: (record) => processesOfRun(stateDir, record.runId),
    });
  } catch (error) {
    throw toCliError(error);
  }

  const controller = new AbortController();
  let lostBecause: string | undefined;
  let stillOwnedBecause: string | undefined;
  // Ctrl-C starts the graceful stop; a second one sends SIGKILL at once (interrupt.ts).
  const interrupts = handleInterrupts({
    runId,
    graceMs: options.killGraceMs,
    human,
    stop: () => controller.abort(),
  });

  let targetClaim: TargetClaim | undefined;
  let result: RunResult | undefined;
  let reason: ReasonCode = 'INTERNAL';
  let evidence: RunEvidence | undefined;
  try {
    if (target) {
      const { claimTargetForRun } = await import('../../target-claim.js');
      targetClaim = await claimTargetForRun({
        target,
        runId,
        flags: { ...flags, stateDir },
        leaseMs: flags.targetLease,
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
      ...options,
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
        if (human) describeEvent(event, options);
      },
    }).catch((error) => {
      throw toCliError(error, { flagOf: flagOfOption });
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
        predicate: runPredicate({ runId, runDir, options, reason, result, startedAt, self }),
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

  const message =
    stillOwnedBecause ??
    (human && lostBecause && reason === 'LOCK_HELD' ? lostBecause : result?.message);
  return reportRun({
    reason,
    message,
    result,
    runId,
    runDir,
    stateDir,
    target,
    evidence,
    json: !human,
    targetClaim,
  });
}
