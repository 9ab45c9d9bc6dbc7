/**
 * turbo never replays a test result from another Node.js version: the test
 * tasks hash RUNWARDEN_TEST_NODE_VERSION, which the root scripts set to the
 * running version (turbo does not hash the runtime: vercel/turborepo#4124).
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers.js';

/** The environment without the variables of a turbo run this test may be part of. */
const cleanEnv = () =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('TURBO_') && name !== 'RUNWARDEN_TEST_NODE_VERSION',
    ),
  );

/** The hash of one package's task in a turbo dry run's JSON (anything printed before it is skipped). */
function taskHash(output: string, task: string): string {
  const json = JSON.parse(output.slice(output.indexOf('{')));
  const found = json.tasks.find(
    (entry: { task: string; package: string }) =>
      entry.task === task && entry.package === '@runwarden/process-identity',
  );
  return found.hash as string;
}

const dryRun = async (args: string[], env: Record<string, string | undefined>) =>
  (
    await execa(
      'pnpm',
      ['--silent', ...args, '--dry=json', '--filter=@runwarden/process-identity'],
      { cwd: repoRoot, env, extendEnv: false },
    )
  ).stdout;

describe('the test tasks’ hash', () => {
  it.each([['test'], ['test:fast']])(
    'of %s differs between Node.js versions, and the root script sets this one',
    async (task) => {
      const turbo = (version: string) =>
        dryRun(['exec', 'turbo', 'run', task], {
          ...cleanEnv(),
          RUNWARDEN_TEST_NODE_VERSION: version,
        });
      const on20 = taskHash(await turbo('v20.19.0'), task);
      const on24 = taskHash(await turbo('v24.0.0'), task);
      expect(on20).not.toBe(on24);
      // `pnpm test` (the root script) hashes the Node.js that runs it.
      const viaScript = taskHash(await dryRun(['run', task], cleanEnv()), task);
      expect(viaScript).toBe(taskHash(await turbo(process.version), task));
    },
  );
});
