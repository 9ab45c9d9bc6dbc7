import type { Command } from 'commander';
import { CLI_DEFAULTS } from '../../defaults.js';
import type { ExitCode } from '../../exit-code.js';
import { countFlag, jsonOption, oneOfFlag, stateDirOption } from '../../flags.js';
import type { LogsFlags } from './logs-command.js';
import { LOG_STREAMS } from './streams.js';

/**
 * Registers `runwarden logs`; its work loads only when it runs.
 *
 * @param program - the `runwarden` program.
 * @param exit - where the action stores its exit code.
 */
export function register(program: Command, exit: ExitCode): void {
  program
    .command('logs')
    .description("show a run's output (or its journal), and follow it until the run ends")
    .argument('[runId]', 'the run (default: the live run, else the latest)')
    .option(
      '-n, --lines <n>',
      'lines to show from the end',
      countFlag('--lines'),
      CLI_DEFAULTS.logLines,
    )
    .option('-f, --follow', 'keep printing as the run writes, until it ends')
    .option(
      '--stream <name>',
      'stdout, stderr or all',
      oneOfFlag('--stream', LOG_STREAMS, (word) => `'${word}' is not stdout, stderr or all`),
      'all',
    )
    .option('--journal', 'show the journal (the run’s story) instead of the output')
    .option('--target <key>', "the target's live run, else its latest (runwarden run --target)")
    .addOption(stateDirOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExample:\n  $ runwarden logs -f\n  $ runwarden logs --journal --json 20261126-120000-123-abc123',
    )
    .action(async (runId: string | undefined, flags: LogsFlags) => {
      const { logsCommand } = await import('../local-actions.js');
      exit.code = await logsCommand(runId, flags);
    });
}
