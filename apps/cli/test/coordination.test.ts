/**
 * The coordination commands with real processes: claim, release, owner,
 * signal, targets and db migrate on the file store and on a real PostgreSQL,
 * and `runwarden run --target`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { POSTGRES_SCHEMA_VERSION } from '@runwarden/coordination-state';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  findPostgresBinaries,
  type PostgresCluster,
  startPostgresCluster,
} from '../../../packages/coordination-state/test/postgres-cluster.js';
import { cli, runwarden as run } from './helpers.js';

let dir: string;
let stateDir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runwarden-coordination-'));
  stateDir = join(dir, 'state');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const runwarden = (args: string[], env: Record<string, string> = {}) =>
  run(args, { cwd: dir, env });
const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;

describe('runwarden claim, release, owner, signal, targets (file store)', () => {
  it('claims with a generated run id printed on stdout, and refuses a second run with exit 5', async () => {
    const first = await runwarden(['claim', 'Acme/Widgets#12', '--state-dir', stateDir]);
    expect(first.exitCode).toBe(0);
    const runId = first.stdout.trim();
    expect(runId).toMatch(/^\d{8}-\d{6}-\d{3}-[0-9a-f]{6}$/);
    expect(first.stderr).toContain(
      `claimed acme/widgets#12 for run ${runId} (claimed_new, fencing token 1, lease 5m)`,
    );
    const second = await runwarden([
      'claim',
      'acme/widgets#12',
      '--run-id',
      'other',
      '--state-dir',
      stateDir,
    ]);
    expect(second.exitCode).toBe(5);
    expect(second.stdout).toBe('');
    expect(second.stderr.split('\n')[0]).toBe(
      `runwarden: LOCK_HELD: Target acme/widgets#12 is already owned by run ${runId}. Claim failed closed.`,
    );
    const conflict = await runwarden([
      'claim',
      'acme/widgets#12',
      '--run-id',
      'other',
      '--state-dir',
      stateDir,
      '--json',
    ]);
    expect(conflict.exitCode).toBe(5);
    expect(json(conflict.stdout)).toMatchObject({
      ok: false,
      reason: 'LOCK_HELD',
      exitCode: 5,
      status: 'active_run_exists',
      error: 'active_run_exists',
      target: 'acme/widgets#12',
      runId: 'other',
      activeRun: { runId, fencingToken: 1 },
    });
  });

  it('takes over, asserts with fencing tokens, records a signal, releases, and lists', async () => {
    const base = ['--state-dir', stateDir];
    await runwarden(['claim', 'queue:item-7', '--run-id', 'run-a', ...base]);
    const takeover = await runwarden([
      'claim',
      'queue:item-7',
      '--run-id',
      'run-b',
      '--takeover',
      '--lease',
      '90s',
      '--json',
      ...base,
    ]);
    expect(json(takeover.stdout)).toMatchObject({
      ok: true,
      reason: 'OK',
      exitCode: 0,
      status: 'taken_over',
      fencingToken: 2,
      activeRun: { runId: 'run-b', leaseMs: 90_000 },
      previousRun: { runId: 'run-a', replacedByRunId: 'run-b' },
    });
    const lost = await runwarden(['owner', 'queue:item-7', '--run-id', 'run-a', ...base]);
    expect(lost.exitCode).toBe(5);
    expect(lost.stderr.split('\n')[0]).toBe(
      'runwarden: LOCK_HELD: Target queue:item-7 is now owned by run run-b; run run-a must stop.',
    );
    expect(
      (
        await runwarden(['owner', 'queue:item-7', '--fencing-token', '2', ...base], {
          RUNWARDEN_RUN_ID: 'run-b',
        })
      ).exitCode,
    ).toBe(0);
    expect(
      (
        await runwarden([
          'owner',
          'queue:item-7',
          '--run-id',
          'run-b',
          '--fencing-token',
          '1',
          ...base,
        ])
      ).exitCode,
    ).toBe(5);
    const missingReason = await runwarden(['signal', 'queue:item-7', '--run-id', 'run-b', ...base]);
    expect(missingReason).toMatchObject({
      exitCode: 64,
      stderr: 'runwarden: signal needs --reason TEXT',
    });
    expect(
      (
        await runwarden([
          'signal',
          'queue:item-7',
          '--run-id',
          'run-b',
          '--reason',
          'tests red',
          ...base,
        ])
      ).exitCode,
    ).toBe(0);
    // run-a was taken over: it owns nothing to release (release_noop, exit 0), and run-b keeps it.
    const noop = await runwarden(['release', 'queue:item-7', '--run-id', 'run-a', ...base]);
    expect(noop).toMatchObject({ exitCode: 0, stdout: '' });
    expect(noop.stderr).toMatch(
      /^runwarden ▸ run run-a no longer owns queue:item-7 \(run run-b, .*\): nothing to release$/m,
    );
    expect(
      json(
        (await runwarden(['release', 'queue:item-7', '--run-id', 'run-a', '--json', ...base]))
          .stdout,
      ),
    ).toMatchObject({
      ok: true,
      exitCode: 0,
      status: 'release_noop',
      activeRun: { runId: 'run-b' },
      noopBecause: 'Cannot release queue:item-7: active owner is run-b, not run-a.',
    });
    const noRunId = await runwarden(['release', 'queue:item-7', ...base]);
    expect(noRunId).toMatchObject({
      exitCode: 64,
      stderr: 'runwarden: release needs --run-id ID (or $RUNWARDEN_RUN_ID)',
    });
    expect(
      (await runwarden(['release', 'queue:item-7', '--run-id', 'run-b', ...base])).exitCode,
    ).toBe(0);
    const targets = await runwarden(['targets', '--json', ...base]);
    expect(json(targets.stdout)).toMatchObject({
      ok: true,
      store: 'file',
      targets: [
        {
          target: 'queue:item-7',
          activeRun: null,
          lastFencingToken: 2,
          lastExitSignal: { runId: 'run-b', reason: 'tests red' },
        },
      ],
    });
    const human = await runwarden(['targets', ...base]);
    expect(human.stdout).toBe('queue:item-7\tfree (last exit: tests red)');
  });

  it('reads and writes an existing dev-loops directory with --coordination-dir', async () => {
    const devLoops = join(dir, '.pi', 'runner-coordination');
    const file = join(devLoops, 'acme', 'widgets', 'pr-3.json');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(
      file,
      JSON.stringify({
        schemaVersion: 2,
        target: { repo: 'acme/widgets', pr: 3 },
        activeRun: { runId: 'devloops-run', claimedAt: null, updatedAt: null },
        previousRun: null,
        history: [],
        exitSignals: [],
      }),
    );
    const refused = await runwarden(['claim', 'acme/widgets#3', '--coordination-dir', devLoops]);
    expect(refused.exitCode).toBe(5);
    expect(
      (
        await runwarden([
          'release',
          'acme/widgets#3',
          '--run-id',
          'devloops-run',
          '--coordination-dir',
          devLoops,
        ])
      ).exitCode,
    ).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      schemaVersion: 2,
      activeRun: null,
      history: [{ type: 'release', runId: 'devloops-run' }],
    });
  });

  it('exits 7 naming a corrupt file and leaves it, and 64 on bad flags', async () => {
    const file = join(stateDir, 'coordination', 'other', 'queue%3Abroken.json');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '{"schemaVersion": 2,');
    const corrupt = await runwarden(['claim', 'queue:broken', '--state-dir', stateDir, '--json']);
    expect(corrupt.exitCode).toBe(7);
    expect(json(corrupt.stdout)).toMatchObject({
      ok: false,
      reason: 'INVALID_STATE',
      exitCode: 7,
      code: 'ERR_INVALID_STATE',
      path: file,
      message: `Coordination state ${file} is unusable: it is not valid JSON (truncated or corrupt). It was left exactly as it was.`,
    });
    expect(readFileSync(file, 'utf8')).toBe('{"schemaVersion": 2,');
    expect(await runwarden(['claim', 'queue:x', '--store', 'redis'])).toMatchObject({
      exitCode: 64,
      stderr:
        "runwarden: option '--store <kind>' argument 'redis' is invalid. Allowed choices are file, postgres.",
    });
    expect(await runwarden(['claim', 'queue:x', '--store', 'postgres'])).toMatchObject({
      exitCode: 64,
      stderr: 'runwarden: --store postgres needs --database-url URL or $RUNWARDEN_DATABASE_URL',
    });
    expect(
      await runwarden(['claim', 'queue:x', '--lease', '0', '--state-dir', stateDir]),
    ).toMatchObject({
      exitCode: 64,
      stderr:
        'runwarden: Invalid lease 0: use a positive whole number of milliseconds up to 30 days.',
    });
  });
});

describe('runwarden run --target', () => {
  it('owns the target while the command runs and releases it at the end', async () => {
    // The command itself asserts ownership with the run id runwarden gives it.
    const run = await runwarden([
      'run',
      '--target',
      'acme/widgets#21',
      '--state-dir',
      stateDir,
      '--max-resumes',
      '0',
      '--json',
      '--',
      process.execPath,
      cli,
      'owner',
      'acme/widgets#21',
      '--require',
      '--state-dir',
      stateDir,
    ]);
    expect(run.exitCode).toBe(0);
    const runId = json(run.stdout).runId as string;
    const record = JSON.parse(
      readFileSync(join(stateDir, 'coordination', 'acme', 'widgets', 'pr-21.json'), 'utf8'),
    );
    expect(record.activeRun).toBeNull();
    expect(
      record.history.map((entry: { type: string; runId: string }) => [entry.type, entry.runId]),
    ).toEqual([
      ['claim', runId],
      ['release', runId],
    ]);
    expect(record.exitSignals).toEqual([]);
  });

  it('records an exit signal when the command fails, and refuses a target another run owns', async () => {
    const failed = await runwarden([
      'run',
      '--target',
      'queue:job-1',
      '--state-dir',
      stateDir,
      '--max-resumes',
      '0',
      '--json',
      '--',
      'false',
    ]);
    expect(failed.exitCode).toBe(1);
    const runId = json(failed.stdout).runId as string;
    const file = join(stateDir, 'coordination', 'other', 'queue%3Ajob-1.json');
    const record = JSON.parse(readFileSync(file, 'utf8'));
    expect(record.activeRun).toBeNull();
    expect(record.exitSignals).toEqual([
      { runId, at: expect.any(String), reason: expect.stringMatching(/^CHILD_FAILED: /) },
    ]);
    await runwarden(['claim', 'queue:job-1', '--run-id', 'someone', '--state-dir', stateDir]);
    const refused = await runwarden([
      'run',
      '--target',
      'queue:job-1',
      '--state-dir',
      stateDir,
      '--',
      'true',
    ]);
    expect(refused.exitCode).toBe(5);
    expect(refused.stderr).toContain(
      'runwarden: LOCK_HELD: Target queue:job-1 is already owned by run someone. Claim failed closed.',
    );
  });
});

const binaries = findPostgresBinaries();
const givenUrl = process.env.RUNWARDEN_TEST_DATABASE_URL;
const skipPostgres = !binaries && !givenUrl;
if (skipPostgres && process.env.RUNWARDEN_TEST_REQUIRE_POSTGRES === '1') {
  throw new Error(
    'RUNWARDEN_TEST_REQUIRE_POSTGRES=1 but no PostgreSQL binaries and no RUNWARDEN_TEST_DATABASE_URL',
  );
}

describe.skipIf(skipPostgres)(
  `runwarden with --store postgres${skipPostgres ? ' (skipped: no PostgreSQL binaries found; set RUNWARDEN_TEST_DATABASE_URL)' : ''}`,
  () => {
    let cluster: PostgresCluster | undefined;
    let url: string;
    beforeAll(async () => {
      if (givenUrl) url = givenUrl;
      else {
        cluster = await startPostgresCluster();
        url = cluster.url;
      }
    });
    afterAll(async () => {
      await cluster?.stop();
    });

    it('migrates, then claims and lists through the database, with the URL from the environment', async () => {
      const migrate = await runwarden(['db', 'migrate', '--database-url', url, '--json']);
      expect(json(migrate.stdout)).toMatchObject({
        ok: true,
        schema: 'runwarden',
        version: POSTGRES_SCHEMA_VERSION,
      });
      const again = await runwarden(['db', 'migrate'], { RUNWARDEN_DATABASE_URL: url });
      expect(again.stderr).toContain(
        `schema runwarden is up to date (version ${POSTGRES_SCHEMA_VERSION})`,
      );
      const claim = await runwarden(
        ['claim', 'acme/widgets#5', '--run-id', 'pg-run', '--store', 'postgres'],
        {
          RUNWARDEN_DATABASE_URL: url,
        },
      );
      expect(claim.exitCode).toBe(0);
      const conflict = await runwarden(['claim', 'acme/widgets#5', '--database-url', url]);
      expect(conflict.exitCode).toBe(5);
      const targets = await runwarden(['targets', '--database-url', url, '--json']);
      expect(json(targets.stdout)).toMatchObject({
        store: 'postgres',
        targets: [{ target: 'acme/widgets#5', activeRun: { runId: 'pg-run', fencingToken: 1 } }],
      });
      expect(
        (
          await runwarden([
            'release',
            'acme/widgets#5',
            '--run-id',
            'pg-run',
            '--database-url',
            url,
          ])
        ).exitCode,
      ).toBe(0);
      // runwarden run --target through the database: owned while the command runs, released after.
      const run = await runwarden([
        'run',
        '--target',
        'acme/widgets#6',
        '--database-url',
        url,
        '--state-dir',
        stateDir,
        '--max-resumes',
        '0',
        '--',
        process.execPath,
        cli,
        'owner',
        'acme/widgets#6',
        '--require',
        '--database-url',
        url,
      ]);
      expect(run.exitCode).toBe(0);
      const after = await runwarden(['owner', 'acme/widgets#6', '--database-url', url, '--json']);
      expect(json(after.stdout)).toMatchObject({ status: 'no_owner_record', activeRun: null });
    });

    it('exits 1 (SERVICE_FAILED) with a clear line when the server is unreachable', async () => {
      const dead = url.replace(/:(\d+)\//, ':1/');
      const result = await runwarden(['claim', 'queue:x', '--database-url', dead, '--json']);
      expect(result.exitCode).toBe(1);
      expect(json(result.stdout)).toMatchObject({
        ok: false,
        reason: 'SERVICE_FAILED',
        code: 'ERR_DATABASE_UNREACHABLE',
        message: expect.stringMatching(
          /^PostgreSQL at 127\.0\.0\.1:1\/postgres is unreachable: .*ECONNREFUSED/,
        ),
      });
    });
  },
);
