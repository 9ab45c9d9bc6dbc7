/**
 * `runwarden run` as a CI job and as an agent loop: which deaths are resumed
 * (`--resume-on`), a DONE file from before the run, `--json` runs that keep
 * stdout for the JSON, and a store failure before the run starts.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJournal } from '@runwarden/watchdog';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runwarden as run } from './helpers.js';

let dir: string;
let stateDir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runwarden-rules-'));
  stateDir = join(dir, 'state');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const runwarden = (args: string[]) => run(args, { cwd: dir });
/** `runwarden run --state-dir <state> ...args`. */
const runWith = (...args: string[]) => runwarden(['run', '--state-dir', stateDir, ...args]);
const sh = (script: string) => ['--', 'sh', '-c', script];
const onlyRunDir = () => join(stateDir, 'runs', readdirSync(join(stateDir, 'runs'))[0]!);
/** `$life` is 0 in the first attempt, 1 in the second, …, counted in a file in the cwd. */
const lives = (script: string) =>
  sh(`life=$(cat lives 2>/dev/null || echo 0); echo $((life + 1)) > lives; ${script}`);

describe('runwarden run --resume-on', () => {
  it('ends a CI job at its first exit 1: CHILD_FAILED (exit 1) at once, with the code', async () => {
    const result = await runWith(...sh('echo "1 test failed"; exit 1'));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('1 test failed');
    expect(result.stderr).toContain(
      'runwarden ▸ attempt 1 ended before completion (CHILD_FAILED, exited 1, rule failure)',
    );
    expect(result.stderr).toContain(
      'runwarden ▸ CHILD_FAILED (exit 1): sh exited 1; not resumed (failure is not in resume-on: hang,signal).',
    );
    const events = readJournal(join(onlyRunDir(), 'journal.jsonl'));
    expect(
      events.filter((event) => event.type === 'spawned' || event.type === 'resumed'),
    ).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'ended', reason: 'CHILD_FAILED', rule: 'failure' });
  });

  it('says in --json which rule resumed the run and which ended it', async () => {
    const result = await runWith(
      '--resume-on',
      'signal,failure',
      '--max-resumes',
      '1',
      '--backoff-initial',
      '10ms',
      '--json',
      ...sh('echo crash; exit 3'),
    );
    expect(result.exitCode).toBe(4);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: false,
      reason: 'RESUME_BUDGET_EXHAUSTED',
      attempts: 2,
      resumeOn: ['signal', 'failure'],
      resumedBy: { failure: 1 },
      endedByRule: 'failure',
    });
  });

  it('resumes every death of an agent loop (a completion predicate is given)', async () => {
    const result = await runWith(
      '--done-file',
      'DONE',
      '--backoff-initial',
      '10ms',
      '--json',
      ...lives('echo "life $life"; if [ "$life" = 0 ]; then exit 1; fi; touch DONE'),
    );
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      reason: 'OK',
      attempts: 2,
      completedBy: 'done-file',
      resumeOn: ['hang', 'signal', 'exit-0', 'failure'],
      resumedBy: { failure: 1 },
    });
  });

  it('takes none and always, and refuses an unknown rule with exit 64 and one line', async () => {
    const none = await runWith(
      '--resume-on',
      'none',
      '--done-file',
      'DONE',
      '--json',
      ...sh('exit 0'),
    );
    expect(JSON.parse(none.stdout)).toMatchObject({ reason: 'FALSE_SUCCESS', resumeOn: [] });
    const always = await runWith('--resume-on', 'always', '--json', ...sh('exit 0'));
    expect(JSON.parse(always.stdout)).toMatchObject({
      reason: 'OK',
      resumeOn: ['hang', 'signal', 'exit-0', 'failure'],
    });
    expect(await runWith('--resume-on', 'on-failure', ...sh('true'))).toMatchObject({
      exitCode: 64,
      stderr:
        "runwarden: --resume-on: 'on-failure' is not one of hang, signal, exit-0, failure (or none, always)",
    });
  });
});

describe('runwarden run --done-file', () => {
  it('does not end the run on a DONE file from before it started, and says so', async () => {
    writeFileSync(join(dir, 'DONE'), '');
    const result = await runWith(
      '--done-file',
      'DONE',
      '--max-resumes',
      '0',
      ...sh('echo working; sleep 1; echo "turn ended"'),
    );
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('working\nturn ended');
    expect(result.stderr).toMatch(
      /runwarden ▸ warning: The DONE file DONE was there before the run started \(modified [\d-]+T[\d:.]+Z\); it counts only once it is written again\./,
    );
    expect(result.stderr).toContain('runwarden ▸ FALSE_SUCCESS (exit 1)');
  });
});

describe('runwarden run --json', () => {
  it('keeps stdout for the one JSON object and shows the child’s output on stderr', async () => {
    const result = await runWith('--json', ...sh('echo "to stdout"; echo "to stderr" >&2'));
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, reason: 'OK' });
    expect(result.stderr.split('\n').sort()).toEqual(['to stderr', 'to stdout']);
  });
});

describe('runwarden run with a store that fails before the run starts', () => {
  it('says what failed, and nothing about evidence of a run that never started', async () => {
    const result = await runWith(
      '--target',
      'queue:x',
      '--store',
      'postgres',
      '--database-url',
      'postgres://runwarden@127.0.0.1:1/none',
      ...sh('echo never'),
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^runwarden: SERVICE_FAILED: /);
    expect(result.stderr).not.toContain('evidence');
    expect(result.stdout).toBe('');
  });
});
