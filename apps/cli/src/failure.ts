import { CoordinationError } from '@runwarden/coordination-state';
import { EvidenceError } from '@runwarden/evidence-hasher';
import { KillTreeError } from '@runwarden/kill-tree';
import { LockError, LockHeldError } from '@runwarden/lock-core';
import { WatchdogError } from '@runwarden/watchdog';
import { CliError } from './errors.js';

/** What {@link toCliError} may add to what it maps. */
export interface FailureContext {
  /** The flag a watchdog option came from (`idleTimeoutMs` → `--idle-timeout`, `services.0.readyUrl` → `--ready-url`). @default the option's name */
  flagOf?: (option: string) => string;
  /** Fields `--json` prints for a kill-tree refusal (the kill's report so far). @default {} */
  data?: Record<string, unknown>;
}

/** A package error that names a file, as the CLI error of `reason` that keeps its message, hint and path. */
function withPath(
  reason: 'INVALID_STATE' | 'USAGE',
  error: { message: string; hint?: string; path?: string },
): CliError {
  return new CliError({
    reason,
    message: error.message,
    hint: error.hint,
    data: { path: error.path },
    cause: error,
  });
}

/**
 * The one map from the packages' errors to DESIGN.md's exit table, for every
 * command:
 *
 * - lock-core: held → `LOCK_HELD` (5, with the holder); corrupt, unsafe or I/O → `INVALID_STATE` (7).
 * - coordination-state: corrupt state or file-store I/O → 7; a writer holding the
 *   target too long → 5; PostgreSQL unreachable or failing → `SERVICE_FAILED` (1);
 *   bad input or missing tables → `USAGE` (64, with the way out).
 * - watchdog: a bad option or a pid to adopt that is gone → 64 (naming the flag);
 *   a journal or log that is a symlink, FIFO or directory → 7.
 * - evidence-hasher: a bad root or output directory → 64; a manifest that cannot be read → 7.
 * - kill-tree: a refusal to signal a pid that is not the recorded one → `IDENTITY_MISMATCH` (6).
 *
 * Anything else (a {@link CliError}, or a bug: exit 70) is returned as it is.
 *
 * @param error - anything thrown.
 * @param context - the flag names and report data of the command.
 * @returns a {@link CliError} for the known errors, else `error` itself.
 */
export function toCliError(error: unknown, context: FailureContext = {}): unknown {
  if (CliError.isInstance(error)) return error;
  if (LockHeldError.isInstance(error))
    return new CliError({
      reason: 'LOCK_HELD',
      message: error.message,
      hint: error.hint,
      data: {
        lockPath: error.path,
        holderPid: error.holder?.holder.pid,
        holderRunId: error.holder?.runId,
        heldBecause: error.reason,
      },
      cause: error,
    });
  if (LockError.isInstance(error)) return withPath('INVALID_STATE', error);
  if (CoordinationError.isInstance(error)) {
    const reason =
      error.code === 'ERR_INVALID_STATE' || error.code === 'ERR_STORE_IO'
        ? 'INVALID_STATE'
        : error.code === 'ERR_STORE_BUSY'
          ? 'LOCK_HELD'
          : error.code === 'ERR_DATABASE_UNREACHABLE' || error.code === 'ERR_DATABASE'
            ? 'SERVICE_FAILED'
            : 'USAGE';
    return new CliError({
      reason,
      message: error.message,
      hint: error.hint,
      data: { code: error.code, path: error.path },
      cause: error,
    });
  }
  if (WatchdogError.isInstance(error)) {
    if (error.code === 'ERR_INVALID_OPTION' || error.code === 'ERR_ADOPT_NOT_FOUND') {
      const option = error.option ?? '';
      const flag =
        error.code === 'ERR_ADOPT_NOT_FOUND'
          ? '--adopt'
          : (context.flagOf?.(option) ?? option.split('.')[0]);
      return new CliError({
        reason: 'USAGE',
        message: `${flag}: ${error.message.replace(/^[\w.]+: /, '')}`,
        cause: error,
      });
    }
    if (error.code === 'ERR_UNSAFE_PATH') return withPath('INVALID_STATE', error);
    return error;
  }
  if (EvidenceError.isInstance(error)) {
    if (error.code === 'ERR_EVIDENCE_MANIFEST') return withPath('INVALID_STATE', error);
    if (error.code === 'ERR_EVIDENCE_ROOT' || error.code === 'ERR_EVIDENCE_OUTPUT')
      return withPath('USAGE', error);
    return error;
  }
  // Only a refusal to signal is IDENTITY_MISMATCH; another kill-tree error is a bug.
  if (
    KillTreeError.isInstance(error) &&
    (error.code === 'ERR_IDENTITY_MISMATCH' || error.code === 'ERR_IDENTITY_UNKNOWN')
  )
    return new CliError({
      reason: 'IDENTITY_MISMATCH',
      message: error.message,
      hint: error.hint,
      data: context.data ?? {},
      cause: error,
    });
  return error;
}
