import { setTimeout as delay } from 'node:timers/promises';
import {
  CoordinationError,
  type CoordinationStore,
  type OperationOk,
} from '@runwarden/coordination-state';
import { captureIdentity } from '@runwarden/process-identity';
import { describeOwner } from './coordination-output.js';
import { openCoordinationStore } from './coordination-store.js';
import { CLI_DEFAULTS } from './defaults.js';
import { CliError } from './errors.js';
import { toCliError } from './failure.js';
import type { StoreFlags } from './store-options.js';

/** Why a claim was lost mid-run: another run took it over, or its store stayed unreachable. */
export type ClaimLoss = 'taken-over' | 'store-unreachable';

/** A target claimed for the length of one `runwarden run`. */
export interface TargetClaim {
  /** The successful claim. */
  readonly claim: OperationOk<string>;
  /** The store, for people: `file <dir>` or the PostgreSQL database `host:port/db`. */
  readonly where: string;
  /**
   * Set by {@link TargetClaim.finish} when the release never reached the
   * store (it stayed unreachable until the lease would expire): the target
   * may look owned by this run until `until` (ISO 8601).
   */
  readonly stillOwned: { until: string; why: string } | undefined;
  /**
   * Ends the claim: records an exit signal (`REASON: message`) unless the run
   * ended `OK`, then releases the target; a release the store cannot take
   * (unreachable) is retried until the lease would expire. Never throws; what
   * failed is returned.
   */
  finish(reason: string, message: string | undefined): Promise<string[]>;
}

/** A store error worth retrying: the database did not answer (or dropped the connection). */
function unreachable(error: unknown): boolean {
  return (
    CoordinationError.isInstance(error) &&
    (error.code === 'ERR_DATABASE_UNREACHABLE' || error.code === 'ERR_DATABASE')
  );
}

/**
 * Claims `target` for a run before its command starts (the owner is this
 * `runwarden` process, so a SIGKILLed runwarden frees the target at once on
 * this machine), refreshes the lease every third of it (the heartbeat), and
 * calls `onLost` when a refresh finds that another run took the target over,
 * or when no refresh has succeeded for two thirds of the lease (the store is
 * unreachable: the lease is about to run out, so the run stops first; the
 * run then ends `SERVICE_FAILED`, not `LOCK_HELD`).
 *
 * @throws {CliError} `LOCK_HELD` (exit 5) when another run owns the target, or the mapped store error.
 */
export async function claimTargetForRun(options: {
  target: string;
  runId: string;
  flags: StoreFlags;
  onLost: (message: string, why: ClaimLoss) => void;
  leaseMs?: number;
}): Promise<TargetClaim> {
  const leaseMs = options.leaseMs ?? CLI_DEFAULTS.targetLeaseMs;
  let store: CoordinationStore;
  let where: string;
  try {
    const opened = openCoordinationStore(options.flags);
    store = opened.store;
    where = opened.database ? `the coordination database ${opened.database}` : opened.where;
  } catch (error) {
    throw toCliError(error);
  }
  const result = await store
    .claim(options.target, {
      runId: options.runId,
      owner: captureIdentity(process.pid) ?? undefined,
      leaseMs,
    })
    .catch(async (error: unknown) => {
      await store.close().catch(() => undefined);
      throw toCliError(error);
    });
  if (!result.ok) {
    await store.close().catch(() => undefined);
    throw new CliError({
      reason: 'LOCK_HELD',
      message: result.message,
      hint: `Owner: ${describeOwner(result.activeRun)}. Wait for it, or take over with \`runwarden claim ${result.target} --takeover\`.`,
      data: { target: result.target, activeRun: result.activeRun },
    });
  }
  // Kubernetes leader election's rule: a holder that cannot renew before its
  // lease runs out steps down, since another machine may then claim the target.
  let lastRefreshMs = Date.now();
  const timer = setInterval(
    () => {
      store
        .refresh(options.target, options.runId)
        .then((refreshed) => {
          if (!refreshed.ok) options.onLost(refreshed.message, 'taken-over');
          else lastRefreshMs = Date.now();
        })
        .catch((error: unknown) => {
          const silentMs = Date.now() - lastRefreshMs;
          if (silentMs > (leaseMs * 2) / 3) {
            options.onLost(
              `could not refresh the lease on ${options.target} at ${where} for ${Math.round(silentMs / 1000)}s (${(error as Error).message}); another run may claim it`,
              'store-unreachable',
            );
          }
        });
    },
    Math.max(1000, Math.floor(leaseMs / 3)),
  );
  timer.unref();
  const claim: TargetClaim = {
    claim: result,
    where,
    stillOwned: undefined,
    async finish(reason, message) {
      clearInterval(timer);
      const problems: string[] = [];
      try {
        if (reason !== 'OK') {
          try {
            const signal = await store.recordExitSignal(options.target, {
              runId: options.runId,
              reason: message ? `${reason}: ${message}` : reason,
            });
            if (!signal.ok) problems.push(signal.message);
          } catch (error) {
            // The release matters more: it frees the target; go on to it.
            problems.push(`could not record the exit signal: ${(error as Error).message}`);
          }
        }
        // A store that does not answer gets until the lease would expire anyway.
        const expiresAtMs = lastRefreshMs + leaseMs;
        for (let pauseMs = 250; ; pauseMs = Math.min(pauseMs * 2, 5000)) {
          try {
            const released = await store.release(options.target, options.runId);
            if (!released.ok) problems.push(released.message);
            break;
          } catch (error) {
            const leftMs = expiresAtMs - Date.now();
            if (!unreachable(error) || leftMs <= 0) {
              const until = new Date(expiresAtMs).toISOString();
              (claim as { stillOwned: TargetClaim['stillOwned'] }).stillOwned = {
                until,
                why: (error as Error).message,
              };
              problems.push(
                `could not release ${options.target} at ${where} (${(error as Error).message}); it may still look owned by run ${options.runId} until its lease expires at ${until}`,
              );
              break;
            }
            await delay(Math.min(pauseMs, leftMs));
          }
        }
      } finally {
        await store.close().catch(() => undefined);
      }
      return problems;
    },
  };
  return claim;
}
