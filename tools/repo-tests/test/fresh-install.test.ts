/**
 * A fresh clone installs cleanly: `pnpm install` of the repository's files
 * (nothing built yet) links every workspace bin without a `WARN Failed to
 * create bin` (a bin that points into `dist/` before the build).
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, workspacePackages } from './helpers.js';

let clone: string;
let output = '';

beforeAll(async () => {
  clone = mkdtempSync(join(tmpdir(), 'runwarden-clone-'));
  // What a clone holds: the tracked files (as they are in the working tree) and new ones not ignored.
  const files = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: repoRoot,
      encoding: 'utf8',
    },
  )
    .split('\0')
    .filter((file) => file !== '' && existsSync(join(repoRoot, file)));
  for (const file of files) {
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    copyFileSync(join(repoRoot, file), join(clone, file));
  }
  // From pnpm's store (shared with the repository), without the registry when it can.
  const installed = await execa('pnpm', ['install', '--frozen-lockfile', '--prefer-offline'], {
    cwd: clone,
    all: true,
    env: { CI: '1', npm_config_update_notifier: 'false' },
  });
  output = installed.all ?? '';
});
afterAll(() => rmSync(clone, { recursive: true, force: true }));

describe('pnpm install on a fresh clone', () => {
  it('prints no warning about a bin it could not create', () => {
    expect(output).not.toMatch(/Failed to create bin/);
    expect(output.split('\n').filter((line) => /\bWARN\b/.test(line) && /bin/i.test(line))).toEqual(
      [],
    );
  });

  it('links each workspace bin to a file that is there before the build', () => {
    const bins = workspacePackages().flatMap((found) =>
      Object.entries(found.bin).map(([name, target]) => ({ name, target, found })),
    );
    expect(bins.length).toBeGreaterThan(0);
    for (const { target, found } of bins) {
      const inClone = join(clone, found.dir.slice(repoRoot.length), target);
      expect(existsSync(inClone), `${found.name}'s bin ${target}`).toBe(true);
      expect(inClone).not.toMatch(/\/dist\//);
    }
    // Where a workspace package depends on one with a bin, the link resolves.
    for (const found of workspacePackages()) {
      const dotBin = join(clone, found.dir.slice(repoRoot.length), 'node_modules', '.bin');
      if (!existsSync(dotBin)) continue;
      for (const name of readdirSync(dotBin)) {
        if (bins.some((bin) => bin.name === name))
          expect(() => realpathSync(join(dotBin, name)), `${dotBin}/${name}`).not.toThrow();
      }
    }
  });
});
