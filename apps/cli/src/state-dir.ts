import { closeSync, existsSync, readdirSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ensurePrivateDirectory, openAppendFile, StatePathError } from '@runwarden/safe-fs';
import { CliError } from './errors.js';

/** The repository root: the nearest directory upwards holding `.git`, else `cwd`. */
export function findRepoRoot(cwd: string = process.cwd()): string {
  let current = resolve(cwd);
  for (;;) {
    if (existsSync(join(current, '.git'))) return current;
    const parent = dirname(current);
    if (parent === current) return resolve(cwd);
    current = parent;
  }
}

/**
 * The state directory: `--state-dir`, else `RUNWARDEN_STATE_DIR`, else
 * `<repo root>/.runtime`.
 */
export function resolveStateDir(flag: string | undefined, cwd: string = process.cwd()): string {
  if (flag) return resolve(cwd, flag);
  if (process.env.RUNWARDEN_STATE_DIR) return resolve(cwd, process.env.RUNWARDEN_STATE_DIR);
  return join(findRepoRoot(cwd), '.runtime');
}

/** What the state directory's own `.gitignore` holds (Python's venv and pytest's cache do the same). */
export const STATE_GITIGNORE = '# Created by runwarden: its state never lands in git.\n*\n';

/** Names runwarden keeps in a state directory; a directory holding only these is runwarden's. */
const STATE_NAMES = /^(RUN\.lock.*|runs|coordination|targets|loops|supervisor|\.gitignore)$/;

/** Maps the state-directory rule's refusal to exit 7 with the way out. */
function stateDirFailure(error: unknown): unknown {
  if (!StatePathError.isInstance(error)) return error;
  const hint =
    error.problem === 'io'
      ? 'Point --state-dir (or RUNWARDEN_STATE_DIR) at a directory this user may write.'
      : error.problem === 'writable-by-others'
        ? `Use a state directory only this user may write (chmod 0700 ${error.path}), or point --state-dir elsewhere.`
        : 'Point --state-dir at a real directory (runwarden never follows a symlink into state).';
  return new CliError({
    reason: 'INVALID_STATE',
    message: `State directory: ${error.message}`,
    hint: hint,
    data: {
      path: error.path,
    },
  });
}

/**
 * Makes sure `path` is a private directory inside the state directory:
 * every component from `stateDir` down is created one at a time with mode
 * 0700 and checked (never a symlink, always a directory, written by no one
 * else), the one rule of `@runwarden/safe-fs`.
 *
 * @param stateDir - the state directory (already ensured).
 * @param path - a directory inside it.
 * @throws {CliError} `INVALID_STATE` (exit 7) naming the component at fault.
 */
export function ensureStateSubdirectory(stateDir: string, path: string): void {
  try {
    ensurePrivateDirectory(path, { root: stateDir });
  } catch (error) {
    throw stateDirFailure(error);
  }
}

/**
 * Creates the state directory (mode 0700) and its `runs/` when missing, one
 * component at a time, and refuses one that is a symlink, not a directory,
 * or another user's; one of ours that others may write (0777) is set to
 * 0700. It gets its own `.gitignore` holding `*` when runwarden creates it,
 * or when it holds nothing but runwarden's state (so `.runtime/` never lands
 * in git, and a directory of the user's is never hidden from it).
 *
 * @param stateDir - the state directory.
 * @throws {CliError} `INVALID_STATE` (exit 7) for a symlink, a file, another user's directory, or one that cannot be created.
 */
export function ensureStateDir(stateDir: string): void {
  let created: boolean;
  try {
    created = ensurePrivateDirectory(stateDir).created.length > 0;
    ensurePrivateDirectory(join(stateDir, 'runs'), { root: stateDir });
  } catch (error) {
    throw stateDirFailure(error);
  }
  const gitignore = join(stateDir, '.gitignore');
  if (existsSync(gitignore)) return;
  if (!created && !readdirSync(stateDir).every((name) => STATE_NAMES.test(name))) return;
  try {
    const fd = openAppendFile(gitignore);
    try {
      writeSync(fd, STATE_GITIGNORE);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Best effort: the state itself does not depend on it.
  }
}

/** Paths inside a state directory (DESIGN.md, "Embedded default"). */
export function statePaths(stateDir: string) {
  return {
    lock: join(stateDir, 'RUN.lock'),
    runs: join(stateDir, 'runs'),
    runDir: (runId: string) => join(stateDir, 'runs', runId),
    coordination: join(stateDir, 'coordination'),
  };
}
