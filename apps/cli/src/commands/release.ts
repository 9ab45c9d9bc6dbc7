import type { Command } from 'commander';
import { addStoreOptions, runIdOf, type StoreFlags, withStore } from '../coordination-store.js';
import { colors } from '../output.js';
import { reportOperation } from './coordination-output.js';

/** Raw flags of `runwarden release`. */
export interface ReleaseFlags extends StoreFlags {
  runId?: string;
  json?: boolean;
}

/**
 * `runwarden release TARGET`: gives a target up (`released`, or
 * `release_noop` when it has no record).
 *
 * @returns 0, or 5 (`ownership_lost`) when another run owns it.
 */
export async function releaseCommand(target: string, flags: ReleaseFlags): Promise<number> {
  const runId = runIdOf(flags.runId, 'release');
  return withStore(flags, async ({ store }) => {
    const result = await store.release(target, runId);
    return reportOperation(result, {
      json: flags.json,
      human: () =>
        result.ok && result.status === 'release_noop'
          ? `${colors.bold(result.target)} has no record: nothing to release`
          : `released ${colors.bold(result.target)} (run ${runId})`,
    });
  });
}

/** Registers `runwarden release`. */
export function registerRelease(program: Command, exit: { code: number }): void {
  addStoreOptions(
    program
      .command('release')
      .description('give a target up: exit 5 if another run owns it')
      .argument('<target>', 'the target key')
      .option('--run-id <id>', 'the owning run (default: $RUNWARDEN_RUN_ID)'),
  )
    .option('--json', 'print one JSON object with ok, reason, exitCode and the data')
    .addHelpText('after', '\nExample:\n  $ runwarden release acme/widgets#12 --run-id "$RUN_ID"')
    .action(async (target: string, flags: ReleaseFlags) => {
      exit.code = await releaseCommand(target, flags);
    });
}
