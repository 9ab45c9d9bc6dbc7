import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';

it('runs the README example as it is written', () => {
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const example = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  const dist = pathToFileURL(join(import.meta.dirname, '..', 'dist', 'index.js')).href;
  const cwd = mkdtempSync(join(tmpdir(), 'lock-core-readme-'));
  try {
    const file = join(cwd, 'example.mjs');
    writeFileSync(file, example!.replace("'@runwarden/lock-core'", `'${dist}'`));
    const out = execFileSync(process.execPath, [file], { cwd, encoding: 'utf8' }).split('\n');
    expect(out[0]).toBe('1');
    expect(out[1]).toMatch(
      /^Held by pid \d+ on .+, run nightly-42, which is alive \(last heartbeat \d+\.\d s ago\)\.$/,
    );
    expect(out[2]).toBe("{ released: true, reason: 'released' }");
    expect(out[3]).toBe('token 2');
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
