/**
 * A run's liveness does not rest on RUNWARDEN_RUN_ID alone: after the runner
 * is SIGKILLed, a child that dropped the variable (`env -i`, or an attempt
 * that `exec env -u RUNWARDEN_RUN_ID`) still holds the run.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { descendantsOf, readEnvironVariable } from '@runwarden/process-identity';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alive, cli, killAll, runwarden as run, until } from './helpers.js';

let dir: string;
let stateDir: string;
const spawned = new Set<number>();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runwarden-liveness-'));
  stateDir = join(dir, 'state');
});
afterEach(() => {
  killAll(spawned);
  spawned.clear();
  rmSync(dir, { recursive: true, force: true });
});

const runwarden = (args: string[]) => run(args, { cwd: dir });

/**
 * Starts `runwarden run -- sh -c <script>`, waits for a `sleep` of the run
 * that carries no RUNWARDEN_RUN_ID, then SIGKILLs the runner (and, with
 * `killCarriers`, every process of the run that still carries the variable),
 * so only processes without it are left.
 */
async function orphanWithoutToken(script: string, killCarriers: boolean) {
  const runner = spawn(
    process.execPath,
    [cli, 'run', '--state-dir', stateDir, '--', 'sh', '-c', script],
    {
      cwd: dir,
      stdio: 'ignore',
      env: { ...process.env, CI: '1' },
    },
  );
  spawned.add(runner.pid!);
  const exited = once(runner, 'exit');
  const hidden = await until(() =>
    descendantsOf(runner.pid!).find(
      (row) =>
        row.comm === 'sleep' &&
        ['absent', 'empty'].includes(readEnvironVariable(row.pid, 'RUNWARDEN_RUN_ID').status),
    ),
  );
  spawned.add(hidden.pid);
  // The property holds once the runner recorded its attempt (one synchronous
  // write after spawn(2)); a SIGKILL before that write leaves only the token.
  await until(recordedAttempt);
  const tree = descendantsOf(runner.pid!);
  for (const row of tree) spawned.add(row.pid);
  runner.kill('SIGKILL');
  await exited;
  if (killCarriers) {
    for (const row of tree) {
      if (readEnvironVariable(row.pid, 'RUNWARDEN_RUN_ID').status === 'found')
        process.kill(row.pid, 'SIGKILL');
    }
    await until(() => tree.every((row) => row.pid === hidden.pid || !alive(row.pid)));
  }
  expect(alive(hidden.pid)).toBe(true);
  return { holderPid: runner.pid!, hiddenPid: hidden.pid };
}

/** Whether this test's run journal holds its `spawned` event (the attempt a SIGKILLed runner leaves behind). */
function recordedAttempt(): boolean {
  const runs = join(stateDir, 'runs');
  if (!existsSync(runs)) return false;
  return readdirSync(runs).some((runId) => {
    const journal = join(runs, runId, 'journal.jsonl');
    if (!existsSync(journal)) return false;
    return readFileSync(journal, 'utf8')
      .split('\n')
      .some((line) => line.includes('"type":"spawned"'));
  });
}

async function expectHeldThenForced(holderPid: number, hiddenPid: number) {
  const status = JSON.parse(
    (await runwarden(['status', '--state-dir', stateDir, '--json'])).stdout,
  );
  expect(status).toMatchObject({
    state: 'orphaned',
    detail: 'orphaned-run',
    holderPid,
    holderAlive: false,
  });
  expect(status.orphanPids).toContain(hiddenPid);

  const second = await runwarden(['run', '--state-dir', stateDir, '--json', '--', 'true']);
  expect(second.exitCode).toBe(5);
  expect(JSON.parse(second.stdout)).toMatchObject({
    reason: 'LOCK_HELD',
    heldBecause: 'orphaned-run',
  });

  const forced = await runwarden([
    'kill',
    '--force',
    '--grace',
    '300ms',
    '--state-dir',
    stateDir,
    '--json',
  ]);
  expect(forced.exitCode).toBe(0);
  const report = JSON.parse(forced.stdout);
  expect(report).toMatchObject({ lock: 'free', survivors: [] });
  expect(report.kill.processes).toContainEqual(
    expect.objectContaining({ pid: hiddenPid, reason: expect.stringMatching(/^(exited|killed)$/) }),
  );
  expect(alive(hiddenPid)).toBe(false);
  const runDir = join(stateDir, 'runs', status.runId);
  const last = JSON.parse(
    readFileSync(join(runDir, 'journal.jsonl'), 'utf8').trim().split('\n').at(-1)!,
  );
  expect(last).toMatchObject({ type: 'ended', reason: 'INTERRUPTED' });
  expect(existsSync(join(runDir, 'evidence', 'manifest.json'))).toBe(true);
}

describe('liveness beyond RUNWARDEN_RUN_ID', () => {
  it('a child that ran `env -i` (its parent, the carrier, gone too): held, a second run exits 5, kill --force ends it', async () => {
    const { holderPid, hiddenPid } = await orphanWithoutToken(
      'trap "" TERM; env -i sleep 300 & wait',
      true,
    );
    await expectHeldThenForced(holderPid, hiddenPid);
  });

  it('an attempt that `exec env -u RUNWARDEN_RUN_ID`: held, a second run exits 5, kill --force ends it', async () => {
    const { holderPid, hiddenPid } = await orphanWithoutToken(
      'exec env -u RUNWARDEN_RUN_ID sleep 300',
      false,
    );
    await expectHeldThenForced(holderPid, hiddenPid);
  });
});
