import { resolve } from 'node:path';
import { FileTail } from './file-tail.js';
import type { AdoptOptions } from './options.js';

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
