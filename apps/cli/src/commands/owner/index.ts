import type { Command } from 'commander';
import { beforeParse } from '../../before-parse.js';
import type { ExitCode } from '../../exit-code.js';
import { countFlag, jsonOption } from '../../flags.js';
import type { OwnerFlags } from './owner-command.js';

/**
 * Registers `runwarden owner`; its work (and the store flags) load only when it runs.
 *
 * @param program - the `runwarden` program.
 * @param exit - where the action stores its exit code.
 */
export function register(program: Command, exit: ExitCode): void {
  const command = program
    .command('owner')
    .description('assert that a run still owns a target (exit 5 if not), or show the owner')
    .argument('<target>', 'the target key')
    .option('--run-id <id>', 'the run to check (default: $RUNWARDEN_RUN_ID; none: show the owner)')
    .option(
      '--fencing-token <n>',
      'also fail once a token newer than this one exists',
      countFlag('--fencing-token'),
    )
    .option('--require', 'fail (ownership_missing) when the target has no owner')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExample:\n  $ runwarden owner acme/widgets#12 --run-id "$RUN_ID" --fencing-token 3 || exit 5\n  $ runwarden owner acme/widgets#12 --json',
    )
    .action(async (target: string, flags: OwnerFlags) => {
      const { ownerCommand } = await import('../coordination-actions.js');
      exit.code = await ownerCommand(target, flags);
    });
  beforeParse(command, async () => {
    (await import('../coordination-actions.js')).addStoreOptions(command);
  });
}
