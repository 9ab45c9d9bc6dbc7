/**
 * CI runs the whole suite on the machine's Node.js and again on Node.js 24
 * (npm's `node@24`, first on PATH), each time through the README's test
 * command (`.ci/readme-test`). `RUNWARDEN_CI_DRY_RUN=1` makes `.ci/run` say
 * what it would run instead of running it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { repoRoot } from './helpers.js';

it('.ci/run runs the README’s test command on this Node.js, then on Node.js 24', async () => {
  // Without the dry run, .ci/run would run the whole suite from inside it.
  expect(readFileSync(join(repoRoot, '.ci', 'readme-test'), 'utf8')).toContain(
    'RUNWARDEN_CI_DRY_RUN',
  );
  const ci = await execa('bash', [join(repoRoot, '.ci', 'run')], {
    cwd: repoRoot,
    env: { RUNWARDEN_CI_DRY_RUN: '1' },
    all: true,
  });
  const passes = (ci.all ?? '').split('\n').filter((line) => line.startsWith('readme-test: '));
  const command = 'npx --yes pnpm@10 install && npx --yes pnpm@10 run check';
  expect(passes).toEqual([
    `readme-test: node ${process.version}: ${command}`,
    expect.stringMatching(
      new RegExp(
        `^readme-test: node v24\\.\\d+\\.\\d+: ${command.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
      ),
    ),
  ]);
});
