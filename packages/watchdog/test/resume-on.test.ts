/**
 * `resumeOn` with real processes: a CI job's exit code is final, a hang or a
 * signal death is resumed, and with a completion predicate every death is;
 * the journal and the result say which rule resumed or ended the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SuperviseOptions } from '../src/index.js';
import { runAgent, typesOf } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'resume-on-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs `sh -c script` where `$life` is 0 in the first attempt, 1 in the
 * second, and so on (counted in a file in the run's cwd).
 */
const lives = (script: string, options: Partial<SuperviseOptions> = {}) =>
  runAgent(dir, [], {
    command: 'sh',
    args: ['-c', `life=$(cat lives 2>/dev/null || echo 0); echo $((life + 1)) > lives; ${script}`],
    ...options,
  });

describe('resumeOn', () => {
  it('ends a CI job at its first exit 1: CHILD_FAILED at once, the code in the message', async () => {
    const { result, events } = await lives('echo "1 test failed"; exit 1');
    expect(result).toMatchObject({
      reason: 'CHILD_FAILED',
      exitCode: 1,
      attempts: 1,
      resumes: 0,
      lastExit: { code: 1, signal: null },
      resumeOn: ['hang', 'signal'],
      resumedBy: {},
      endedByRule: 'failure',
    });
    expect(result.message).toBe(
      'sh exited 1; not resumed (failure is not in resume-on: hang,signal).',
    );
    expect(typesOf(events)).toEqual(['started', 'spawned', 'exited', 'died', 'ended']);
    expect(events[0]).toMatchObject({ resumeOn: ['hang', 'signal'] });
    expect(events.find((event) => event.type === 'died')).toMatchObject({
      reason: 'CHILD_FAILED',
      rule: 'failure',
      code: 1,
    });
    expect(events.at(-1)).toMatchObject({ type: 'ended', reason: 'CHILD_FAILED', rule: 'failure' });
  });

  it('resumes a death by a signal by default (an OOM kill, a SIGKILL)', async () => {
    const { result, events } = await lives(
      'echo "life $life"; if [ "$life" = 0 ]; then kill -KILL $$; fi; echo fine',
    );
    expect(result).toMatchObject({
      reason: 'OK',
      attempts: 2,
      resumedBy: { signal: 1 },
      completedBy: 'exit-0',
    });
    expect(events.find((event) => event.type === 'died')).toMatchObject({
      rule: 'signal',
      signal: 'SIGKILL',
    });
    expect(events.find((event) => event.type === 'resume-scheduled')).toMatchObject({
      rule: 'signal',
    });
    expect(result.endedByRule).toBeUndefined();
  });

  it('resumes a hang by default', async () => {
    const { result } = await lives(
      'echo "life $life"; if [ "$life" = 0 ]; then exec sleep 30; fi; echo fine',
      { idleTimeoutMs: 300 },
    );
    expect(result).toMatchObject({ reason: 'OK', attempts: 2, resumedBy: { hang: 1 } });
  });

  it('resumes every death of an agent loop (a completion predicate is given)', async () => {
    const { result, events } = await lives(
      'echo "life $life"; if [ "$life" = 0 ]; then exit 1; fi; if [ "$life" = 1 ]; then exit 0; fi; touch DONE',
      { doneFile: 'DONE' },
    );
    expect(result).toMatchObject({
      reason: 'OK',
      attempts: 3,
      completedBy: 'done-file',
      resumeOn: ['hang', 'signal', 'exit-0', 'failure'],
      resumedBy: { failure: 1, 'exit-0': 1 },
    });
    expect(
      events.filter((event) => event.type === 'died').map((event) => [event.reason, event.rule]),
    ).toEqual([
      ['CHILD_FAILED', 'failure'],
      ['FALSE_SUCCESS', 'exit-0'],
    ]);
  });

  it('follows resumeOn when given: exit 0 without the DONE file ends the run FALSE_SUCCESS', async () => {
    const { result } = await lives('echo "turn ended"', {
      doneFile: 'DONE',
      resumeOn: ['hang', 'signal', 'failure'],
    });
    expect(result).toMatchObject({
      reason: 'FALSE_SUCCESS',
      exitCode: 1,
      attempts: 1,
      endedByRule: 'exit-0',
    });
  });

  it('names the rule of the death that spent the budget', async () => {
    const { result, events } = await lives('echo crash; exit 3', {
      resumeOn: ['failure'],
      maxResumes: 1,
    });
    expect(result).toMatchObject({
      reason: 'RESUME_BUDGET_EXHAUSTED',
      attempts: 2,
      resumedBy: { failure: 1 },
      endedByRule: 'failure',
    });
    expect(events.at(-1)).toMatchObject({ type: 'ended', rule: 'failure' });
  });
});
