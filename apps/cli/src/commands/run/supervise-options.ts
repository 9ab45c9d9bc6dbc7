import { AGENT_QUOTA_PATTERN, type SuperviseOptions, WATCHDOG_DEFAULTS } from '@runwarden/watchdog';
import { usage } from '../../errors.js';
import type { RunFlags } from './run-flags.js';

/** The watchdog options of a run, without what only the run itself knows (its id, directory, lock). */
export type RunOptions = Omit<SuperviseOptions, 'runDir'> & {
  command: string;
  args: string[];
  missionTimeoutMs: number;
  idleTimeoutMs: number;
  maxResumes: number;
  killGraceMs: number;
};

/**
 * The rules between flags that the watchdog cannot see (it takes a service
 * object, not loose flags): a readiness probe needs `--service` and is one
 * of `--ready-url` or `--ready-port`; `--progress-timeout` needs a progress
 * source. Each value itself was checked by its parser, and the watchdog's
 * own schema checks the rest ({@link superviseOptionsOf}).
 *
 * @param commandLine - the command and its arguments, after `--`.
 * @param flags - the parsed flags.
 * @throws {CliError} `USAGE` with one line naming the flag.
 */
export function checkRunFlags(commandLine: readonly string[], flags: RunFlags): void {
  if (!commandLine[0]) throw usage('a command to run is required after --');
  if ((flags.readyUrl !== undefined || flags.readyPort !== undefined) && !flags.service)
    throw usage(
      `${flags.readyUrl !== undefined ? '--ready-url' : '--ready-port'}: needs --service`,
    );
  if (flags.readyUrl !== undefined && flags.readyPort !== undefined)
    throw usage('--ready-port: give --ready-url or --ready-port, not both');
  if (flags.progressTimeout && !flags.watch?.length && !flags.heartbeatFile)
    throw usage('--progress-timeout: needs --watch or --heartbeat-file');
}

/**
 * The watchdog options of a run, from its flags (a bare `--quota-pattern` is
 * the agent CLIs' usage-limit messages, `AGENT_QUOTA_PATTERN`).
 *
 * @param commandLine - the command and its arguments, after `--`.
 * @param flags - the parsed flags.
 * @param target - the normalised `--target`, recorded as the run's label.
 * @returns the options, to validate and run.
 */
export function superviseOptionsOf(
  commandLine: readonly string[],
  flags: RunFlags,
  target: string | undefined,
): RunOptions {
  const [command = '', ...args] = commandLine;
  const quotaPattern =
    flags.quotaPattern === true ? AGENT_QUOTA_PATTERN.source : flags.quotaPattern;
  return {
    command,
    args,
    missionTimeoutMs: flags.missionTimeout ?? WATCHDOG_DEFAULTS.missionTimeoutMs,
    idleTimeoutMs: flags.idleTimeout,
    startupIdleMs: flags.startupTimeout,
    progressIdleMs: flags.progressTimeout,
    watch: flags.watch ?? [],
    heartbeatFile: flags.heartbeatFile,
    maxResumes: flags.maxResumes,
    resumeOn: flags.resumeOn,
    labels: target ? { target } : undefined,
    resume: flags.resumeCmd ? { command: '/bin/sh', args: ['-c', flags.resumeCmd] } : undefined,
    doneFile: flags.doneFile,
    doneMarker: flags.doneMarker,
    checkCommand: flags.checkCmd,
    quota: quotaPattern ? { pattern: quotaPattern, fallbackPauseMs: flags.quotaWait } : undefined,
    services: flags.service
      ? [
          {
            name: 'service',
            command: '/bin/sh',
            args: ['-c', flags.service],
            readyUrl: flags.readyUrl,
            readyPort: flags.readyPort,
            startupTimeoutMs: flags.readyTimeout,
            connectTimeoutMs: flags.connectTimeout,
            readTimeoutMs: flags.readTimeout,
          },
        ]
      : undefined,
    adopt: flags.adopt !== undefined ? { pid: flags.adopt } : undefined,
    logs: { maxBytes: flags.logMaxSize, backups: flags.logBackups },
    backoff: { initialMs: flags.backoffInitial, maxMs: flags.backoffMax },
    killGraceMs: flags.killGrace,
  };
}
