import { join } from 'node:path';
import { CoordinationError, parseTarget, targetFile } from '@runwarden/coordination-state';
import { CliError } from './errors.js';

/**
 * The run lock of a state directory: `<stateDir>/RUN.lock`, or with a target
 * that target's own, `<stateDir>/targets/<target file>/RUN.lock`, where the
 * target file is coordination-state's (`acme/widgets/pr-12`,
 * `other/queue%3Aitem-7`), so one repository runs one run per target at a
 * time and two targets side by side (`runwarden run`, `status`, `logs` and
 * `kill` all take `--target`).
 *
 * @param stateDir - the state directory.
 * @param target - the target key as given (normalised: `Acme/Widgets#12` is `acme/widgets#12`).
 * @returns the lock's path.
 * @throws {CliError} `USAGE` for a malformed target key.
 */
export function runLockPath(stateDir: string, target?: string): string {
  if (target === undefined) return join(stateDir, 'RUN.lock');
  try {
    const file = targetFile(parseTarget(target)).replace(/\.json$/, '');
    return join(stateDir, 'targets', ...file.split('/'), 'RUN.lock');
  } catch (error) {
    if (CoordinationError.isInstance(error))
      throw new CliError({ reason: 'USAGE', message: `--target: ${error.message}` });
    throw error;
  }
}

/**
 * The normalised key of a target (`Acme/Widgets#12` → `acme/widgets#12`).
 *
 * @param target - the key as given.
 * @returns the key as the stores and the journal name it.
 * @throws {CliError} `USAGE` for a malformed target key.
 */
export function normalizedTarget(target: string): string {
  try {
    return parseTarget(target).key;
  } catch (error) {
    if (CoordinationError.isInstance(error))
      throw new CliError({ reason: 'USAGE', message: `--target: ${error.message}` });
    throw error;
  }
}
