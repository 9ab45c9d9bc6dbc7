import { parseTarget } from '@runwarden/coordination-state';
import type { Command } from 'commander';
import { addStoreOptions, type StoreFlags, withStore } from '../coordination-store.js';
import { parseCount } from '../durations.js';
import { colors, printJson, say } from '../output.js';
import { describeOwner, reportOperation } from './coordination-output.js';

/** Raw flags of `runwarden owner`. */
export interface OwnerFlags extends StoreFlags {
  runId?: string;
  fencingToken?: string;
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
  const fencingToken =
    flags.fencingToken !== undefined
      ? parseCount('--fencing-token', flags.fencingToken)
      : undefined;
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
      fencingToken,
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

/** Registers `runwarden owner`. */
export function registerOwner(program: Command, exit: { code: number }): void {
  addStoreOptions(
    program
      .command('owner')
      .description('assert that a run still owns a target (exit 5 if not), or show the owner')
      .argument('<target>', 'the target key')
      .option(
        '--run-id <id>',
        'the run to check (default: $RUNWARDEN_RUN_ID; none: show the owner)',
      )
      .option('--fencing-token <n>', 'also fail once a token newer than this one exists')
      .option('--require', 'fail (ownership_missing) when the target has no owner'),
  )
    .option('--json', 'print one JSON object with ok, reason, exitCode and the data')
    .addHelpText(
      'after',
      '\nExample:\n  $ runwarden owner acme/widgets#12 --run-id "$RUN_ID" --fencing-token 3 || exit 5\n  $ runwarden owner acme/widgets#12 --json',
    )
    .action(async (target: string, flags: OwnerFlags) => {
      exit.code = await ownerCommand(target, flags);
    });
}
