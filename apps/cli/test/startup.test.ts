import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runwarden-startup-'));
  // Preloaded with --import: writes the built-in modules the process loaded when it exits.
  writeFileSync(
    join(dir, 'record.mjs'),
    `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(join(dir, 'loaded.txt'))}, process.moduleLoadList.join('\\n')));\n`,
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The built-in modules (`child_process`, `internal/…`) a `runwarden <args>`
 * loaded, started from its code cache: the first start of a command writes
 * the cache after the command ran (write-file-atomic, which loads more), so
 * the start recorded is the second.
 */
async function builtinsLoadedBy(args: string[]): Promise<string[]> {
  const env = { CI: '1', XDG_CACHE_HOME: join(dir, 'cache') };
  expect((await execa(process.execPath, [cli, ...args], { cwd: dir, env })).exitCode).toBe(0);
  const result = await execa(
    process.execPath,
    ['--import', join(dir, 'record.mjs'), cli, ...args],
    { cwd: dir, env, reject: false },
  );
  expect(result.exitCode, result.stderr).toBe(0);
  return readFileSync(join(dir, 'loaded.txt'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('NativeModule '))
    .map((line) => line.slice('NativeModule '.length));
}

describe('what a start loads', () => {
  it("--help and status load neither node:child_process (commander's, lazy at build) nor node:crypto (lock-core's)", async () => {
    const stateDir = join(dir, 'state');
    expect(
      (await execa(process.execPath, [cli, 'run', '--state-dir', stateDir, '--', 'true'])).exitCode,
    ).toBe(0);
    for (const args of [['--help'], ['status', '--state-dir', stateDir]]) {
      const loaded = await builtinsLoadedBy(args);
      expect(loaded).toContain('fs'); // the recorder saw the process's modules
      expect(loaded, args.join(' ')).not.toContain('child_process');
      expect(loaded, args.join(' ')).not.toContain('crypto');
    }
  });

  it('run loads neither node:http nor node:https without a service to probe over HTTP', async () => {
    const loaded = await builtinsLoadedBy(['run', '--state-dir', join(dir, 'state'), '--', 'true']);
    expect(loaded).toContain('child_process');
    expect(loaded).not.toContain('http');
    expect(loaded).not.toContain('https');
  });
});
