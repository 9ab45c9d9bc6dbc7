import { hasMarker, mark } from '@runwarden/error-marker';

const name = 'StatePathError';
const marker = `runwarden.safe-fs.error.${name}`;

/**
 * What is wrong with a state path:
 * - `symlink`: a symlink where state belongs (never followed);
 * - `not-directory`: a file, FIFO, socket or device where a directory belongs;
 * - `not-regular-file`: a directory, FIFO, socket or device where a file belongs;
 * - `writable-by-others`: a directory that another user may write, and that is not ours to fix;
 * - `too-large`: a file larger than the caller's bound;
 * - `io`: the file system refused (`EACCES`, `EROFS`, `ENOSPC`, `ENAMETOOLONG`, …; see `errno`).
 */
export type StatePathProblem =
  | 'symlink'
  | 'not-directory'
  | 'not-regular-file'
  | 'writable-by-others'
  | 'too-large'
  | 'io';

/**
 * A state path that cannot be used safely. Internal: each package catches it
 * ({@link StatePathError.isInstance}) and throws its own typed error naming
 * the path and the way out.
 */
export class StatePathError extends Error {
  override readonly name = name;
  /** What is wrong; see {@link StatePathProblem}. */
  readonly problem: StatePathProblem;
  /** The path concerned (a component of the one asked for, when that is where the problem is). */
  readonly path: string;
  /** The errno code behind an `io` problem (`EACCES`, …), or `ELOOP`/`ENXIO`/`EISDIR` behind the others. */
  readonly errno: string | undefined;

  /**
   * @param problem - what is wrong.
   * @param path - the path concerned.
   * @param message - one line for people, naming the path.
   * @param options - `cause` (kept) and `errno`.
   */
  constructor(
    problem: StatePathProblem,
    path: string,
    message: string,
    options: { cause?: unknown; errno?: string } = {},
  ) {
    super(message, { cause: options.cause });
    mark(this, marker); // used in isInstance
    this.problem = problem;
    this.path = path;
    this.errno = options.errno;
  }

  /**
   * True when `error` is a `StatePathError` from any bundled copy of this module.
   *
   * @param error - anything caught.
   * @returns whether it is a {@link StatePathError}.
   */
  static isInstance(error: unknown): error is StatePathError {
    return hasMarker(error, marker);
  }
}

/**
 * The errno code of a `node:fs` error, or `undefined`.
 *
 * @param error - anything caught.
 * @returns e.g. `ENOENT`.
 */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
