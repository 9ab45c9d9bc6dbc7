import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyLogChain } from '@runwarden/evidence-hasher';
import { captureIdentity } from '@runwarden/process-identity';
import { fakeAgentArgs } from '@runwarden/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type JournalEvent, readJournal, summarizeJournal, superviseRun } from '../src/index.js';
import { FollowedLog } from '../src/internal.js';
import { agent, alive, fast, typesOf } from './helpers.js';

let dir: string;
const started: number[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'watchdog-file-'));
});
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves with the first journal event of `type` that `predicate` accepts, by polling the file. */
async function untilEvent(
  journal: string,
  type: string,
  predicate: (event: JournalEvent) => boolean = () => true,
  timeoutMs = 20_000,
): Promise<JournalEvent> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (existsSync(journal)) {
      const found = readJournal(journal).find((event) => event.type === type && predicate(event));
      if (found) return found;
    }
    if (performance.now() > deadline) throw new Error(`no ${type} event in ${journal}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("output: 'file'", () => {
  it("makes the log files the child's own stdout and stderr, and still sees its output", async () => {
    const runDir = join(dir, 'run');
    const seen: string[] = [];
    const script =
      'const fs=require("fs");console.log(fs.readlinkSync("/proc/self/fd/1"));console.error(fs.readlinkSync("/proc/self/fd/2"));console.log("## DONE")';
    const result = await superviseRun({
      command: process.execPath,
      args: ['-e', script],
      runDir,
      output: 'file',
      doneMarker: '## DONE',
      subscribers: [(chunk, info) => seen.push(`${info.stream}:${chunk.toString()}`)],
    });
    expect(result).toMatchObject({ ok: true, reason: 'OK', completedBy: 'marker' });
    expect(readFileSync(join(runDir, 'stdout.log'), 'utf8')).toBe(
      `${join(runDir, 'stdout.log')}\n## DONE\n`,
    );
    expect(readFileSync(join(runDir, 'stderr.log'), 'utf8')).toBe(
      `${join(runDir, 'stderr.log')}\n`,
    );
    expect(seen.join('')).toContain(`stderr:${join(runDir, 'stderr.log')}`);
    expect(statSync(join(runDir, 'stdout.log')).mode & 0o777).toBe(0o600);
    expect(verifyLogChain(join(runDir, 'stdout.log'))).toMatchObject({ ok: true, status: 'ok' });
  });

  it('ends a silent child on the idle timeout and resumes it, reading the files it writes', async () => {
    const runDir = join(dir, 'run');
    const done = join(dir, 'DONE');
    const result = await superviseRun({
      command: process.execPath,
      args: [
        agent,
        ...fakeAgentArgs({
          state: join(dir, 'state.json'),
          turns: 10,
          turnMs: 20,
          hangAfter: 2,
          hangOnLife: 1,
          doneFile: done,
          doneAfter: 4,
        }),
      ],
      runDir,
      output: 'file',
      doneFile: done,
      idleTimeoutMs: 600,
      killGraceMs: 500,
      backoff: fast,
    });
    expect(result).toMatchObject({ ok: true, reason: 'OK', attempts: 2, resumes: 1 });
    const events = readJournal(join(runDir, 'journal.jsonl'));
    expect(typesOf(events)).toContain('output-idle');
    const log = readFileSync(join(runDir, 'stdout.log'), 'utf8');
    expect(log).toContain('fake-agent: life 1');
    expect(log).toContain('fake-agent: life 2');
  });

  it('keeps the child alive when the watchdog is SIGKILLed, and a new watchdog adopts it where it stood', async () => {
    const runDir = join(dir, 'run');
    const runId = 'file-adopt-1';
    const options = {
      command: process.execPath,
      args: [
        agent,
        ...fakeAgentArgs({
          turns: 100_000,
          turnMs: 100,
          hangAfter: 25,
          hangOnLife: 1,
          state: join(dir, 'state.json'),
        }),
      ],
      runDir,
      runId,
      output: 'file' as const,
      idleTimeoutMs: 1500,
      killGraceMs: 500,
      maxResumes: 3,
      backoff: { initialMs: 10, maxMs: 40, jitter: 0 },
    };
    const watchdog: ChildProcess = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { superviseRun } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
         await superviseRun(${JSON.stringify(options)});`,
      ],
      { stdio: 'ignore' },
    );
    started.push(watchdog.pid!);
    const journal = join(runDir, 'journal.jsonl');
    const spawned = await untilEvent(journal, 'spawned');
    const pid = spawned.pid as number;
    started.push(pid);
    await new Promise((resolve) => setTimeout(resolve, 300));
    watchdog.kill('SIGKILL');
    await once(watchdog, 'exit');
    // No pipe into the dead watchdog: the agent lives on and keeps writing its log.
    const before = statSync(join(runDir, 'stdout.log')).size;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(alive(pid)).toBe(true);
    expect(statSync(join(runDir, 'stdout.log')).size).toBeGreaterThan(before);

    const controller = new AbortController();
    const summary = summarizeJournal(readJournal(journal));
    const identity = captureIdentity(pid)!;
    const result = await superviseRun({
      ...options,
      output: 'file',
      adopt: {
        pid,
        startTicks: identity.startTicks,
        outputFile: join(runDir, 'stdout.log'),
        stderrFile: join(runDir, 'stderr.log'),
        continueFrom: {
          attempt: summary.attempt,
          resumes: summary.resumes,
          budgetSpent: summary.budgetSpent,
        },
      },
      onEvent: (event) => {
        if (event.type === 'resumed') started.push(event.pid as number);
        // Life 2 works on: the point is made once it was resumed.
        if (event.type === 'resumed') setTimeout(() => controller.abort(), 300);
      },
      signal: controller.signal,
    });
    expect(result.reason).toBe('INTERRUPTED');
    const events = readJournal(journal);
    const after = events.slice(events.findIndex((event) => event.type === 'adopted'));
    expect(typesOf(after).slice(0, 6)).toEqual([
      'adopted',
      'output-idle',
      'kill',
      'died',
      'resume-scheduled',
      'resumed',
    ]);
    expect(after[0]).toMatchObject({ pid, attempt: 1 });
    expect(after.find((event) => event.type === 'resumed')).toMatchObject({ attempt: 2 });
    expect(alive(pid)).toBe(false);
    const log = readFileSync(join(runDir, 'stdout.log'), 'utf8');
    expect(log).toContain('fake-agent: turn 25 done');
    expect(log).toContain('fake-agent: life 2');
  });
});

describe('FollowedLog', () => {
  it('rotates by copy-truncate: the writer keeps its descriptor, the backup holds the prefix, both chains verify', () => {
    const path = join(dir, 'stdout.log');
    const log = new FollowedLog(path, 'stdout', { maxBytes: 1000, backups: 2 });
    const fd = log.openForChild();
    const chunks: Buffer[] = [];
    const line = (index: number) => `line ${String(index).padStart(4, '0')} ${'x'.repeat(40)}\n`;
    let written = '';
    for (let index = 0; index < 60; index++) {
      const text = line(index);
      appendFileSync(fd, text);
      written += text;
      if (index % 5 === 4) log.poll((chunk) => chunks.push(chunk), true);
    }
    log.poll((chunk) => chunks.push(chunk), true);
    log.close();
    expect(Buffer.concat(chunks).toString()).toBe(written);
    const backup = readFileSync(`${path}.1`, 'utf8');
    const older = readFileSync(`${path}.2`, 'utf8');
    const live = readFileSync(path, 'utf8');
    expect(written.endsWith(older + backup + live)).toBe(true);
    expect(existsSync(`${path}.3`)).toBe(false);
    for (const file of [path, `${path}.1`, `${path}.2`])
      expect(verifyLogChain(file)).toMatchObject({ ok: true });
    expect(log.rotations).toBeGreaterThanOrEqual(2);
    // After the cut, the writer's next append (O_APPEND) lands at the new end, not at its old offset.
    appendFileSync(fd, 'after\n');
    expect(readFileSync(path, 'utf8')).toBe(`${live}after\n`);
  });

  it('refuses a symlinked log', () => {
    writeFileSync(join(dir, 'elsewhere'), '');
    const path = join(dir, 'stdout.log');
    // A symlink planted where the log goes is never followed.
    symlinkSync(join(dir, 'elsewhere'), path);
    expect(() => new FollowedLog(path, 'stdout')).toThrow(/symlink/);
    expect(readlinkSync(path)).toBe(join(dir, 'elsewhere'));
  });
});
