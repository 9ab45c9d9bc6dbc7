import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { reasonCodes } from '@runwarden/watchdog';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { SupervisorError } from './errors.js';

/**
 * Where everything lives under a state directory:
 *
 * ```
 * <stateDir>/SUPERVISOR.lock            one supervisor per state dir (lock-core)
 * <stateDir>/supervisor/journal.jsonl   the supervisor's own journal
 * <stateDir>/supervisor/api.json        {url, pid} of the running supervisor's API
 * <stateDir>/supervisor/api.token       its bearer token (fresh each start)
 * <stateDir>/supervisor/evidence/<id>/  the evidence of one supervised period
 * <stateDir>/loops/<name>/RUN.lock      the loop's run lock, held by its watchdog
 * <stateDir>/loops/<name>/loop.json     the loop's own state (state, restarts, last reason)
 * <stateDir>/loops/<name>/runs/<runId>/ journal.jsonl, stdout.log, stderr.log, evidence/
 * <stateDir>/coordination/              the loops' coordination targets (file store)
 * ```
 *
 * @param stateDir - the state directory, absolute.
 * @returns the paths.
 */
export function statePaths(stateDir: string) {
  const supervisorDir = join(stateDir, 'supervisor');
  const loopDir = (name: string) => join(stateDir, 'loops', name);
  return {
    stateDir,
    supervisorLock: join(stateDir, 'SUPERVISOR.lock'),
    supervisorDir,
    journal: join(supervisorDir, 'journal.jsonl'),
    apiFile: join(supervisorDir, 'api.json'),
    tokenFile: join(supervisorDir, 'api.token'),
    logFile: join(supervisorDir, 'supervisor.log'),
    evidenceDir: (sessionId: string) => join(supervisorDir, 'evidence', sessionId),
    loopsDir: join(stateDir, 'loops'),
    coordination: join(stateDir, 'coordination'),
    loopDir,
    loopLock: (name: string) => join(loopDir(name), 'RUN.lock'),
    loopState: (name: string) => join(loopDir(name), 'loop.json'),
    runsDir: (name: string) => join(loopDir(name), 'runs'),
    runDir: (name: string, runId: string) => join(loopDir(name), 'runs', runId),
  };
}

/** The paths of one state directory ({@link statePaths}). */
export type StatePaths = ReturnType<typeof statePaths>;

function unsafe(path: string, what: string): SupervisorError {
  return new SupervisorError(
    'ERR_STATE',
    'INVALID_STATE',
    `${path} is ${what}; runwarden never follows a symlink into state.`,
    { hint: 'Move it aside and start again.', data: { path } },
  );
}

/**
 * Creates a directory under the state directory with mode 0700 (each missing
 * level), and refuses a symlink or a file at any level, the state directory
 * included. The state directory gets a `.gitignore` holding `*`.
 *
 * @param stateDir - the state directory.
 * @param path - the directory, inside it (or it). @default stateDir
 * @throws {SupervisorError} `ERR_STATE` for a symlink or a file in the way.
 */
export function ensurePrivateDir(stateDir: string, path: string = stateDir): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const inside = relative(stateDir, path);
  const levels = [stateDir];
  let current = stateDir;
  for (const part of inside ? inside.split(sep) : []) {
    current = join(current, part);
    levels.push(current);
  }
  for (const level of levels) {
    const stat = lstatSync(level);
    if (stat.isSymbolicLink()) throw unsafe(level, 'a symlink');
    if (!stat.isDirectory()) throw unsafe(level, 'not a directory');
  }
  const ignore = join(stateDir, '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, '*\n', { mode: 0o600, flag: 'wx' });
}

/**
 * Writes a state file atomically (write-file-atomic: a temp file, fsync,
 * rename), mode 0600, never through a symlink (write-file-atomic would write
 * to the link's target, so a symlink is refused first).
 *
 * @param path - the file.
 * @param content - its text.
 * @throws {SupervisorError} `ERR_STATE` when the path is a symlink.
 */
export function writePrivateFile(path: string, content: string): void {
  try {
    if (lstatSync(path).isSymbolicLink()) throw unsafe(path, 'a symlink');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  writeFileAtomic.sync(path, content, { mode: 0o600 });
}

/** Loop states, as supervisord names its process states, plus `done`. */
export const loopStates = [
  'starting',
  'running',
  'backoff',
  'stopping',
  'stopped',
  'fatal',
  'done',
] as const;

/** A loop's state: `starting` (its run is starting), `running`, `backoff` (waiting to start the next run), `stopping`, `stopped`, `fatal` (gave up), `done` (the global done condition held). */
export type LoopState = (typeof loopStates)[number];

/** The current version of `loop.json`. */
export const LOOP_STATE_VERSION = 1;

/** zod schema of `loops/<name>/loop.json`. */
export const loopStateSchema = z.looseObject({
  schemaVersion: z.literal(LOOP_STATE_VERSION),
  name: z.string(),
  state: z.enum(loopStates),
  /** The current or last run. */
  runId: z.string().optional(),
  /** Restart times within the give-up window, ISO 8601. */
  restarts: z.array(z.string()),
  /** The backoff exponent of the next restart. */
  backoffStep: z.number().int().nonnegative(),
  lastReason: z.enum(reasonCodes).optional(),
  lastMessage: z.string().optional(),
  /** When the next run starts (state `backoff`), ISO 8601. */
  nextStartAt: z.string().optional(),
  /** The supervisor process that wrote it. */
  supervisorPid: z.number().int().optional(),
  /** The loop's config digest when the run started. */
  digest: z.string().optional(),
  updatedAt: z.string(),
});

/** The content of `loop.json`. */
export type LoopStateFile = z.infer<typeof loopStateSchema>;

/**
 * Reads a loop's state file.
 *
 * @param path - `loops/<name>/loop.json`.
 * @returns the state, or `undefined` when there is none yet.
 * @throws {SupervisorError} `ERR_STATE` (exit 7) for a corrupt file or an unknown version, naming it; the file is kept.
 */
export function readLoopState(path: string): LoopStateFile | undefined {
  let text: string;
  try {
    if (lstatSync(path).isSymbolicLink()) throw unsafe(path, 'a symlink');
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw corrupt(path, 'is not JSON', error);
  }
  const parsed = loopStateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const version = (json as { schemaVersion?: unknown } | null)?.schemaVersion;
    throw corrupt(
      path,
      version !== LOOP_STATE_VERSION
        ? `has schema version ${JSON.stringify(version)}, not ${LOOP_STATE_VERSION}`
        : `is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      parsed.error,
    );
  }
  return parsed.data;
}

function corrupt(path: string, detail: string, cause: unknown): SupervisorError {
  return new SupervisorError('ERR_STATE', 'INVALID_STATE', `Loop state ${path} ${detail}.`, {
    cause,
    hint: `It is kept as it is; move it aside (mv ${path} ${path}.bad) to start the loop afresh.`,
    data: { path },
  });
}

/**
 * Writes a loop's state file (atomically, 0600).
 *
 * @param path - `loops/<name>/loop.json`.
 * @param state - the state without its version and time.
 */
export function writeLoopState(
  path: string,
  state: Omit<LoopStateFile, 'schemaVersion' | 'updatedAt'>,
): void {
  ensureParent(path);
  writePrivateFile(
    path,
    `${JSON.stringify({ schemaVersion: LOOP_STATE_VERSION, ...state, updatedAt: new Date().toISOString() }, null, 2)}\n`,
  );
}

function ensureParent(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
}
