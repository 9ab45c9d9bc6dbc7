import { leaseExpired } from '@runwarden/coordination-state';
import { verifyIdentity } from '@runwarden/process-identity';
import { describeOwner } from '../../coordination-output.js';
import { withStore } from '../../coordination-store.js';
import { colors, printJson, say } from '../../output.js';
import type { StoreFlags } from '../../store-options.js';

/** Flags of `runwarden targets`, as parsed. */
export interface TargetsFlags extends StoreFlags {
  json?: boolean;
}

/**
 * `runwarden targets`: every target with a record, its owner, fencing token,
 * lease, and whether the owner process is alive (`alive`, `dead`, `reused`,
 * `foreign-host`, `unknown`).
 *
 * @returns 0.
 */
export async function targetsCommand(flags: TargetsFlags): Promise<number> {
  return withStore(flags, async ({ store, kind, where }) => {
    const nowMs = Date.now();
    const rows = (await store.list()).map(({ target, record }) => {
      const active = record.activeRun;
      return {
        target,
        activeRun: active,
        ownerStatus: active?.owner ? verifyIdentity(active.owner).status : null,
        leaseExpired: active ? leaseExpired(active, nowMs) : null,
        lastFencingToken: record.lastFencingToken ?? active?.fencingToken ?? null,
        previousRun: record.previousRun ?? null,
        lastExitSignal: record.exitSignals.at(-1) ?? null,
      };
    });
    if (flags.json) {
      printJson('OK', { store: kind, where, targets: rows });
      return 0;
    }
    if (rows.length === 0) say(`no targets in ${where}`);
    for (const row of rows) {
      const owner = row.activeRun
        ? `${describeOwner(row.activeRun, nowMs)}${row.ownerStatus ? `, owner ${row.ownerStatus}` : ''}`
        : colors.dim(
            `free${row.lastExitSignal ? ` (last exit: ${row.lastExitSignal.reason ?? '-'})` : ''}`,
          );
      process.stdout.write(`${row.target}\t${owner}\n`);
    }
    return 0;
  });
}
