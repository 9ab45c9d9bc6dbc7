import { formatDuration } from '@runwarden/cli-kit';
import { DEFAULT_RESUME_ON, WATCHDOG_DEFAULTS } from '@runwarden/watchdog';
import { type Command, Option } from 'commander';
import { CLI_DEFAULTS } from '../../defaults.js';
import type { ExitCode } from '../../exit-code.js';
import {
  countFlag,
  durationOption,
  jsonOption,
  patternFlag,
  repeatable,
  sizeFlag,
  stateDirOption,
  textFlag,
} from '../../flags.js';
import { parseResumeOn } from '../../resume-on.js';
import type { RunFlags } from './run-flags.js';

/** The most resumes `--max-resumes` takes (a budget beyond it is a typo). */
const MAX_RESUMES_FLAG = 10_000;

const defaults = WATCHDOG_DEFAULTS;

/** `--flag <value>` with a parser and, when given, a default shown in the help. */
function option<T>(
  flags: string,
  description: string,
  parse: (value: string, previous?: T) => T,
  fallback?: { value: T; shown: string },
): Option {
  const created = new Option(flags, description).argParser(parse);
  return fallback ? created.default(fallback.value, fallback.shown) : created;
}

/**
 * Registers `runwarden run`: every flag, its parser (exit 64 with one line
 * naming the flag) and its default, read from `WATCHDOG_DEFAULTS` (and
 * `CLI_DEFAULTS`); the run itself loads only when it runs.
 *
 * @param program - the `runwarden` program.
 * @param exit - where the action stores its exit code.
 */
export function register(program: Command, exit: ExitCode): void {
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
    .addOption(
      durationOption(
        '--target-lease <dur>',
        `lease of the --target claim, refreshed every third of it (default ${formatDuration(CLI_DEFAULTS.targetLeaseMs)})`,
      ),
    )
    .addOption(
      durationOption(
        '--mission-timeout <dur>',
        'wall clock over all attempts (150s, 15m, 2h, or ms); then exit 2 (default: none)',
      ),
    )
    .addOption(
      durationOption('--idle-timeout <dur>', 'no output for this long ends the attempt', {
        defaultMs: defaults.idleTimeoutMs,
      }),
    )
    .addOption(
      durationOption(
        '--startup-timeout <dur>',
        'no first output for this long ends the attempt (default: idle timeout)',
      ),
    )
    .addOption(
      durationOption(
        '--progress-timeout <dur>',
        'no change to a --watch or --heartbeat-file path for this long ends the attempt',
      ),
    )
    .addOption(
      option(
        '--watch <path>',
        'progress source (repeatable), e.g. .git/logs/HEAD',
        repeatable(textFlag('--watch')),
      ),
    )
    .addOption(
      option(
        '--heartbeat-file <path>',
        'progress source; its JSON is RUNWARDEN_CHECKPOINT on resume',
        textFlag('--heartbeat-file'),
      ),
    )
    .addOption(
      option(
        '--max-resumes <n>',
        'resumes without progress allowed before the hand-off',
        countFlag('--max-resumes', { max: MAX_RESUMES_FLAG }),
        { value: defaults.maxResumes, shown: String(defaults.maxResumes) },
      ),
    )
    .addOption(
      option(
        '--resume-on <rules>',
        `which deaths are resumed: hang, signal, exit-0, failure, none or always (default: ${DEFAULT_RESUME_ON.withoutPredicate.join(',')}; with --done-file, --done-marker or --check-cmd: ${DEFAULT_RESUME_ON.withPredicate.join(',')})`,
        parseResumeOn,
      ),
    )
    .addOption(
      option(
        '--resume-cmd <cmd>',
        'shell command for resumes (default: the command again)',
        textFlag('--resume-cmd'),
      ),
    )
    .addOption(
      option(
        '--done-file <path>',
        'the run is complete only when this file exists',
        textFlag('--done-file'),
      ),
    )
    .addOption(
      option(
        '--done-marker <line>',
        'the run is complete when a line of output equals this',
        textFlag('--done-marker', { trim: true }),
      ),
    )
    .addOption(
      option(
        '--check-cmd <cmd>',
        'shell command that must also pass for completion',
        textFlag('--check-cmd'),
      ),
    )
    .addOption(
      option(
        '--quota-pattern [regex]',
        'a death whose last lines match is a pause, not a resume (bare: usage-limit messages of agent CLIs)',
        patternFlag('--quota-pattern'),
      ),
    )
    .addOption(
      durationOption('--quota-wait <dur>', 'quota pause when the message gives no reset time', {
        defaultMs: defaults.quota.fallbackPauseMs,
      }),
    )
    .addOption(
      option(
        '--service <cmd>',
        'sidecar started first and ended with the run (shell command)',
        textFlag('--service'),
      ),
    )
    .option('--ready-url <url>', 'the service is ready when this URL answers 200-399')
    .addOption(
      option(
        '--ready-port <n>',
        'the service is ready when this TCP port accepts',
        countFlag('--ready-port'),
      ),
    )
    .addOption(
      durationOption('--ready-timeout <dur>', 'startup deadline of the service; then exit 3', {
        defaultMs: defaults.service.startupTimeoutMs,
        positive: true,
      }),
    )
    .addOption(
      durationOption('--connect-timeout <dur>', 'per readiness probe: connect timeout', {
        defaultMs: defaults.service.connectTimeoutMs,
        positive: true,
      }),
    )
    .addOption(
      durationOption('--read-timeout <dur>', 'per readiness probe: read timeout', {
        defaultMs: defaults.service.readTimeoutMs,
        positive: true,
      }),
    )
    .addOption(
      option(
        '--adopt <pid>',
        'watch a running process as attempt 1; resume with the command',
        countFlag('--adopt', { zero: 'must be a pid' }),
      ),
    )
    .addOption(
      option(
        '--log-max-size <size>',
        'rotate stdout.log/stderr.log at this size',
        sizeFlag('--log-max-size'),
        { value: defaults.logs.maxBytes, shown: `${defaults.logs.maxBytes / 1024 / 1024}MB` },
      ),
    )
    .addOption(
      option('--log-backups <n>', 'rotated logs kept per stream', countFlag('--log-backups'), {
        value: defaults.logs.backups,
        shown: String(defaults.logs.backups),
      }),
    )
    .addOption(
      durationOption('--backoff-initial <dur>', 'first resume delay (doubles per resume)', {
        defaultMs: defaults.backoff.initialMs,
      }),
    )
    .addOption(
      durationOption('--backoff-max <dur>', 'longest resume delay', {
        defaultMs: defaults.backoff.maxMs,
      }),
    )
    .addOption(
      durationOption(
        '--kill-grace <dur>',
        'time between SIGTERM and SIGKILL when ending the tree',
        { defaultMs: defaults.killGraceMs },
      ),
    )
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
    .action(async (commandLine: string[], flags: RunFlags) => {
      const { runCommand } = await import('./run-command.js');
      exit.code = await runCommand(commandLine, flags);
    });
}
