import type { Command } from 'commander';
import { beforeParse } from '../../before-parse.js';
import type { ExitCode } from '../../exit-code.js';
import { jsonOption } from '../../flags.js';
import type { SignalFlags } from './signal-command.js';

/**
 * Registers `runwarden signal`; its work (and the store flags) load only when it runs.
 *
 * @param program - the `runwarden` program.
 * @param exit - where the action stores its exit code.
 */
export function register(program: Command, exit: ExitCode): void {
  const command = program
    .command('signal')
    .description('record why a run stopped (an exit signal) on a target it owns')
    .argument('<target>', 'the target key')
    .option('--reason <text>', 'why the run stopped (at most 500 characters kept)')
    .option('--run-id <id>', 'the run (default: $RUNWARDEN_RUN_ID)')
    .option('--any-run', 'record it even if the run no longer owns the target')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExample:\n  $ runwarden signal acme/widgets#12 --run-id "$RUN_ID" --reason "tests still red after 3 tries"',
    )
    .action(async (target: string, flags: SignalFlags) => {
      const { signalCommand } = await import('../coordination-actions.js');
      exit.code = await signalCommand(target, flags);
    });
  beforeParse(command, async () => {
    (await import('../coordination-actions.js')).addStoreOptions(command);
  });
}
