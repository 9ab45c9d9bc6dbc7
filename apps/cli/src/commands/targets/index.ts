import type { Command } from 'commander';
import { beforeParse } from '../../before-parse.js';
import type { ExitCode } from '../../exit-code.js';
import { jsonOption } from '../../flags.js';
import type { TargetsFlags } from './targets-command.js';

/**
 * Registers `runwarden targets`; its work (and the store flags) load only when it runs.
 *
 * @param program - the `runwarden` program.
 * @param exit - where the action stores its exit code.
 */
export function register(program: Command, exit: ExitCode): void {
  const command = program
    .command('targets')
    .description('list every target: owner, fencing token, lease, owner alive?')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExample:\n  $ runwarden targets\n  $ runwarden targets --store postgres --json',
    )
    .action(async (flags: TargetsFlags) => {
      const { targetsCommand } = await import('../coordination-actions.js');
      exit.code = await targetsCommand(flags);
    });
  beforeParse(command, async () => {
    (await import('../coordination-actions.js')).addStoreOptions(command);
  });
}
