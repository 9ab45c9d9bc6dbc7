import { WATCHDOG_DEFAULTS } from '@runwarden/watchdog';
import type { Command } from 'commander';
import type { ExitCode } from '../../exit-code.js';
import { durationOption, jsonOption, stateDirOption } from '../../flags.js';
import type { KillFlags } from './kill-command.js';

/**
 * Registers `runwarden kill`; its work loads only when it runs.
 *
 * @param program - the `runwarden` program.
 * @param exit - where the action stores its exit code.
 */
export function register(program: Command, exit: ExitCode): void {
  program
    .command('kill')
    .description("end the live run's whole process tree and free the lock")
    .addOption(
      durationOption('--grace <dur>', 'time between SIGTERM and SIGKILL', {
        defaultMs: WATCHDOG_DEFAULTS.killGraceMs,
      }),
    )
    .option(
      '--force',
      'also kill an unresponsive holder, end orphans, and move a corrupt lock aside',
    )
    .option('--target <key>', "end the target's live run (runwarden run --target)")
    .addOption(stateDirOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExample:\n  $ runwarden kill --grace 10s\n  $ runwarden kill --force   # after the runwarden process itself was SIGKILLed',
    )
    .action(async (flags: KillFlags) => {
      const { killCommand } = await import('./kill-command.js');
      exit.code = await killCommand(flags);
    });
}
