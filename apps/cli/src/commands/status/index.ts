import type { Command } from 'commander';
import type { ExitCode } from '../../exit-code.js';
import { jsonOption, stateDirOption } from '../../flags.js';
import type { StatusFlags } from './status-command.js';

/**
 * Registers `runwarden status`; its work loads only when it runs.
 *
 * @param program - the `runwarden` program.
 * @param exit - where the action stores its exit code.
 */
export function register(program: Command, exit: ExitCode): void {
  program
    .command('status')
    .description(
      'who holds the lock: holder pid, alive or not, heartbeat age, the run and its last event',
    )
    .option(
      '--target <key>',
      "the target's run lock (runwarden run --target) instead of the state dir's",
    )
    .addOption(stateDirOption())
    .addOption(jsonOption())
    .addHelpText('after', '\nExample:\n  $ runwarden status --json')
    .action(async (flags: StatusFlags) => {
      const { statusCommand } = await import('../local-actions.js');
      exit.code = await statusCommand(flags);
    });
}
