import type { Command } from 'commander';
import { CLI_DEFAULTS } from '../../defaults.js';
import type { ExitCode } from '../../exit-code.js';
import { countFlag, jsonOption, stateDirOption } from '../../flags.js';
import type { RunsFlags } from './runs-command.js';

/**
 * Registers `runwarden runs` (alias `ls`); its work loads only when it runs.
 *
 * @param program - the `runwarden` program.
 * @param exit - where the action stores its exit code.
 */
export function register(program: Command, exit: ExitCode): void {
  program
    .command('runs')
    .alias('ls')
    .description(
      'the runs under the state dir, newest first: run id, target, started, duration, attempts, reason, exit code',
    )
    .option(
      '--limit <n>',
      'how many runs to list (0: all)',
      countFlag('--limit'),
      CLI_DEFAULTS.runsLimit,
    )
    .option('--target <key>', 'only the runs of this target')
    .addOption(stateDirOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExample:\n  $ runwarden runs --limit 5\n  $ runwarden ls --target acme/widgets#12 --json',
    )
    .action(async (flags: RunsFlags) => {
      const { runsCommand } = await import('../local-actions.js');
      exit.code = await runsCommand(flags);
    });
}
