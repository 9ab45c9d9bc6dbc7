import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let minorGc: (() => void) | null | undefined;

/**
 * A minor (young-generation) GC, through the `gc` function of a fresh context
 * (`--expose-gc` set at run time applies to new contexts only, so the host's
 * own global scope is unchanged); nothing when V8 refuses.
 */
export function collectYoungGarbage(): void {
  if (minorGc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
      minorGc = typeof gc === 'function' ? () => gc({ type: 'minor' }) : null;
    } catch {
      minorGc = null;
    }
  }
  minorGc?.();
}
