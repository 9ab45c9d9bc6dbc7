import { FileStore } from '@runwarden/coordination-state';
import { captureIdentity } from '@runwarden/process-identity';
import { SUPERVISOR_DEFAULTS } from './defaults.js';

/** A loop run's claim on its coordination target, held while the run lives. */
export interface TargetLease {
  /** Ends the claim: an exit signal unless the run ended `OK`, then the release. Never throws. */
  end(reason: string, message: string | undefined): Promise<void>;
  /**
   * Reads the store for real: whether this run still owns the target.
   *
   * @returns `ok` and one sentence (the owner, or who took it). Never throws.
   */
  check(): Promise<{ ok: boolean; message: string }>;
}

/**
 * Claims a loop's target for one run in the file store under
 * `<stateDir>/coordination` (dev-loops' layout, as `runwarden run --target`),
 * owned by the supervisor process, and refreshes the lease every third of it;
 * `onLost` is called when a refresh finds the target taken over.
 *
 * @param options - the store directory, target, run id, lease and the loss callback.
 * @returns the lease.
 * @throws a message naming the owner when another run owns the target.
 */
export async function claimTarget(options: {
  directory: string;
  target: string;
  runId: string;
  leaseMs?: number;
  onLost: (message: string) => void;
}): Promise<TargetLease> {
  const leaseMs = options.leaseMs ?? SUPERVISOR_DEFAULTS.targetLeaseMs;
  const store = new FileStore({ directory: options.directory });
  const claimed = await store.claim(options.target, {
    runId: options.runId,
    owner: captureIdentity(process.pid) ?? undefined,
    leaseMs,
  });
  if (!claimed.ok) {
    await store.close().catch(() => undefined);
    throw new Error(claimed.message);
  }
  const timer = setInterval(
    () => {
      store
        .refresh(options.target, options.runId)
        .then((refreshed) => {
          if (!refreshed.ok) options.onLost(refreshed.message);
        })
        .catch(() => undefined);
    },
    Math.max(1000, Math.floor(leaseMs / 3)),
  );
  timer.unref();
  let ended = false;
  return {
    async check() {
      if (ended) return { ok: false, message: 'the claim has ended' };
      try {
        const owned = await store.assertOwnership(options.target, {
          runId: options.runId,
          requireExisting: true,
        });
        return owned.ok
          ? { ok: true, message: `run ${options.runId} owns ${options.target}` }
          : { ok: false, message: owned.message };
      } catch (error) {
        return { ok: false, message: `${options.target}: ${(error as Error).message}` };
      }
    },
    async end(reason, message) {
      ended = true;
      clearInterval(timer);
      try {
        if (reason !== 'OK')
          await store.recordExitSignal(options.target, {
            runId: options.runId,
            reason: message ? `${reason}: ${message}` : reason,
          });
        await store.release(options.target, options.runId);
      } catch {
        // the run is over either way; the lease runs out by itself
      } finally {
        await store.close().catch(() => undefined);
      }
    },
  };
}
