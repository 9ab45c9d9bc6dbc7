#!/usr/bin/env node
import { EXIT_CODES } from '@runwarden/watchdog';
import { Command, CommanderError, Option } from 'commander';
import { registerEvidenceCommands } from './commands/evidence.js';
import { killCommand } from './commands/kill.js';
import { lockFailure, runCommand } from './commands/run.js';
import { statusCommand } from './commands/status.js';
import { CliError } from './errors.js';
import { colors, printJson } from './output.js';

const VERSION = '0.0.0';

function stateDirOption(): Option {
  return new Option(
    '--state-dir <dir>',
    'state directory (default: <repo>/.runtime or $RUNWARDEN_STATE_DIR)',
  );
}

function jsonOption(): Option {
  return new Option('--json', 'print one JSON object with ok, reason, exitCode and the data');
}

/** Builds the `runwarden` program. Each action stores its exit code in `exit.code`. */
export function buildProgram(exit: { code: number }): Command {
  const program = new Command('runwarden')
    .description(
      'Keep long-running autonomous runs safe: one run at a time, a watchdog, a clean kill and evidence.',
    )
    .version(VERSION)
    .enablePositionalOptions()
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeErr: (text) => process.stderr.write(text),
      outputError: (text, write) => write(`runwarden: ${text.replace(/^error: /, '').trim()}\n`),
    });

  program
    .command('run')
    .description('run a command under the watchdog, one run at a time')
    .argument('<command...>', 'the command and its arguments, after --')
    .option('--target <key>', 'claim a target (owner/repo#123, queue:item-7) for the run')
    .option(
      '--mission-timeout <dur>',
      'wall clock over all attempts (150s, 15m, 2h, or ms); then exit 2',
    )
    .option('--idle-timeout <dur>', 'no output for this long ends the attempt', '30m')
    .option(
      '--startup-timeout <dur>',
      'no first output for this long ends the attempt (default: idle timeout)',
    )
    .option('--max-resumes <n>', 'resumes allowed after deaths before completion', '20')
    .option('--resume-cmd <cmd>', 'shell command for resumes (default: the command again)')
    .option('--done-file <path>', 'the run is complete only when this file exists')
    .option('--kill-grace <dur>', 'time between SIGTERM and SIGKILL when ending the tree', '5s')
    .addOption(stateDirOption())
    .addOption(jsonOption())
    .passThroughOptions()
    .addHelpText(
      'after',
      `
Example:
  $ runwarden run --mission-timeout 2h --idle-timeout 15m --done-file DONE -- opencode run "fix the tests"
  $ runwarden run --json -- pnpm -r build`,
    )
    .action(async (commandLine: string[], flags) => {
      exit.code = await runCommand(commandLine, flags);
    });

  program
    .command('status')
    .description(
      'who holds the lock: holder pid, alive or not, heartbeat age, the run and its last event',
    )
    .addOption(stateDirOption())
    .addOption(jsonOption())
    .addHelpText('after', '\nExample:\n  $ runwarden status --json')
    .action(async (flags) => {
      exit.code = await statusCommand(flags);
    });

  program
    .command('kill')
    .description("end the live run's whole process tree and free the lock")
    .option('--grace <dur>', 'time between SIGTERM and SIGKILL', '5s')
    .option(
      '--force',
      'also kill an unresponsive holder, end orphans, and move a corrupt lock aside',
    )
    .addOption(stateDirOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExample:\n  $ runwarden kill --grace 10s\n  $ runwarden kill --force   # after the runwarden process itself was SIGKILLed',
    )
    .action(async (flags) => {
      exit.code = await killCommand(flags);
    });

  registerEvidenceCommands(program, exit);

  return program;
}

/** Runs the CLI and returns the exit code (never throws). */
export async function main(argv: string[] = process.argv): Promise<number> {
  const exit = { code: 0 };
  const wantsJson = argv.includes('--json');
  try {
    await buildProgram(exit).parseAsync(argv);
    return exit.code;
  } catch (raw) {
    if (raw instanceof CommanderError) {
      if (
        raw.code === 'commander.helpDisplayed' ||
        raw.code === 'commander.version' ||
        raw.code === 'commander.help'
      )
        return 0;
      if (wantsJson) printJson('USAGE', { message: raw.message.replace(/^error: /, '') });
      return EXIT_CODES.USAGE;
    }
    const error = lockFailure(raw);
    if (error instanceof CliError) {
      if (wantsJson)
        printJson(error.reason, { message: error.message, hint: error.hint, ...error.data });
      else {
        process.stderr.write(
          `runwarden: ${error.reason === 'USAGE' ? '' : `${colors.red(error.reason)}: `}${error.message}\n`,
        );
        if (error.hint) process.stderr.write(`runwarden: ${colors.dim(error.hint)}\n`);
      }
      return EXIT_CODES[error.reason];
    }
    const message = raw instanceof Error ? (raw.stack ?? raw.message) : String(raw);
    if (wantsJson) printJson('INTERNAL', { message: String((raw as Error)?.message ?? raw) });
    else
      process.stderr.write(
        `runwarden: INTERNAL: ${message}\nrunwarden: this is a bug; please report it.\n`,
      );
    return EXIT_CODES.INTERNAL;
  }
}

main().then((code) => {
  process.exitCode = code;
});
