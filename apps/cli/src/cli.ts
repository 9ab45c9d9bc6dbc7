#!/usr/bin/env node
import { DEFAULT_RESUME_ON, EXIT_CODES } from '@runwarden/watchdog';
import { Command, CommanderError, Option } from 'commander';
import { registerCoordinationCommands } from './commands/coordination.js';
import { registerEvidenceCommands } from './commands/evidence.js';
import { killCommand } from './commands/kill.js';
import { logsCommand } from './commands/logs.js';
import { lockFailure, runCommand } from './commands/run.js';
import { runsCommand } from './commands/runs.js';
import { statusCommand } from './commands/status.js';
import { formatDuration } from './durations.js';
import { CliError, stateFailure } from './errors.js';
import { colors, printJson } from './output.js';
import { DEFAULT_RUNS_LIMIT } from './run-index.js';
import { guardOutput } from './safe-output.js';
import { RUN_TARGET_LEASE_MS } from './target-claim.js';
import { packageVersion } from './version.js';

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
    .version(packageVersion())
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
    .option('--store <kind>', 'where --target ownership lives: file or postgres')
    .option('--database-url <url>', 'PostgreSQL URL for --store postgres')
    .option(
      '--coordination-dir <dir>',
      'file store directory for --target (e.g. dev-loops .pi/runner-coordination)',
    )
    .option(
      '--target-lease <dur>',
      `lease of the --target claim, refreshed every third of it (default ${formatDuration(RUN_TARGET_LEASE_MS)})`,
    )
    .option(
      '--mission-timeout <dur>',
      'wall clock over all attempts (150s, 15m, 2h, or ms); then exit 2',
    )
    .option('--idle-timeout <dur>', 'no output for this long ends the attempt', '30m')
    .option(
      '--startup-timeout <dur>',
      'no first output for this long ends the attempt (default: idle timeout)',
    )
    .option(
      '--progress-timeout <dur>',
      'no change to a --watch or --heartbeat-file path for this long ends the attempt',
    )
    .option(
      '--watch <path>',
      'progress source (repeatable), e.g. .git/logs/HEAD',
      (value: string, all: string[] = []) => [...all, value],
    )
    .option(
      '--heartbeat-file <path>',
      'progress source; its JSON is RUNWARDEN_CHECKPOINT on resume',
    )
    .option('--max-resumes <n>', 'resumes without progress allowed before the hand-off', '20')
    .option(
      '--resume-on <rules>',
      `which deaths are resumed: hang, signal, exit-0, failure, none or always (default: ${DEFAULT_RESUME_ON.withoutPredicate.join(',')}; with --done-file, --done-marker or --check-cmd: ${DEFAULT_RESUME_ON.withPredicate.join(',')})`,
    )
    .option('--resume-cmd <cmd>', 'shell command for resumes (default: the command again)')
    .option('--done-file <path>', 'the run is complete only when this file exists')
    .option('--done-marker <line>', 'the run is complete when a line of output equals this')
    .option('--check-cmd <cmd>', 'shell command that must also pass for completion')
    .option(
      '--quota-pattern [regex]',
      'a death whose last lines match is a pause, not a resume (bare: usage-limit messages of agent CLIs)',
    )
    .option('--quota-wait <dur>', 'quota pause when the message gives no reset time', '15m')
    .option('--service <cmd>', 'sidecar started first and ended with the run (shell command)')
    .option('--ready-url <url>', 'the service is ready when this URL answers 200-399')
    .option('--ready-port <n>', 'the service is ready when this TCP port accepts')
    .option('--ready-timeout <dur>', 'startup deadline of the service; then exit 3', '60s')
    .option('--connect-timeout <dur>', 'per readiness probe: connect timeout', '5s')
    .option('--read-timeout <dur>', 'per readiness probe: read timeout', '30s')
    .option('--adopt <pid>', 'watch a running process as attempt 1; resume with the command')
    .option('--log-max-size <size>', 'rotate stdout.log/stderr.log at this size', '50MB')
    .option('--log-backups <n>', 'rotated logs kept per stream', '5')
    .option('--backoff-initial <dur>', 'first resume delay (doubles per resume)', '1s')
    .option('--backoff-max <dur>', 'longest resume delay', '5m')
    .option('--kill-grace <dur>', 'time between SIGTERM and SIGKILL when ending the tree', '5s')
    .addOption(stateDirOption())
    .addOption(jsonOption())
    .passThroughOptions()
    .addHelpText(
      'after',
      `
Example:
  $ runwarden run --mission-timeout 2h --idle-timeout 15m --done-file DONE -- opencode run "fix the tests"
  $ runwarden run --heartbeat-file .agent/heartbeat.json --watch .git/logs/HEAD --progress-timeout 20m \\
      --quota-pattern --resume-cmd 'opencode run --continue' -- opencode run "work through PLAN.md"
  $ runwarden run --service "opencode serve --port 4096" --ready-url http://127.0.0.1:4096/ -- ./post-mission.sh
  $ runwarden run --json -- pnpm -r build   # the JSON on stdout, the build's output on stderr
  $ runwarden run --target acme/widgets#12 --resume-on hang,signal,failure -- ./fix-pr.sh`,
    )
    .action(async (commandLine: string[], flags) => {
      exit.code = await runCommand(commandLine, flags);
    });

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
    .action(async (flags) => {
      exit.code = await statusCommand(flags);
    });

  program
    .command('logs')
    .description("show a run's output (or its journal), and follow it until the run ends")
    .argument('[runId]', 'the run (default: the live run, else the latest)')
    .option('-n, --lines <n>', 'lines to show from the end', '20')
    .option('-f, --follow', 'keep printing as the run writes, until it ends')
    .option('--stream <name>', 'stdout, stderr or all', 'all')
    .option('--journal', 'show the journal (the run’s story) instead of the output')
    .option('--target <key>', "the target's live run, else its latest (runwarden run --target)")
    .addOption(stateDirOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExample:\n  $ runwarden logs -f\n  $ runwarden logs --journal --json 20261126-120000-abc123',
    )
    .action(async (runId: string | undefined, flags) => {
      exit.code = await logsCommand(runId, flags);
    });

  program
    .command('kill')
    .description("end the live run's whole process tree and free the lock")
    .option('--grace <dur>', 'time between SIGTERM and SIGKILL', '5s')
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
    .action(async (flags) => {
      exit.code = await killCommand(flags);
    });

  program
    .command('runs')
    .alias('ls')
    .description(
      'the runs under the state dir, newest first: run id, target, started, duration, attempts, reason, exit code',
    )
    .option('--limit <n>', 'how many runs to list (0: all)', String(DEFAULT_RUNS_LIMIT))
    .option('--target <key>', 'only the runs of this target')
    .addOption(stateDirOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExample:\n  $ runwarden runs --limit 5\n  $ runwarden ls --target acme/widgets#12 --json',
    )
    .action(async (flags) => {
      exit.code = await runsCommand(flags);
    });

  registerCoordinationCommands(program, exit);
  registerEvidenceCommands(program, exit);

  return program;
}

/** Runs the CLI and returns the exit code (never throws). */
export async function main(argv: string[] = process.argv): Promise<number> {
  // Our own output never throws: EPIPE after `| head -1`, EIO from a closed terminal.
  guardOutput();
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
    const error = stateFailure(lockFailure(raw));
    if (CliError.isInstance(error)) {
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
        `runwarden: INTERNAL: ${message}\nrunwarden: this is a bug; please report it (NODE_OPTIONS=--enable-source-maps gives a readable trace).\n`,
      );
    return EXIT_CODES.INTERNAL;
  }
}

main().then((code) => {
  process.exitCode = code;
});
