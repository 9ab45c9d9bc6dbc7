import { spawn } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { EXIT_CODES } from '@runwarden/watchdog';
import { loadConfig } from '../config.js';
import { SupervisorError } from '../errors.js';
import { colors, formatDuration, printJson, say, table } from '../output.js';
import { ensurePrivateDir, statePaths } from '../state.js';
import { Supervisor, type SupervisorOutcome } from '../supervisor.js';

/** Flags of `start`. */
export interface StartFlags {
  config?: string;
  detach?: boolean;
  json?: boolean;
}

const DETACH_WAIT_MS = 30_000;

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
      `supervising ${count} loop(s) from ${where(supervisor.paths.stateDir)}; API ${readApiUrl(supervisor.paths.apiFile)} (pid ${process.pid})`,
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
function dashboardUrl(paths: { apiFile: string; tokenFile: string }): string {
  let token = '';
  try {
    token = readFileSync(paths.tokenFile, 'utf8').trim();
  } catch {
    // no token yet
  }
  return `${readApiUrl(paths.apiFile)}/?token=${encodeURIComponent(token)}`;
}

function readApiUrl(apiFile: string): string {
  try {
    return JSON.parse(readFileSync(apiFile, 'utf8')).url;
  } catch {
    return '?';
  }
}

async function detach(flags: StartFlags): Promise<number> {
  const configFile = resolve(flags.config ?? 'runwarden.yaml');
  const config = loadConfig(flags.config);
  const paths = statePaths(config.stateDir);
  ensurePrivateDir(paths.stateDir);
  ensurePrivateDir(paths.stateDir, paths.supervisorDir);
  const log = openSync(
    paths.logFile,
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
    0o600,
  );
  const child = spawn(process.execPath, [process.argv[1]!, 'start', '--config', configFile], {
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
  while (performance.now() - started < DETACH_WAIT_MS) {
    if (exited !== undefined) {
      const tail = readFileSync(paths.logFile, 'utf8').trim().split('\n').slice(-3).join('\n');
      throw new SupervisorError(
        'ERR_STATE',
        exited === EXIT_CODES.LOCK_HELD ? 'LOCK_HELD' : 'INTERNAL',
        `The supervisor exited ${exited} at start: ${tail}`,
      );
    }
    if (existsSync(paths.apiFile)) {
      try {
        const api = JSON.parse(readFileSync(paths.apiFile, 'utf8'));
        if (api.pid === child.pid) {
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
      } catch {
        // being written
      }
    }
    await delay(50);
  }
  child.unref();
  throw new SupervisorError(
    'ERR_STATE',
    'INTERNAL',
    `The supervisor (pid ${child.pid}) did not start its API within ${DETACH_WAIT_MS / 1000} s; see ${paths.logFile}.`,
  );
}
