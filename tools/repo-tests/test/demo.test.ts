/**
 * The README's first command (`pnpm demo`) after its build: the demo script
 * runs the built CLI as installed, and the supervised agent completes.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, expect, it } from 'vitest';
import { repoRoot } from './helpers.js';

afterEach(() => rmSync(join(repoRoot, '.runtime', 'demo'), { recursive: true, force: true }));

it('runs the demo: the agent hangs, is caught, resumed, completes, and leaves evidence', async () => {
  const demo = await execa(process.execPath, [join(repoRoot, 'tools', 'demo', 'demo.mjs')], {
    cwd: repoRoot,
    env: { CI: '1' },
    reject: false,
  });
  expect(demo.exitCode, demo.stderr).toBe(0);
  expect(demo.stderr).toContain('IDLE_TIMEOUT');
  expect(demo.stderr).toContain('OK (exit 0): Completed (done-file) after 2 attempt(s).');
  expect(demo.stderr).toMatch(/evidence: .*evidence\/SHA256SUMS \(h1:/);
});
