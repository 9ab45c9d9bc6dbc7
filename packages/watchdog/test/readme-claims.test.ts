import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { AGENT_QUOTA_PATTERN, WATCHDOG_DEFAULTS } from '../src/index.js';

it('runs the README’s action-claims example as it is written', () => {
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Action claims'));
  const example = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  expect(example).toBeDefined();
  const dist = pathToFileURL(join(import.meta.dirname, '..', 'dist', 'index.js')).href;
  const cwd = mkdtempSync(join(tmpdir(), 'watchdog-readme-'));
  try {
    const file = join(cwd, 'example.mjs');
    writeFileSync(file, example!.replace("'@runwarden/watchdog'", `'${dist}'`));
    const out = execFileSync(process.execPath, [file], { cwd, encoding: 'utf8' });
    expect(out).toBe('push\nquestion\nheard restart: Restarting the server now.\n');
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

it('names every export of index.ts in the README, and none of index.ts is also internal', () => {
  const source = (file: string) =>
    readFileSync(join(import.meta.dirname, '..', 'src', file), 'utf8');
  const exportsOf = (text: string) =>
    [...text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)].flatMap((match) =>
      match[1]!
        .split(',')
        .map((name) => name.replace(/^\s*type\s+/, '').trim())
        .filter(Boolean),
    );
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const publicNames = exportsOf(source('index.ts'));
  expect(publicNames.filter((name) => !new RegExp(`\\b${name}\\b`).test(readme))).toEqual([]);
  const internalNames = new Set(exportsOf(source('internal.ts')));
  expect(publicNames.filter((name) => internalNames.has(name))).toEqual([]);
});

it('states every entry of WATCHDOG_DEFAULTS in the README with the value the code uses', () => {
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const rows = new Map(
    [...readme.matchAll(/^\| `([\w.]+)` +\| `([^`]+)` +\|/gm)].map((match) => [
      match[1]!,
      match[2]!,
    ]),
  );
  const entries: [string, string][] = [];
  const walk = (value: object, prefix: string) => {
    for (const [key, inner] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (inner instanceof RegExp)
        entries.push([path, inner === AGENT_QUOTA_PATTERN ? 'AGENT_QUOTA_PATTERN' : String(inner)]);
      else if (inner && typeof inner === 'object' && !Array.isArray(inner)) walk(inner, path);
      else entries.push([path, JSON.stringify(inner)]);
    }
  };
  walk(WATCHDOG_DEFAULTS, '');
  expect(entries.length).toBeGreaterThan(25);
  expect(entries.filter(([path, value]) => rows.get(path) !== value)).toEqual([]);
});
