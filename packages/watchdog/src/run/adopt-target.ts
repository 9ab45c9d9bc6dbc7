/**
 * Adopting a process this watchdog did not start: its identity, checked
 * before anything starts, and the log files it writes, followed as its output.
 */
import { resolve } from 'node:path';
import { captureIdentity, type ProcessIdentity } from '@runwarden/process-identity';
import { WatchdogError } from '../errors.js';
import { FileTail } from '../file-tail.js';
import type { AdoptOptions } from '../options.js';

/**
 * The identity of the process to adopt (`adopt.pid`, and `adopt.startTicks`
 * when given).
 *
 * @param adopt - the adopt options; none means nothing to adopt.
 * @returns its identity, or `undefined` without `adopt`.
 * @throws {WatchdogError} `ERR_ADOPT_NOT_FOUND` when no live process has the pid, or another process has it now.
 */
export function resolveAdoptTarget(adopt: AdoptOptions | undefined): ProcessIdentity | undefined {
  if (!adopt) return undefined;
  const { pid, startTicks } = adopt;
  const identity = captureIdentity(pid);
  if (!identity || (startTicks !== undefined && identity.startTicks !== startTicks)) {
    throw new WatchdogError({
      code: 'ERR_ADOPT_NOT_FOUND',
      message: identity
        ? `pid ${pid} is another process now (start ticks ${identity.startTicks}, expected ${startTicks}); not adopting it.`
        : `No live process with pid ${pid} to adopt.`,
      option: 'adopt.pid',
    });
  }
  return identity;
}

/**
 * The files of an adopted process to follow: `adopt.outputFile` as stdout and
 * `adopt.stderrFile` as stderr, resolved against `cwd`, read from their
 * current end. A file that is one of the run's own followed logs (`output:
 * 'file'`, a supervisor adopting its own run) is left out: it is followed
 * already.
 *
 * @param adopt - the adopt options.
 * @param cwd - the run's working directory.
 * @param followed - absolute paths already followed. @default []
 * @returns one tail per file, stdout first.
 */
export function adoptedTails(
  adopt: AdoptOptions | undefined,
  cwd: string,
  followed: string[] = [],
): FileTail[] {
  const files = [
    { path: adopt?.outputFile, stream: 'stdout' as const },
    { path: adopt?.stderrFile, stream: 'stderr' as const },
  ];
  const tails: FileTail[] = [];
  for (const file of files) {
    if (file.path === undefined) continue;
    const path = resolve(cwd, file.path);
    if (followed.includes(path)) continue;
    tails.push(new FileTail(path, file.stream, { create: false }));
  }
  return tails;
}

/**
 * The adopted files, resolved, for the journal's `adopted` event.
 *
 * @param adopt - the adopt options.
 * @param cwd - the run's working directory.
 * @returns `outputFile` and `stderrFile`, absolute, when given.
 */
export function adoptedFiles(
  adopt: AdoptOptions | undefined,
  cwd: string,
): { outputFile?: string; stderrFile?: string } {
  return {
    ...(adopt?.outputFile !== undefined ? { outputFile: resolve(cwd, adopt.outputFile) } : {}),
    ...(adopt?.stderrFile !== undefined ? { stderrFile: resolve(cwd, adopt.stderrFile) } : {}),
  };
}
