/**
 * Every published package, packed, installed together with npm into an
 * empty project: each imports, the `runwarden` bin runs, and a consumer's
 * `tsc --strict` (without `skipLibCheck`) accepts every package's types.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { npmInstall, publishedPackages, scratchProject, strictTsc, typesNode } from './helpers.js';

const packages = publishedPackages();
const libraries = packages.filter((found) => Object.keys(found.bin).length === 0);
const commands = packages.filter((found) => Object.keys(found.bin).length > 0);
let project: string;

beforeAll(async () => {
  project = scratchProject('together');
  await npmInstall(project, [...Object.values(inject('tarballs')), typesNode]);
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('all published packages installed together with npm', () => {
  it.each(libraries.map((found) => [found.name]))('%s imports', async (name) => {
    const imported = await execa(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(name)}); console.log(Object.keys(m).length);`,
      ],
      { cwd: project },
    );
    expect(Number(imported.stdout)).toBeGreaterThan(0);
  });

  it.each(commands.flatMap((found) => Object.keys(found.bin).map((bin) => [bin, found.version])))(
    'the %s command runs from node_modules/.bin',
    async (bin, version) => {
      const printed = await execa(join(project, 'node_modules', '.bin', bin), ['--version'], {
        cwd: project,
      });
      expect(printed.stdout).toBe(version);
    },
  );

  it('passes a consumer’s tsc --strict over every package’s types', async () => {
    writeFileSync(
      join(project, 'consumer.ts'),
      `${libraries.map((found, index) => `import * as package${index} from '${found.name}';`).join('\n')}\nconsole.log(${libraries.map((_, index) => `package${index}`).join(', ')});\n`,
    );
    const checked = await strictTsc(project, ['consumer.ts']);
    expect(checked.output).toBe('');
    expect(checked.exitCode).toBe(0);
  });
});
