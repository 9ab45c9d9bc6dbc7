/**
 * The runner's own output never throws: a reader that leaves (a real pipe
 * into `head -1`), a terminal that hangs up (a real pty, closed under a
 * running run), and Ctrl-C pressed twice.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agent, agentCommand, alive, cli, killAll, runwarden, until } from './helpers.js';

let dir: string;
let stateDir: string;
const spawned = new Set<number>();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runwarden-output-'));
  stateDir = join(dir, 'state');
});
afterEach(() => {
  killAll(spawned);
  spawned.clear();
  rmSync(dir, { recursive: true, force: true });
});

const pidsIn = (file: string) =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => Number(line.split(' ')[1]))
    : [];

function lastRunJournal(): { type: string; reason: string | null }[] {
  const runs = readdirSync(join(stateDir, 'runs')).sort();
  return readFileSync(join(stateDir, 'runs', runs.at(-1)!, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe('a reader that goes away', () => {
  it('`runwarden --help` into a pipe already closed prints no trace and exits 0', async () => {
    for (const args of [
      ['--help'],
      ['run', '--help'],
      ['status', '--json', '--state-dir', stateDir],
    ]) {
      const child = spawn(process.execPath, [cli, ...args], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, CI: '1' },
      });
      // The reader is gone before the CLI writes a byte: every write is EPIPE.
      child.stdout!.destroy();
      let stderr = '';
      child.stderr!.on('data', (chunk) => {
        stderr += chunk;
      });
      const [code] = await once(child, 'exit');
      expect({ args, code, stderr }).toEqual({ args, code: 0, stderr: '' });
    }
  });

  it('`runwarden run … | head -1`: no trace, the run goes on to OK, nothing orphaned, the log has everything', () => {
    const pidFile = join(dir, 'pids');
    const script = `"${process.execPath}" "${cli}" run --state-dir "${stateDir}" -- "${process.execPath}" "${agent}" --turns 30 --turn-ms 20 --grandchild --pid-file "${pidFile}" 2>"${dir}/stderr" | head -1; echo "exit=\${PIPESTATUS[0]}"`;
    const out = execFileSync('bash', ['-c', script], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, CI: '1' },
    });
    const [first, exit] = out.trim().split('\n');
    expect(first).toBe('fake-agent: life 1, 0 turn(s) done before');
    expect(exit).toBe('exit=0');
    const stderr = readFileSync(join(dir, 'stderr'), 'utf8');
    expect(stderr).not.toMatch(/EPIPE|Error|INTERNAL|at /);
    expect(stderr).toContain('OK (exit 0)');
    for (const pid of pidsIn(pidFile)) expect(alive(pid)).toBe(false);
    const runs = readdirSync(join(stateDir, 'runs'));
    const log = readFileSync(join(stateDir, 'runs', runs[0]!, 'stdout.log'), 'utf8');
    expect(log.match(/turn \d+ done/g)?.length).toBe(30);
    expect(existsSync(join(stateDir, 'RUN.lock'))).toBe(false);
  });
});

describe('a terminal that hangs up', () => {
  it('the pty closed under a running run: tree ended, lock released, exit 130 (no SIGSEGV, no abort)', async () => {
    const pidFile = join(dir, 'pids');
    // python3's pty module: the CLI is the session leader of a real pty, whose master we close.
    const python = `
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
seen = b''
deadline = time.time() + 30
while b'turn 1 done' not in seen and time.time() < deadline:
    if select.select([fd], [], [], 0.5)[0]:
        seen += os.read(fd, 65536)
os.close(fd)
_, status = os.waitpid(pid, 0)
print('exit' if os.WIFEXITED(status) else 'signal', os.WEXITSTATUS(status) if os.WIFEXITED(status) else os.WTERMSIG(status))
`;
    const child = spawn(
      'python3',
      [
        '-c',
        python,
        process.execPath,
        cli,
        'run',
        '--state-dir',
        stateDir,
        '--kill-grace',
        '2s',
        '--',
        ...agentCommand({ turns: 100_000, turnMs: 50, grandchild: true, pidFile }),
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
    });
    await once(child, 'exit');
    expect(out.trim()).toBe('exit 130');
    const pids = pidsIn(pidFile);
    expect(pids.length).toBe(2);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(existsSync(join(stateDir, 'RUN.lock'))).toBe(false);
    expect(lastRunJournal().at(-1)).toMatchObject({ type: 'ended', reason: 'INTERRUPTED' });
    const status = await runwarden(['status', '--json', '--state-dir', stateDir], { cwd: dir });
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'free' });
  });
});

describe('Ctrl-C like every other tool', () => {
  it('the first SIGINT starts the graceful stop and says the grace; a second sends SIGKILL at once', async () => {
    const pidFile = join(dir, 'pids');
    const child = spawn(
      process.execPath,
      [
        cli,
        'run',
        '--state-dir',
        stateDir,
        '--kill-grace',
        '60s',
        '--',
        ...agentCommand({
          turns: 100_000,
          turnMs: 50,
          ignoreSigterm: true,
          grandchild: true,
          pidFile,
        }),
      ],
      { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: '1' } },
    );
    spawned.add(child.pid!);
    let stderr = '';
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
    });
    const exited = once(child, 'exit');
    await until(() => pidsIn(pidFile).length === 2);
    child.kill('SIGINT');
    await until(() => stderr.includes('received SIGINT'));
    expect(stderr).toContain(
      "received SIGINT: ending the run's tree (SIGTERM, then SIGKILL after 1m; Ctrl-C again to kill it now)",
    );
    // The agent ignores SIGTERM: without a second Ctrl-C it would live out the 60 s grace.
    const second = performance.now();
    child.kill('SIGINT');
    const [code] = await exited;
    expect(code).toBe(130);
    expect(performance.now() - second).toBeLessThan(20_000);
    expect(stderr).toContain('second interrupt: sending SIGKILL to the run now');
    for (const pid of pidsIn(pidFile)) expect(alive(pid)).toBe(false);
    expect(lastRunJournal().at(-1)).toMatchObject({ type: 'ended', reason: 'INTERRUPTED' });
  });
});
