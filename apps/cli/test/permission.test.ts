/**
 * `runwarden kill` by a user who may not signal the holder says so (EPERM),
 * and signals nothing. Needs root, to start the run as root and the kill as
 * `nobody` (setpriv), from a copy of the CLI that `nobody` can read.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alive, cli, killAll, type LiveRun, startLiveRun } from './helpers.js';

let dir: string;
let stateDir: string;
let live: LiveRun | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runwarden-eperm-'));
  stateDir = join(dir, 'state');
});
afterEach(async () => {
  if (live) {
    killAll([live.child.pid!]);
    await live.exited;
  }
  live = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const asRoot = process.getuid?.() === 0;
const hasSetpriv = (() => {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('runwarden kill without permission to signal the holder', () => {
  it.skipIf(!asRoot || !hasSetpriv)(
    'as nobody against a run of root: exit 5 saying EPERM, the run goes on (needs root and setpriv)',
    async () => {
      live = await startLiveRun({ dir, stateDir });
      // What nobody needs to read: the state (the lock is 0600 to keep others out) and a copy of the CLI.
      chmodSync(dir, 0o755);
      chmodSync(stateDir, 0o755);
      chmodSync(join(stateDir, 'RUN.lock'), 0o644);
      // The bin and the bundle it loads, as installed: bin/, dist/ and package.json.
      const installed = mkdtempSync(join(tmpdir(), 'runwarden-cli-copy-'));
      const copy = join(installed, 'bin', 'runwarden.cjs');
      chmodSync(installed, 0o755);
      for (const part of ['bin', 'dist', 'package.json'])
        cpSync(join(cli, '..', '..', part), join(installed, part), { recursive: true });
      execFileSync('chmod', ['-R', 'a+rX', installed]);
      const result = await execa(
        'setpriv',
        [
          '--reuid=nobody',
          '--regid=nogroup',
          '--clear-groups',
          process.execPath,
          copy,
          'kill',
          '--state-dir',
          stateDir,
          '--json',
        ],
        { reject: false, cwd: dir, env: { CI: '1', PATH: process.env.PATH ?? '' } },
      );
      rmSync(installed, { recursive: true, force: true });
      expect(result.exitCode).toBe(5);
      const report = JSON.parse(result.stdout);
      expect(report).toMatchObject({ reason: 'LOCK_HELD', eperm: true, holderUid: 0 });
      expect(report.message).toBe(
        `Not permitted to signal runwarden (pid ${live.child.pid}, run ${readdirSync(join(stateDir, 'runs'))[0]}): EPERM. It runs as uid 0, this is uid 65534; nothing was signalled and the run goes on.`,
      );
      expect(report.hint).toBe(
        'Run `runwarden kill` as uid 0 (the user who started the run) or as root.',
      );
      expect(alive(live.child.pid!)).toBe(true);
      expect(live.child.exitCode).toBeNull();
    },
  );
});
