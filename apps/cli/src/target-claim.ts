import type { CoordinationStore, OperationOk } from '@runwarden/coordination-state';
import { captureIdentity } from '@runwarden/process-identity';
import { describeOwner } from './commands/coordination-output.js';
import {
  coordinationFailure,
  openCoordinationStore,
  type StoreFlags,
} from './coordination-store.js';
import { CliError } from './errors.js';

/** The default lease of `runwarden run --target`, in ms; refreshed every third of it. */
export const RUN_TARGET_LEASE_MS = 5 * 60_000;

/** A target claimed for the length of one `runwarden run`. */
export interface TargetClaim {
  /** The successful claim. */
  readonly claim: OperationOk<string>;
  /**
   * Ends the claim: records an exit signal (`REASON: message`) unless the run
   * ended `OK`, then releases the target. Never throws; what failed is returned.
   */
  finish(reason: string, message: string | undefined): Promise<string[]>;
}

/**
 * Claims `target` for a run before its command starts (the owner is this
 * `runwarden` process, so a SIGKILLed runwarden frees the target at once on
 * this machine), refreshes the lease every third of it (the heartbeat), and
 * calls `onLost` when a refresh finds that another run took the target over,
 * or when no refresh has succeeded for two thirds of the lease (the store is
 * unreachable: the lease is about to run out, so the run stops first).
 *
 * @throws {CliError} `LOCK_HELD` (exit 5) when another run owns the target, or the mapped store error.
 */
export async function claimTargetForRun(options: {
  target: string;
  runId: string;
  flags: StoreFlags;
  onLost: (message: string) => void;
  leaseMs?: number;
}): Promise<TargetClaim> {
  const leaseMs = options.leaseMs ?? RUN_TARGET_LEASE_MS;
  let store: CoordinationStore;
  try {
    store = openCoordinationStore(options.flags).store;
  } catch (error) {
    throw coordinationFailure(error);
  }
  const result = await store
    .claim(options.target, {
      runId: options.runId,
      owner: captureIdentity(process.pid) ?? undefined,
      leaseMs,
    })
    .catch(async (error: unknown) => {
      await store.close().catch(() => undefined);
      throw coordinationFailure(error);
    });
  if (!result.ok) {
    await store.close().catch(() => undefined);
    throw new CliError(
      'LOCK_HELD',
      result.message,
      `Owner: ${describeOwner(result.activeRun)}. Wait for it, or take over with \`runwarden claim ${result.target} --takeover\`.`,
      { target: result.target, activeRun: result.activeRun },
    );
  }
  // Kubernetes leader election's rule: a holder that cannot renew before its
  // lease runs out steps down, since another machine may then claim the target.
  let lastRefreshMs = Date.now();
  const timer = setInterval(
    () => {
      store
        .refresh(options.target, options.runId)
        .then((refreshed) => {
          if (!refreshed.ok) options.onLost(refreshed.message);
          else lastRefreshMs = Date.now();
        })
        .catch((error: unknown) => {
          const silentMs = Date.now() - lastRefreshMs;
          if (silentMs > (leaseMs * 2) / 3) {
            options.onLost(
              `could not refresh the lease on ${options.target} for ${Math.round(silentMs / 1000)}s (${(error as Error).message}); another run may claim it`,
            );
          }
        });
    },
    Math.max(1000, Math.floor(leaseMs / 3)),
  );
  timer.unref();
  return {
    claim: result,
    async finish(reason, message) {
      clearInterval(timer);
      const problems: string[] = [];
      try {
        if (reason !== 'OK') {
          const signal = await store.recordExitSignal(options.target, {
            runId: options.runId,
            reason: message ? `${reason}: ${message}` : reason,
          });
          if (!signal.ok) problems.push(signal.message);
        }
        const released = await store.release(options.target, options.runId);
        if (!released.ok) problems.push(released.message);
      } catch (error) {
        problems.push((error as Error).message);
      } finally {
        await store.close().catch(() => undefined);
      }
      return problems;
    },
  };
}
