import type { Command } from 'commander';
import { addStoreOptions, runIdOf, type StoreFlags, withStore } from '../coordination-store.js';
import { usage } from '../errors.js';
import { colors } from '../output.js';
import { reportOperation } from './coordination-output.js';

/** Raw flags of `runwarden signal`. */
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

/** Registers `runwarden signal`. */
export function registerSignal(program: Command, exit: { code: number }): void {
  addStoreOptions(
    program
      .command('signal')
      .description('record why a run stopped (an exit signal) on a target it owns')
      .argument('<target>', 'the target key')
      .option('--reason <text>', 'why the run stopped (at most 500 characters kept)')
      .option('--run-id <id>', 'the run (default: $RUNWARDEN_RUN_ID)')
      .option('--any-run', 'record it even if the run no longer owns the target'),
  )
    .option('--json', 'print one JSON object with ok, reason, exitCode and the data')
    .addHelpText(
      'after',
      '\nExample:\n  $ runwarden signal acme/widgets#12 --run-id "$RUN_ID" --reason "tests still red after 3 tries"',
    )
    .action(async (target: string, flags: SignalFlags) => {
      exit.code = await signalCommand(target, flags);
    });
}
