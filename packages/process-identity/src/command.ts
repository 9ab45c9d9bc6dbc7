import { ProcessIdentityError } from './errors.js';

/**
 * `node:child_process`, loaded when a command first runs (`ps` on macOS,
 * PowerShell on Windows), not when this package loads: on Linux nothing here
 * spawns, and a short-lived caller (`runwarden status`) is spared the
 * built-in and the `net`, `dgram` and stream modules it pulls in.
 */
const childProcess = () =>
  process.getBuiltinModule('node:child_process') as typeof import('node:child_process');

/**
 * A program to start with an argument array (never a shell command string):
 * the absolute path of the executable, its arguments, and the environment
 * variables to set on top of this process's environment.
 */
export interface CommandSpec {
  /** Absolute path of the executable, e.g. `/bin/ps`. */
  file: string;
  /** Arguments, one array entry each; nothing is parsed by a shell. */
  args: string[];
  /** Variables added to `process.env` for the child, e.g. `LC_ALL=C`. */
  env?: Record<string, string>;
}

const MAX_BUFFER_BYTES = 64 * 1024 * 1024;
const TIMEOUT_MS = 30_000;

function failure(spec: CommandSpec, error: unknown): ProcessIdentityError {
  return new ProcessIdentityError({
    code: 'ERR_PROCESS_TABLE',
    message: `${spec.file} failed: ${(error as Error).message.split('\n')[0]}`,
    cause: error,
    hint: 'The process table could not be read; nothing was signalled.',
  });
}

/**
 * Exit status of a command that ran and failed (ps exits 1 for an unknown pid).
 *
 * @param error - what `execFile` or `execFileSync` threw.
 * @returns the status, or `undefined` when the command did not run.
 */
export function exitStatusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown; code?: unknown }).status;
  if (typeof status === 'number') return status;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Runs `spec` synchronously and returns its stdout (UTF-8).
 *
 * @param spec - what to run.
 * @param options - `allowStatus`: exit statuses that still count as success
 *   (their stdout is returned), e.g. `[1]` for `ps -p` of a pid that is gone.
 * @returns stdout.
 * @throws {ProcessIdentityError} `ERR_PROCESS_TABLE` when it cannot start or fails.
 */
export function runCommandSync(
  spec: CommandSpec,
  options: { allowStatus?: number[] } = {},
): string {
  try {
    return childProcess().execFileSync(spec.file, spec.args, {
      encoding: 'utf8',
      env: { ...process.env, ...spec.env },
      maxBuffer: MAX_BUFFER_BYTES,
      timeout: TIMEOUT_MS,
      windowsHide: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const status = exitStatusOf(error);
    if (status !== undefined && options.allowStatus?.includes(status))
      return String((error as { stdout?: unknown }).stdout ?? '');
    throw failure(spec, error);
  }
}

/**
 * Runs `spec` without blocking the event loop and returns its stdout (UTF-8).
 *
 * @param spec - what to run.
 * @param options - see {@link runCommandSync}.
 * @returns stdout.
 * @throws {ProcessIdentityError} `ERR_PROCESS_TABLE` when it cannot start or fails.
 */
export function runCommand(
  spec: CommandSpec,
  options: { allowStatus?: number[] } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    childProcess().execFile(
      spec.file,
      spec.args,
      {
        encoding: 'utf8',
        env: { ...process.env, ...spec.env },
        maxBuffer: MAX_BUFFER_BYTES,
        timeout: TIMEOUT_MS,
        windowsHide: true,
      },
      (error, stdout) => {
        if (!error) return resolve(stdout);
        const status = exitStatusOf(error);
        if (status !== undefined && options.allowStatus?.includes(status)) return resolve(stdout);
        reject(failure(spec, error));
      },
    );
  });
}
