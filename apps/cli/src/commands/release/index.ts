import type { Command } from 'commander';
import { beforeParse } from '../../before-parse.js';
import type { ExitCode } from '../../exit-code.js';
import { jsonOption } from '../../flags.js';
import type { ReleaseFlags } from './release-command.js';

/**
 * Registers `runwarden release`; its work (and the store flags) load only when it runs.
 *
 * @param program - the `runwarden` program.
 * @param exit - where the action stores its exit code.
 */
export function register(program: Command, exit: ExitCode): void {
  const command = program
    .command('release')
    .description('give a target up (release_noop when the run no longer owns it)')
    .argument('<target>', 'the target key')
    .option('--run-id <id>', 'the owning run (default: $RUNWARDEN_RUN_ID)')
    .addOption(jsonOption())
    .addHelpText('after', '\nExample:\n  $ runwarden release acme/widgets#12 --run-id "$RUN_ID"')
    .action(async (target: string, flags: ReleaseFlags) => {
      const { releaseCommand } = await import('../coordination-actions.js');
      exit.code = await releaseCommand(target, flags);
    });
  beforeParse(command, async () => {
    (await import('../coordination-actions.js')).addStoreOptions(command);
  });
}
