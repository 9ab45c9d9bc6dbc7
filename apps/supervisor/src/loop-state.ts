import { reasonCodes } from '@runwarden/watchdog';
import { z } from 'zod';
import { SupervisorError } from './errors.js';
import { readStateFile, writePrivateFile } from './state-files.js';

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

function corrupt(path: string, detail: string, cause: unknown): SupervisorError {
  return new SupervisorError({
    code: 'ERR_STATE',
    reason: 'INVALID_STATE',
    message: `Loop state ${path} ${detail}.`,
    cause,
    hint: `It is kept as it is; move it aside (mv ${path} ${path}.bad) to start the loop afresh.`,
    data: { path },
  });
}

/**
 * Reads a loop's state file, by the safe-fs rule (never blocking on a FIFO,
 * never through a symlink, at most `stateFileMaxBytes`).
 *
 * @param path - `loops/<name>/loop.json`.
 * @returns the state, or `undefined` when there is none yet.
 * @throws {SupervisorError} `ERR_STATE` (exit 7) for a corrupt or unsafe file or an unknown version, naming it; the file is kept.
 */
export function readLoopState(path: string): LoopStateFile | undefined {
  const text = readStateFile(path);
  if (text === undefined) return undefined;
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

/**
 * Writes a loop's state file (atomically, 0600, never through a symlink).
 *
 * @param path - `loops/<name>/loop.json`, in a directory made by `ensurePrivateDir`.
 * @param state - the state without its version and time.
 * @throws {SupervisorError} `ERR_STATE` when the path is a symlink or not a regular file.
 */
export function writeLoopState(
  path: string,
  state: Omit<LoopStateFile, 'schemaVersion' | 'updatedAt'>,
): void {
  writePrivateFile(
    path,
    `${JSON.stringify({ schemaVersion: LOOP_STATE_VERSION, ...state, updatedAt: new Date().toISOString() }, null, 2)}\n`,
  );
}
