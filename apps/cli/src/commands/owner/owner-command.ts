import { parseTarget } from '@runwarden/coordination-state';
import { describeOwner, reportOperation } from '../../coordination-output.js';
import { withStore } from '../../coordination-store.js';
import { colors, printJson, say } from '../../output.js';
import type { StoreFlags } from '../../store-options.js';

/** Flags of `runwarden owner`, as parsed. */
export interface OwnerFlags extends StoreFlags {
  runId?: string;
  fencingToken?: number;
  require?: boolean;
  json?: boolean;
}

/**
 * `runwarden owner TARGET`: with a run id (`--run-id` or `$RUNWARDEN_RUN_ID`)
 * asserts that it still owns the target (and that no newer fencing token
 * exists, with `--fencing-token`); without one, shows the owner.
 *
 * @returns 0 when confirmed (or shown), 5 on `ownership_lost` / `ownership_missing`.
 */
export async function ownerCommand(target: string, flags: OwnerFlags): Promise<number> {
  const runId = flags.runId ?? process.env.RUNWARDEN_RUN_ID;
  return withStore(flags, async ({ store }) => {
    if (!runId) {
      const key = parseTarget(target).key;
      const record = await store.get(key);
      if (flags.json) {
        printJson('OK', {
          target: key,
          status: record?.activeRun ? 'owned' : 'no_owner_record',
          activeRun: record?.activeRun ?? null,
          previousRun: record?.previousRun ?? null,
          exitSignals: record?.exitSignals ?? [],
        });
      } else say(`${colors.bold(key)}: ${describeOwner(record?.activeRun ?? null)}`);
      return 0;
    }
    const result = await store.assertOwnership(target, {
      runId,
      fencingToken: flags.fencingToken,
      requireExisting: flags.require ?? false,
    });
    return reportOperation(result, {
      json: flags.json,
      human: () =>
        result.ok && result.status === 'no_owner_record'
          ? `${colors.bold(result.target)} has no owner (no_owner_record)`
          : `run ${runId} owns ${colors.bold(result.target)} (owner_confirmed)`,
    });
  });
}
