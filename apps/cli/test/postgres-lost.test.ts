/**
 * Losing PostgreSQL under `runwarden run --target`: a real private cluster,
 * stopped mid-run. And a malformed `--database-url` is a usage error.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  findPostgresBinaries,
  type PostgresCluster,
  startPostgresCluster,
} from '../../../packages/coordination-state/test/postgres-cluster.js';
import { agentCommand, cli, killAll, runwarden as run, until } from './helpers.js';

let dir: string;
let stateDir: string;
let cluster: PostgresCluster | undefined;
const spawned = new Set<number>();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runwarden-pg-lost-'));
  stateDir = join(dir, 'state');
});
afterEach(async () => {
  killAll(spawned);
  spawned.clear();
  await cluster?.stop();
  cluster = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const runwarden = (args: string[]) => run(args, { cwd: dir });

describe('a malformed --database-url', () => {
  it('is exit 64 with the reason, before any connection', async () => {
    for (const [url, reason] of [
      [
        'not a url',
        "--database-url: 'not a url' is not a postgres:// or postgresql:// URL (e.g. postgres://user@host:5432/db)",
      ],
      [
        'postgres://runner:secret@db:99999/fleet',
        "--database-url: port 99999 in 'postgres://runner:***@db:99999/fleet' is out of range (1 to 65535)",
      ],
    ]) {
      for (const args of [
        ['claim', 'queue:x', '--database-url', url!],
        ['db', 'migrate', '--database-url', url!],
        [
          'run',
          '--target',
          'queue:x',
          '--database-url',
          url!,
          '--state-dir',
          stateDir,
          '--',
          'true',
        ],
      ]) {
        const result = await runwarden(args);
        expect({ args, exitCode: result.exitCode, stderr: result.stderr }).toEqual({
          args,
          exitCode: 64,
          stderr: `runwarden: ${reason}`,
        });
      }
    }
  });
});

const binaries = findPostgresBinaries();
if (!binaries && process.env.RUNWARDEN_TEST_REQUIRE_POSTGRES === '1')
  throw new Error('RUNWARDEN_TEST_REQUIRE_POSTGRES=1 but no PostgreSQL binaries found');

describe.skipIf(!binaries)(
  `losing the database mid-run${binaries ? '' : ' (skipped: no PostgreSQL binaries to start and stop a cluster)'}`,
  () => {
    async function startRun(url: string, command: string[]) {
      const child = spawn(
        process.execPath,
        [
          cli,
          'run',
          '--target',
          'queue:pg-lost',
          '--database-url',
          url,
          '--target-lease',
          '3s',
          '--state-dir',
          stateDir,
          '--kill-grace',
          '1s',
          '--json',
          '--',
          ...command,
        ],
        { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } },
      );
      spawned.add(child.pid!);
      let stdout = '';
      child.stdout!.on('data', (chunk) => {
        stdout += chunk;
      });
      const exited = once(child, 'exit') as Promise<[number | null]>;
      // Claimed and running: the attempt is in the journal.
      await until(() => {
        const runs = existsSync(join(stateDir, 'runs')) ? readdirSync(join(stateDir, 'runs')) : [];
        const journal = runs[0] && join(stateDir, 'runs', runs[0], 'journal.jsonl');
        return (
          journal && existsSync(journal) && readFileSync(journal, 'utf8').includes('"spawned"')
        );
      }, 30_000);
      return { exited, stdout: () => stdout };
    }

    function journal() {
      const runs = readdirSync(join(stateDir, 'runs'));
      return readFileSync(join(stateDir, 'runs', runs[0]!, 'journal.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
    }

    it('the server stopped under a running run: SERVICE_FAILED (exit 1), the journal names the database', async () => {
      cluster = await startPostgresCluster();
      expect((await runwarden(['db', 'migrate', '--database-url', cluster.url])).exitCode).toBe(0);
      const database = cluster.url.replace(/^.*@/, '');
      const live = await startRun(cluster.url, [...agentCommand({ turns: 100_000, turnMs: 50 })]);
      await cluster.stop();
      const [code] = await live.exited;
      expect(code).toBe(1);
      const report = JSON.parse(live.stdout());
      expect(report).toMatchObject({ reason: 'SERVICE_FAILED', exitCode: 1 });
      const where = `the coordination database ${database}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      expect(report.message).toMatch(
        new RegExp(
          `^${where} failed mid-run \\(could not refresh the lease on queue:pg-lost at ${where} for \\d+s \\(.+\\); another run may claim it\\); the tree was ended\\.$`,
        ),
      );
      const events = journal();
      expect(events).toContainEqual(
        expect.objectContaining({
          type: 'interrupted',
          reason: 'SERVICE_FAILED',
          service: `the coordination database ${database}`,
        }),
      );
      expect(events.at(-1)).toMatchObject({ type: 'ended', reason: 'SERVICE_FAILED' });
    });

    it('a run that completes while the server is down retries the release until the lease would expire, then says the target may still look owned', async () => {
      cluster = await startPostgresCluster();
      expect((await runwarden(['db', 'migrate', '--database-url', cluster.url])).exitCode).toBe(0);
      const go = join(dir, 'go');
      const live = await startRun(cluster.url, [
        'sh',
        '-c',
        `while [ ! -e "${go}" ]; do sleep 0.05; done`,
      ]);
      await cluster.stop();
      const stoppedAt = Date.now();
      writeFileSync(go, '');
      const [code] = await live.exited;
      expect(code).toBe(1);
      const report = JSON.parse(live.stdout());
      expect(report).toMatchObject({ reason: 'SERVICE_FAILED', exitCode: 1 });
      expect(report.message).toMatch(
        /^The run completed, but queue:pg-lost may still look owned until \S+Z: the coordination database \S+ was unreachable for the release \(.+\)\.$/,
      );
      // It kept trying until the lease (3 s from the last refresh) would have run out.
      expect(Date.parse(report.targetStillOwned.until)).toBeLessThanOrEqual(Date.now());
      expect(Date.now() - stoppedAt).toBeGreaterThan(1000);
      expect(journal().at(-1)).toMatchObject({ type: 'ended', reason: 'OK' });
    });
  },
);
