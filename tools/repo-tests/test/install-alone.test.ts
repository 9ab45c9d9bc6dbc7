/**
 * Each leaf package (no other runwarden package among its dependencies,
 * and the bundled CLI) installed alone, from its tarball, into an empty npm
 * project: it imports (or its command runs) and passes a strict `tsc`.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { leafPackages, npmInstall, scratchProject, strictTsc, typesNode } from './helpers.js';

describe('each leaf package installed alone with npm', () => {
  it.each(leafPackages().map((found) => [found.name, found]))('%s', async (name, found) => {
    const project = scratchProject('alone');
    try {
      await npmInstall(project, [inject('tarballs')[name]!, typesNode]);
      const bins = Object.keys(found.bin);
      if (bins.length > 0) {
        for (const bin of bins) {
          const printed = await execa(join(project, 'node_modules', '.bin', bin), ['--help']);
          expect(printed.stdout).toContain('Usage:');
        }
        return;
      }
      writeFileSync(
        join(project, 'consumer.ts'),
        `import * as imported from '${name}';\nconsole.log(Object.keys(imported).length);\n`,
      );
      const checked = await strictTsc(project, ['consumer.ts'], { emit: true });
      expect(checked.output).toBe('');
      const ran = await execa(process.execPath, ['consumer.js'], { cwd: project });
      expect(Number(ran.stdout)).toBeGreaterThan(0);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
