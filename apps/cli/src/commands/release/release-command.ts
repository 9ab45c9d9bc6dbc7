import type { OperationResult, ReleaseStatus } from '@runwarden/coordination-state';
import { describeOwner, reportOperation } from '../../coordination-output.js';
import { runIdOf, withStore } from '../../coordination-store.js';
import { colors } from '../../output.js';
import type { StoreFlags } from '../../store-options.js';

/** Flags of `runwarden release`, as parsed. */
export interface ReleaseFlags extends StoreFlags {
  runId?: string;
  json?: boolean;
}

/**
 * A release by a run that no longer owns the target (another run took it
 * over, or nobody owns it now) has nothing of ours to give up: it is
 * `release_noop` (DESIGN.md's statuses), with the store's reason kept in
 * `noopBecause` and the current owner in `activeRun`.
 *
 * @param result - the store's answer.
 * @returns the same answer, with `ownership_lost` turned into `release_noop`.
 */
export function releaseOutcome(
  result: OperationResult<ReleaseStatus>,
): OperationResult<ReleaseStatus> & { noopBecause?: string } {
  if (result.ok || result.error !== 'ownership_lost') return result;
  return {
    ok: true,
    status: 'release_noop',
    target: result.target,
    runId: result.runId,
    activeRun: result.activeRun,
    previousRun: null,
    exitSignals: result.exitSignals,
    noopBecause: result.message,
  };
}

/**
 * `runwarden release TARGET`: gives a target up (`released`, or
 * `release_noop` when it has no record or the run no longer owns it).
 *
 * @returns 0 (a conflict the store may add later still exits 5).
 */
export async function releaseCommand(target: string, flags: ReleaseFlags): Promise<number> {
  const runId = runIdOf(flags.runId, 'release');
  return withStore(flags, async ({ store }) => {
    const result = releaseOutcome(await store.release(target, runId));
    return reportOperation(result, {
      json: flags.json,
      human: () => {
        if (!result.ok || result.status !== 'release_noop')
          return `released ${colors.bold(result.target)} (run ${runId})`;
        return result.noopBecause
          ? `run ${runId} no longer owns ${colors.bold(result.target)} (${result.activeRun ? describeOwner(result.activeRun) : 'no owner'}): nothing to release`
          : `${colors.bold(result.target)} has no record: nothing to release`;
      },
    });
  });
}
