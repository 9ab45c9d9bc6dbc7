import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { readRegularFile, StatePathError } from '@runwarden/safe-fs';
import {
  AGENT_QUOTA_PATTERN,
  type BackoffOptions,
  type CommandSpec,
  RESUME_RULES,
  type SuperviseOptions,
  validateOptions,
  WATCHDOG_DEFAULTS,
  WatchdogError,
} from '@runwarden/watchdog';
import { LineCounter, parseDocument } from 'yaml';
import { describeIssue, lineAt } from './config-location.js';
import { type ConfigFile, configFileSchema, type LoopFile } from './config-schema.js';
import { SUPERVISOR_DEFAULTS } from './defaults.js';
import { ConfigError } from './errors.js';

/** What the supervisor does once a loop's watchdog has ended. */
export interface RestartPolicy {
  /** `on-failure` restarts unless the run ended `OK`; `always` restarts after `OK` too; `never` never. */
  policy: 'on-failure' | 'always' | 'never';
  /** Backoff between runs, in ms. */
  backoff: Required<BackoffOptions>;
  /** A run that lived this long resets the backoff and the give-up budget, in ms. */
  resetAfterMs: number;
  /** Restarts allowed within `withinMs`; one more and the loop is `fatal`. */
  giveUp: { restarts: number; withinMs: number };
}

/** A loop's action claims, resolved (present only when `actionClaims.enabled`). */
export interface ActionClaimsConfig {
  /** The git work tree whose reflogs count for push, commit, merge, revert, rebase and tag claims (absolute). */
  repository: string;
  /** How long a commitment stays open before it expires, in ms. */
  expiryMs: number;
  /** Open commitments the loop may hold. */
  capPerTopic: number;
}

/** One loop, resolved: absolute paths, defaults filled in, the watchdog options of each run. */
export interface LoopConfig {
  name: string;
  /** The watchdog options of a run, without the run's own `runId`, `runDir`, lock and callbacks. */
  run: Omit<SuperviseOptions, 'runDir'>;
  /** The coordination target each run claims, as `runwarden run --target`. */
  target?: string;
  restart: RestartPolicy;
  /** Its action claims, when enabled. */
  actionClaims?: ActionClaimsConfig;
  /** A digest of the loop's config: a SIGHUP restarts the loops whose digest changed. */
  digest: string;
}

/** The global stop condition. */
export type DoneCondition =
  | { kind: 'file'; file: string; line: string; everyMs: number }
  | { kind: 'command'; command: string; cwd: string; everyMs: number; timeoutMs: number };

/** The whole config, resolved. */
export interface SupervisorConfig {
  /** The config file, absolute. */
  file: string;
  /** The state directory, absolute. */
  stateDir: string;
  /** The API's bind address. */
  listen: { host: string; port: number };
  done?: DoneCondition;
  loops: LoopConfig[];
}

const sh = (command: string | string[]): CommandSpec =>
  typeof command === 'string'
    ? { command: '/bin/sh', args: ['-c', command] }
    : { command: command[0]!, args: command.slice(1) };

function resolveBackoff(
  given: { initial?: number; max?: number; factor?: number; jitter?: number } | undefined,
): Required<BackoffOptions> {
  const base = WATCHDOG_DEFAULTS.backoff;
  return {
    initialMs: given?.initial ?? base.initialMs,
    maxMs: given?.max ?? base.maxMs,
    factor: given?.factor ?? base.factor,
    jitter: given?.jitter ?? base.jitter,
  };
}

function resolveLoop(name: string, loop: LoopFile, configDir: string): LoopConfig {
  const spec = sh(loop.command);
  const run = loop.run ?? {};
  const quotaPattern =
    run.quotaPattern === true ? AGENT_QUOTA_PATTERN.source : (run.quotaPattern ?? undefined);
  const options: Omit<SuperviseOptions, 'runDir'> = {
    command: spec.command,
    args: spec.args,
    cwd: resolve(configDir, loop.cwd ?? '.'),
    env: Object.fromEntries(
      Object.entries(loop.env ?? {}).map(([key, value]) => [key, String(value)]),
    ),
    missionTimeoutMs: run.missionTimeout ?? WATCHDOG_DEFAULTS.missionTimeoutMs,
    idleTimeoutMs: run.idleTimeout ?? WATCHDOG_DEFAULTS.idleTimeoutMs,
    startupIdleMs: run.startupTimeout,
    progressIdleMs: run.progressTimeout,
    watch: run.watch,
    heartbeatFile: run.heartbeatFile,
    maxResumes: run.maxResumes ?? WATCHDOG_DEFAULTS.maxResumes,
    resumeOn:
      run.resumeOn === 'always' ? [...RESUME_RULES] : run.resumeOn === 'none' ? [] : run.resumeOn,
    resume: run.resumeCommand !== undefined ? sh(run.resumeCommand) : undefined,
    doneFile: run.doneFile,
    doneMarker: run.doneMarker,
    checkCommand: run.checkCommand,
    checkTimeoutMs: run.checkTimeout,
    quota:
      quotaPattern !== undefined
        ? {
            pattern: quotaPattern,
            fallbackPauseMs: run.quotaWait ?? WATCHDOG_DEFAULTS.quota.fallbackPauseMs,
          }
        : undefined,
    killGraceMs: run.killGrace ?? WATCHDOG_DEFAULTS.killGraceMs,
    completionGraceMs: run.completionGrace,
    logs: {
      maxBytes: run.logMaxSize ?? WATCHDOG_DEFAULTS.logs.maxBytes,
      backups: run.logBackups ?? WATCHDOG_DEFAULTS.logs.backups,
    },
    backoff: resolveBackoff(run.backoff),
    backoffResetMs: run.backoffReset,
    // No pipe from the agent into the supervisor: the logs are its stdout and stderr.
    output: 'file',
  };
  const restart = loop.restart ?? {};
  const claims = loop.actionClaims;
  const resolved: LoopConfig = {
    name,
    run: options,
    ...(loop.target !== undefined ? { target: loop.target } : {}),
    ...(claims?.enabled
      ? {
          actionClaims: {
            repository: resolve(configDir, claims.repository ?? loop.cwd ?? '.'),
            expiryMs: claims.expiry ?? SUPERVISOR_DEFAULTS.commitmentExpiryMs,
            capPerTopic: claims.cap ?? SUPERVISOR_DEFAULTS.commitmentCap,
          },
        }
      : {}),
    restart: {
      policy: restart.policy ?? SUPERVISOR_DEFAULTS.restartPolicy,
      backoff: resolveBackoff(restart.backoff),
      resetAfterMs: restart.resetAfter ?? SUPERVISOR_DEFAULTS.resetAfterMs,
      giveUp: {
        restarts: restart.giveUp?.restarts ?? SUPERVISOR_DEFAULTS.giveUpRestarts,
        withinMs: restart.giveUp?.within ?? SUPERVISOR_DEFAULTS.giveUpWithinMs,
      },
    },
    digest: '',
  };
  resolved.digest = createHash('sha256')
    .update(
      JSON.stringify({
        run: options,
        target: loop.target,
        restart: resolved.restart,
        actionClaims: resolved.actionClaims,
      }),
    )
    .digest('hex')
    .slice(0, 16);
  return resolved;
}

/** The watchdog's name of an option, back to the config key it came from. */
const RUN_KEY_OF: Record<string, string> = {
  missionTimeoutMs: 'missionTimeout',
  idleTimeoutMs: 'idleTimeout',
  startupIdleMs: 'startupTimeout',
  progressIdleMs: 'progressTimeout',
  resume: 'resumeCommand',
  quota: 'quotaPattern',
  killGraceMs: 'killGrace',
  completionGraceMs: 'completionGrace',
  checkTimeoutMs: 'checkTimeout',
  logs: 'logMaxSize',
  backoffResetMs: 'backoffReset',
};

/**
 * Parses and validates a config's text: YAML (the `yaml` package, duplicate
 * keys refused), then zod ({@link configFileSchema}), then each loop's
 * watchdog options (`validateOptions`). Relative paths are resolved against
 * the config file's directory; every default comes from
 * {@link SUPERVISOR_DEFAULTS} or the watchdog's `WATCHDOG_DEFAULTS`.
 *
 * @param text - the file's content.
 * @param file - its path (for the messages and relative paths).
 * @returns the resolved config.
 * @throws {ConfigError} naming the file, the line and the key, for the first problem.
 */
export function parseConfig(text: string, file: string): SupervisorConfig {
  const absolute = resolve(file);
  const counter = new LineCounter();
  const document = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  const yamlError = document.errors[0];
  if (yamlError) {
    throw new ConfigError({
      file,
      line: counter.linePos(yamlError.pos[0]).line,
      detail: `not valid YAML: ${yamlError.message.split('\n')[0]}`,
      cause: yamlError,
    });
  }
  const raw: unknown = document.toJS() ?? {};
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const { path, at, detail, atKey } = describeIssue(issue, raw);
    throw new ConfigError({
      file,
      line: lineAt(document.contents, at, counter, atKey),
      key: path.map(String).join('.') || undefined,
      detail,
      cause: parsed.error,
    });
  }
  const config: ConfigFile = parsed.data;
  const configDir = dirname(absolute);
  const loops = Object.entries(config.loops).map(([name, loop]) => {
    const resolved = resolveLoop(name, loop, configDir);
    try {
      validateOptions({ ...resolved.run, runDir: '.' });
    } catch (error) {
      if (!WatchdogError.isInstance(error)) throw error;
      const option = error.option?.split('.')[0] ?? '';
      const path = ['loops', name, 'run', RUN_KEY_OF[option] ?? option];
      throw new ConfigError({
        file,
        line: lineAt(document.contents, path, counter, true),
        key: path.join('.'),
        detail: error.message.replace(/^[\w.]+: /, ''),
        cause: error,
      });
    }
    return resolved;
  });
  const [host, port] = splitListen(config.listen ?? SUPERVISOR_DEFAULTS.listen);
  let done: DoneCondition | undefined;
  if (config.done && 'file' in config.done) {
    done = {
      kind: 'file',
      file: resolve(configDir, config.done.file),
      line: config.done.line.trim(),
      everyMs: config.done.every ?? SUPERVISOR_DEFAULTS.doneFileEveryMs,
    };
  } else if (config.done) {
    done = {
      kind: 'command',
      command: config.done.command,
      cwd: configDir,
      everyMs: config.done.every ?? SUPERVISOR_DEFAULTS.doneCommandEveryMs,
      timeoutMs: config.done.timeout ?? SUPERVISOR_DEFAULTS.doneCommandTimeoutMs,
    };
  }
  return {
    file: absolute,
    stateDir: resolve(configDir, config.stateDir ?? SUPERVISOR_DEFAULTS.stateDir),
    listen: { host, port },
    ...(done ? { done } : {}),
    loops,
  };
}

function splitListen(listen: string): [string, number] {
  const colon = listen.lastIndexOf(':');
  return [listen.slice(0, colon).replace(/^\[|\]$/g, ''), Number(listen.slice(colon + 1))];
}

/**
 * Reads and parses a config file (see {@link parseConfig}) by the safe-fs
 * rule: a symlink is followed (the config is the user's file, not state), but
 * a FIFO, socket or directory is refused without blocking, and so is a file
 * past `configMaxBytes`.
 *
 * @param file - the path, relative to the working directory. @default 'runwarden.yaml'
 * @returns the resolved config.
 * @throws {ConfigError} when the file cannot be read or is invalid (exit 64).
 */
export function loadConfig(file: string = SUPERVISOR_DEFAULTS.configFile): SupervisorConfig {
  let read: ReturnType<typeof readRegularFile>;
  try {
    read = readRegularFile(file, { follow: true, maxBytes: SUPERVISOR_DEFAULTS.configMaxBytes });
  } catch (error) {
    const detail = StatePathError.isInstance(error)
      ? error.problem === 'not-regular-file'
        ? `is not a regular file (${error.message.replace(/^.* is (.*), not a regular file\.$/, '$1')})`
        : error.problem === 'too-large'
          ? `is larger than ${SUPERVISOR_DEFAULTS.configMaxBytes} bytes`
          : `cannot be read (${error.errno ?? error.message})`
      : `cannot be read (${(error as Error).message})`;
    throw new ConfigError({ file, detail, cause: error });
  }
  if (!read)
    throw new ConfigError({ file, detail: 'no such config file (give one with --config FILE)' });
  return parseConfig(read.bytes.toString('utf8'), file);
}
