import { formatDuration } from '@runwarden/cli-kit';
import type { ActiveRun, OperationResult } from '@runwarden/coordination-state';
import { EXIT_CODES } from '@runwarden/watchdog';
import { conflictData } from './coordination-store.js';
import { colors, printJson, say } from './output.js';

/** Who owns a target, in one line for people. */
export function describeOwner(activeRun: ActiveRun | null, nowMs: number = Date.now()): string {
  if (!activeRun) return 'no owner';
  const parts = [`run ${activeRun.runId}`];
  if (activeRun.owner) parts.push(`pid ${activeRun.owner.pid} on ${activeRun.owner.hostname}`);
  if (activeRun.fencingToken !== undefined) parts.push(`fencing token ${activeRun.fencingToken}`);
  const updated = activeRun.updatedAt ? Date.parse(activeRun.updatedAt) : Number.NaN;
  if (Number.isFinite(updated)) {
    parts.push(`updated ${formatDuration(Math.max(0, nowMs - updated))} ago`);
    if (activeRun.leaseMs !== undefined) {
      const left = updated + activeRun.leaseMs - nowMs;
      parts.push(left > 0 ? `lease ${formatDuration(left)} left` : 'lease expired');
    }
  }
  return parts.join(', ');
}

/**
 * Prints an operation's result (one JSON object with `--json`, else lines on
 * stderr) and returns the exit code: 0, or 5 (`LOCK_HELD`) for a conflict.
 */
export function reportOperation(
  result: OperationResult<string>,
  options: { json?: boolean; human: () => string; extra?: Record<string, unknown> },
): number {
  if (!result.ok) {
    if (options.json) printJson('LOCK_HELD', { ...conflictData(result), ...options.extra });
    else {
      process.stderr.write(`runwarden: ${colors.red('LOCK_HELD')}: ${result.message}\n`);
      if (result.activeRun)
        process.stderr.write(
          `runwarden: ${colors.dim(`owner: ${describeOwner(result.activeRun)}`)}\n`,
        );
    }
    return EXIT_CODES.LOCK_HELD;
  }
  const { ok: _ok, ...data } = result;
  if (options.json) printJson('OK', { ...data, ...options.extra });
  else say(options.human());
  return EXIT_CODES.OK;
}
