/**
 * Each published library's README examples (its ```js blocks), exactly as
 * written, in an empty npm project where every package is installed from
 * its tarball: `tsc --strict` (checkJs) accepts them, and they run and print
 * what their comments promise.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  findPostgresBinaries,
  type PostgresCluster,
  startPostgresCluster,
} from '../../../packages/coordination-state/test/postgres-cluster.js';
import { npmInstall, publishedPackages, scratchProject, strictTsc, typesNode } from './helpers.js';

const libraries = publishedPackages().filter((found) => Object.keys(found.bin).length === 0);
let project: string;
let cluster: PostgresCluster | undefined;
/** Each package's example files, and what tsc said about each file. */
const examples = new Map<string, string[]>();
let typecheck = '';

/** The ```js blocks of a README, as written. */
function examplesOf(readme: string): string[] {
  return [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

beforeAll(async () => {
  project = scratchProject('readme');
  await npmInstall(project, [...Object.values(inject('tarballs')), typesNode]);
  for (const found of libraries) {
    const dir = join(project, 'examples', found.name.replace(/\W/g, '-'));
    mkdirSync(dir, { recursive: true });
    const blocks = examplesOf(readFileSync(join(found.dir, 'README.md'), 'utf8'));
    examples.set(
      found.name,
      blocks.map((block, index) => {
        const file = join(dir, `example-${index + 1}.mjs`);
        writeFileSync(file, block);
        return file;
      }),
    );
  }
  // One tsc over every example (it reads @types/node once): a consumer's strict check of plain JS.
  typecheck = (await strictTsc(project, [...examples.values()].flat(), { javascript: true }))
    .output;
  // coordination-state's PostgresStore example reads RUNWARDEN_DATABASE_URL.
  if (!postgresSkip) cluster = await startPostgresCluster();
});
afterAll(async () => {
  await cluster?.stop();
  rmSync(project, { recursive: true, force: true });
});

/** What each example must print, line by line (a RegExp matches one whole line). */
const expected: Record<string, (RegExp | string)[][]> = {
  '@runwarden/coordination-state': [
    ['claimed_new 1', 'active_run_exists', 'owner_confirmed', 'released'],
    ['claimed_new'],
  ],
  '@runwarden/evidence-hasher': [
    [
      /^h1:[A-Za-z0-9+/]{43}=$/,
      /^check it: \(cd \/.+\/artifacts && sha256sum -c evidence\/SHA256SUMS\)$/,
      'true {',
    ],
    [/^19 [0-9a-f]{64}$/, 'ok'],
  ],
  '@runwarden/kill-tree': [['true true []', "[ 'sh', 'sleep' ]"]],
  '@runwarden/lock-core': [
    [
      '1',
      /^Held by pid \d+ on .+, run nightly-42, which is alive \(last heartbeat \d+\.\d s ago\)\.$/,
      "{ released: true, reason: 'released' }",
      'token 2',
    ],
  ],
  '@runwarden/process-identity': [
    [
      'run-42',
      "[ 'sleep', '5' ]",
      "{ status: 'alive', reason: 'identity-matches' }",
      "{ status: 'dead', reason: 'no-such-process' }",
    ],
  ],
  '@runwarden/watchdog': [['OK 0 1']],
};

// PostgresStore's example needs a server: skipped, and named so, only where none can be started.
const requirePostgres = process.env.RUNWARDEN_TEST_REQUIRE_POSTGRES === '1';
const postgresSkip =
  findPostgresBinaries() || requirePostgres
    ? ''
    : ' (its PostgreSQL example skipped: no PostgreSQL binaries)';

describe('README examples, as written, in an npm project', () => {
  it.each(
    libraries.map((found) => [
      `${found.name}${found.name === '@runwarden/coordination-state' ? postgresSkip : ''}`,
      found.name,
    ]),
  )('%s: pass tsc --strict and run as their comments say', async (_title, name) => {
    const files = examples.get(name) ?? [];
    expect(files.length, 'its README has an example').toBeGreaterThan(0);
    const dir = dirname(files[0]!);
    // tsc names files relative to its cwd: examples/<package>/example-N.mjs(line,col): error …
    const prefix = `${relative(project, dir)}/`;
    expect(
      typecheck
        .split('\n')
        .filter((line) => line.startsWith(prefix))
        .join('\n'),
    ).toBe('');
    for (const [index, file] of files.entries()) {
      if (!cluster && readFileSync(file, 'utf8').includes('new PostgresStore')) continue;
      const ran = await execa(process.execPath, [file], {
        cwd: dir,
        reject: false,
        all: true,
        timeout: 60_000,
        env: cluster ? { RUNWARDEN_DATABASE_URL: cluster.url } : {},
      });
      expect(ran.exitCode, ran.all).toBe(0);
      const lines = ran.stdout.split('\n');
      for (const [line, want] of (expected[name]?.[index] ?? []).entries()) {
        if (typeof want === 'string') expect(lines[line]).toBe(want);
        else expect(lines[line]).toMatch(want);
      }
    }
  });
});
