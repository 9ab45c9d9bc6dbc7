import { join } from 'node:path';
import { Children, type LineReader, spawnLineReader } from '@runwarden/test-utils';

export { until } from '@runwarden/test-utils';

export const fixtures = join(import.meta.dirname, 'fixtures');

/** Every child a test starts, so afterEach can end exactly those. */
export const children = new Children();

/** Ends the children this file started (SIGCONT first, so a stopped one can die). */
export const endChildren = (): Promise<void> => children.endAll();

/** A child whose stdout is read line by line. */
export type Talking = LineReader;

/**
 * Spawns `node <fixture> ...args` and reads its lines.
 *
 * @param fixture - a file in test/fixtures.
 * @param args - its arguments.
 * @param env - extra environment.
 * @param command - a command to run node under (e.g. `setpriv …`).
 */
export function spawnFixture(
  fixture: string,
  args: string[],
  env: Record<string, string> = {},
  command: string[] = [],
): Talking {
  const [program, ...prefix] =
    command.length > 0 ? [...command, process.execPath] : [process.execPath];
  const talking = spawnLineReader(program!, [...prefix, join(fixtures, fixture), ...args], {
    env: { ...process.env, ...env },
  });
  children.push(talking.child);
  return talking;
}
