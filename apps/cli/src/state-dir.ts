import { existsSync, lstatSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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

/**
 * Creates the state directory with mode 0700 when missing and refuses one that
 * is a symlink or not a directory (state is never followed through a symlink).
 *
 * @throws {CliError} `INVALID_STATE` for a symlink or a file in its place.
 */
export function ensureStateDir(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(stateDir);
  if (!stat.isDirectory()) {
    throw new CliError(
      'INVALID_STATE',
      `State directory ${stateDir} is ${stat.isSymbolicLink() ? 'a symlink' : 'not a directory'}; runwarden never follows a symlink into state.`,
      'Point --state-dir at a real directory.',
    );
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
