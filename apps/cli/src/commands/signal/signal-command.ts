import { reportOperation } from '../../coordination-output.js';
import { runIdOf, withStore } from '../../coordination-store.js';
import { usage } from '../../errors.js';
import { colors } from '../../output.js';
import type { StoreFlags } from '../../store-options.js';

/** Flags of `runwarden signal`, as parsed. */
export interface SignalFlags extends StoreFlags {
  runId?: string;
  reason?: string;
  anyRun?: boolean;
  json?: boolean;
}

/**
 * `runwarden signal TARGET --reason TEXT`: records why a run stopped
 * (dev-loops' exit signal), by the owner unless `--any-run`.
 *
 * @returns 0, or 5 on `ownership_lost` / `ownership_missing`.
 */
export async function signalCommand(target: string, flags: SignalFlags): Promise<number> {
  const runId = runIdOf(flags.runId, 'signal');
  if (flags.reason === undefined || flags.reason.trim() === '') {
    throw usage('signal needs --reason TEXT');
  }
  return withStore(flags, async ({ store }) => {
    const result = await store.recordExitSignal(target, {
      runId,
      reason: flags.reason,
      requireActiveOwner: !flags.anyRun,
    });
    return reportOperation(result, {
      json: flags.json,
      human: () =>
        `recorded exit signal on ${colors.bold(result.target)} (run ${runId}): ${flags.reason!.trim()}`,
    });
  });
}
