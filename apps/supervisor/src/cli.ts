#!/usr/bin/env node
import { EXIT_CODES, WATCHDOG_DEFAULTS } from '@runwarden/watchdog';
import { Command, CommanderError, Option } from 'commander';
import { version } from '../package.json';
import { claimsCheckCommand } from './commands/claims.js';
import { restartCommand, stopCommand } from './commands/control.js';
import { logsCommand } from './commands/logs.js';
import { startCommand } from './commands/start.js';
import { statusCommand } from './commands/status.js';
import { SUPERVISOR_DEFAULTS } from './defaults.js';
import { SupervisorError } from './errors.js';
import { colors, formatDuration, printJson } from './output.js';

/** The package's own version (bundled from its package.json, the one changesets wrote). */
const VERSION: string = version;

const configOption = () =>
  new Option('-c, --config <file>', 'the config file').default(SUPERVISOR_DEFAULTS.configFile);
const jsonOption = () =>
  new Option('--json', 'print one JSON object with ok, reason, exitCode and the data');

const defaultsHelp = `
Defaults (a loop's run: the watchdog's; see runwarden run --help):
  idleTimeout ${formatDuration(WATCHDOG_DEFAULTS.idleTimeoutMs)}, maxResumes ${WATCHDOG_DEFAULTS.maxResumes}, killGrace ${formatDuration(WATCHDOG_DEFAULTS.killGraceMs)}, logs ${WATCHDOG_DEFAULTS.logs.maxBytes / 1024 / 1024} MB × ${WATCHDOG_DEFAULTS.logs.backups}
  restart: ${SUPERVISOR_DEFAULTS.restartPolicy}, backoff ${formatDuration(SUPERVISOR_DEFAULTS.restartBackoff.initialMs)} ×${SUPERVISOR_DEFAULTS.restartBackoff.factor} to ${formatDuration(SUPERVISOR_DEFAULTS.restartBackoff.maxMs)} (±${SUPERVISOR_DEFAULTS.restartBackoff.jitter * 100}%), resetAfter ${formatDuration(SUPERVISOR_DEFAULTS.resetAfterMs)}, giveUp ${SUPERVISOR_DEFAULTS.giveUpRestarts} within ${formatDuration(SUPERVISOR_DEFAULTS.giveUpWithinMs)}
  stateDir <config dir>/${SUPERVISOR_DEFAULTS.stateDir}, listen ${SUPERVISOR_DEFAULTS.listen}, done command every ${formatDuration(SUPERVISOR_DEFAULTS.doneCommandEveryMs)}
  actionClaims: off; when enabled, repository <the loop's cwd>, expiry ${formatDuration(SUPERVISOR_DEFAULTS.commitmentExpiryMs)}, cap ${SUPERVISOR_DEFAULTS.commitmentCap}, checked every ${formatDuration(SUPERVISOR_DEFAULTS.commitmentsEveryMs)}`;

/** Builds the `runwarden-supervisor` program; each action stores its exit code in `exit.code`. */
export function buildProgram(exit: { code: number }): Command {
  const program = new Command('runwarden-supervisor')
    .description(
      'Run several agent loops from one config: restart what dies, stop when the work is done, survive its own SIGKILL.',
    )
    .version(VERSION)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeErr: (text) => process.stderr.write(text),
      outputError: (text, write) =>
        write(`runwarden-supervisor: ${text.replace(/^error: /, '').trim()}\n`),
    })
    .addHelpText('after', defaultsHelp);
  program
    .command('start')
    .description('supervise every loop of the config until done (exit 0), SIGTERM/SIGINT (130)')
    .addOption(configOption())
    .option('-d, --detach', 'run in the background; output to <stateDir>/supervisor/supervisor.log')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `\nExample:\n  $ runwarden-supervisor start --config runwarden.yaml --detach\n  $ kill -HUP <pid>     # reload the config: added loops start, removed stop, changed restart after their run${defaultsHelp}`,
    )
    .action(async (flags) => {
      exit.code = await startCommand(flags);
    });
  program
    .command('status')
    .description("every loop's state, pid, run, attempt, resumes, restarts and last reason")
    .addOption(configOption())
    .addOption(jsonOption())
    .addHelpText('after', '\nExample:\n  $ runwarden-supervisor status --json')
    .action(async (flags) => {
      exit.code = await statusCommand(flags);
    });
  program
    .command('stop')
    .description('stop one loop, or (no LOOP) every loop and the supervisor')
    .argument('[loop]', 'the loop')
    .addOption(configOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExample:\n  $ runwarden-supervisor stop reviewer\n  $ runwarden-supervisor stop   # the whole supervisor; with none running, the orphaned runs',
    )
    .action(async (loop: string | undefined, flags) => {
      exit.code = await stopCommand(loop, flags);
    });
  program
    .command('restart')
    .description('restart one loop now (a fatal loop too), through the running supervisor')
    .argument('<loop>', 'the loop')
    .addOption(configOption())
    .addOption(jsonOption())
    .addHelpText('after', '\nExample:\n  $ runwarden-supervisor restart builder')
    .action(async (loop: string, flags) => {
      exit.code = await restartCommand(loop, flags);
    });
  program
    .command('logs')
    .description("a loop's output; -f follows it across its runs")
    .argument('<loop>', 'the loop')
    .option('-n, --lines <n>', 'lines to show from the end', String(SUPERVISOR_DEFAULTS.logsLines))
    .option('-f, --follow', 'keep printing, across runs, until the loop stops')
    .addOption(configOption())
    .addOption(jsonOption())
    .addHelpText('after', '\nExample:\n  $ runwarden-supervisor logs builder -f')
    .action(async (loop: string, flags) => {
      exit.code = await logsCommand(loop, flags);
    });
  const claims = program
    .command('claims')
    .description("try the action-claim classifier (a loop's actionClaims) on your own text");
  claims
    .command('check')
    .description(
      'read lines on stdin; print one JSON object a line: {claim, verb?, object?, reason, sentence?}',
    )
    .addHelpText(
      'after',
      `\nExample:\n  $ printf '%s\\n' "Restarting the server now." "Did you restart it?" | runwarden-supervisor claims check\n  {"claim":true,"verb":"restart","object":"the server","reason":"participle-now","sentence":"Restarting the server now."}\n  {"claim":false,"reason":"question"}\n\nTurn it on for a loop in runwarden.yaml (off by default):\n  actionClaims: { enabled: true, repository: ., expiry: 6h }   # repository: whose reflog counts (default the loop's cwd)`,
    )
    .action(async () => {
      exit.code = await claimsCheckCommand();
    });
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
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(raw.code))
        return 0;
      if (wantsJson) printJson('USAGE', { message: raw.message.replace(/^error: /, '') });
      return EXIT_CODES.USAGE;
    }
    if (SupervisorError.isInstance(raw)) {
      if (wantsJson) printJson(raw.reason, { message: raw.message, hint: raw.hint, ...raw.data });
      else {
        process.stderr.write(
          `runwarden-supervisor: ${raw.reason === 'USAGE' ? '' : `${colors.red(raw.reason)}: `}${raw.message}\n`,
        );
        if (raw.hint) process.stderr.write(`runwarden-supervisor: ${colors.dim(raw.hint)}\n`);
      }
      return EXIT_CODES[raw.reason];
    }
    const message = raw instanceof Error ? (raw.stack ?? raw.message) : String(raw);
    if (wantsJson) printJson('INTERNAL', { message: String((raw as Error)?.message ?? raw) });
    else
      process.stderr.write(
        `runwarden-supervisor: INTERNAL: ${message}\nrunwarden-supervisor: this is a bug; please report it.\n`,
      );
    return EXIT_CODES.INTERNAL;
  }
}

main().then((code) => {
  // Open handles (a keep-alive socket, a timer) must not hold a finished command.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
});
