import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { EXIT_CODES } from '@runwarden/watchdog';
import { readApiFile, readApiToken } from '../api/client.js';
import { loadConfig } from '../config.js';
import { SUPERVISOR_DEFAULTS } from '../defaults.js';
import { SupervisorError } from '../errors.js';
import { colors, formatDuration, printJson, say, table } from '../output.js';
import { ensurePrivateDir, openStateAppend, readStateTail } from '../state-files.js';
import { type StatePaths, statePaths } from '../state-paths.js';
import { Supervisor, type SupervisorOutcome } from '../supervisor.js';

/** Flags of `start`. */
export interface StartFlags {
  config?: string;
  detach?: boolean;
  json?: boolean;
}

function where(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** The one-screen summary printed when the supervisor ends. */
export function summaryLines(outcome: SupervisorOutcome): string[] {
  const paint = outcome.reason === 'OK' ? colors.green : colors.yellow;
  const lines = [
    `${paint(colors.bold(outcome.reason))} (exit ${outcome.exitCode}) after ${formatDuration(outcome.durationMs)}: ${outcome.message}`,
    ...table(
      ['loop', 'state', 'runs', 'restarts', 'attempt', 'resumes', 'last reason'],
      outcome.loops.map((loop) => [
        loop.name,
        loop.state,
        String(loop.runs),
        String(loop.restarts),
        String(loop.attempt),
        String(loop.resumesUsed),
        loop.lastReason ?? '-',
      ]),
    ).map((line) => `  ${line}`),
  ];
  if (outcome.evidence) {
    lines.push(`evidence: ${where(outcome.evidence.sumsPath)} (${outcome.evidence.rootDigest})`);
    lines.push(
      `check it: ${colors.cyan(`(cd ${where(outcome.evidence.checkFrom)} && sha256sum -c ${resolve(outcome.evidence.sumsPath)})`)}`,
    );
  }
  return lines;
}

/**
 * `start`: runs the supervisor in the foreground until the done condition
 * holds (exit 0), a signal or `stop` ends it (130), or its lock is lost (5);
 * `--detach` starts it in the background (its own session, output to
 * `supervisor/supervisor.log`) and returns once its API is up.
 *
 * @param flags - `--config`, `--detach`, `--json`.
 * @returns the exit code.
 * @throws {ConfigError} (64), {@link SupervisorError} `ERR_HELD` (5), `ERR_STATE` (7).
 */
export async function startCommand(flags: StartFlags): Promise<number> {
  if (flags.detach) return detach(flags);
  const supervisor = await Supervisor.start({
    configFile: flags.config,
    note: flags.json ? undefined : (line) => say(line),
  });
  if (!flags.json) {
    const count = supervisor.loops().length;
    say(
      `supervising ${count} loop(s) from ${where(supervisor.paths.stateDir)}; API ${readApiFile(supervisor.paths)?.url ?? '?'} (pid ${process.pid})`,
    );
    say(`dashboard: ${dashboardUrl(supervisor.paths)}`);
  }
  const outcome = await supervisor.finished;
  if (flags.json) printJson(outcome.reason, { ...outcome });
  else for (const line of summaryLines(outcome)) say(line);
  return outcome.exitCode;
}

/**
 * The dashboard's URL with the token, to open once (as Jupyter prints its
 * `?token=` URL): the page then keeps the token in an HttpOnly cookie.
 */
function dashboardUrl(paths: StatePaths): string {
  return `${readApiFile(paths)?.url ?? '?'}/?token=${encodeURIComponent(readApiToken(paths) ?? '')}`;
}

async function detach(flags: StartFlags): Promise<number> {
  const configFile = resolve(flags.config ?? 'runwarden.yaml');
  const config = loadConfig(flags.config);
  const paths = statePaths(config.stateDir);
  ensurePrivateDir(paths.stateDir);
  ensurePrivateDir(paths.stateDir, paths.supervisorDir);
  const log = openStateAppend(paths.logFile);
  // The V8 flags this process was started with (the bin's shebang) go to the daemon too.
  const argv = [...process.execArgv, process.argv[1]!, 'start', '--config', configFile];
  const child = spawn(process.execPath, argv, {
    detached: true,
    stdio: ['ignore', log, log],
    env: process.env,
  });
  closeSync(log);
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  const started = performance.now();
  while (performance.now() - started < SUPERVISOR_DEFAULTS.detachWaitMs) {
    if (exited !== undefined) {
      const tail = (readStateTail(paths.logFile, SUPERVISOR_DEFAULTS.logsTailBytes) ?? '')
        .trim()
        .split('\n')
        .slice(-3)
        .join('\n');
      throw new SupervisorError({
        code: 'ERR_STATE',
        reason: exited === EXIT_CODES.LOCK_HELD ? 'LOCK_HELD' : 'INTERNAL',
        message: `The supervisor exited ${exited} at start: ${tail}`,
      });
    }
    const api = readApiFile(paths);
    if (api && api.pid === child.pid) {
      child.unref();
      if (flags.json)
        printJson('OK', {
          pid: child.pid,
          url: api.url,
          dashboard: dashboardUrl(paths),
          log: paths.logFile,
          stateDir: paths.stateDir,
        });
      else {
        say(
          `started in the background: pid ${child.pid}, API ${api.url}, log ${where(paths.logFile)}`,
        );
        say(`dashboard: ${dashboardUrl(paths)}`);
      }
      return 0;
    }
    await delay(SUPERVISOR_DEFAULTS.detachPollMs);
  }
  child.unref();
  throw new SupervisorError({
    code: 'ERR_STATE',
    reason: 'INTERNAL',
    message: `The supervisor (pid ${child.pid}) did not start its API within ${SUPERVISOR_DEFAULTS.detachWaitMs / 1000} s; see ${paths.logFile}.`,
  });
}
