import { describe, expect, it } from 'vitest';
import type { JournalEvent } from './journal-schema.js';
import { summarizeJournal } from './summary.js';

let second = 0;
const event = (
  type: JournalEvent['type'],
  attempt: number,
  data: Record<string, unknown> = {},
  reason: JournalEvent['reason'] = null,
): JournalEvent => ({
  ts: new Date(Date.UTC(2026, 10, 26, 12, 0, second++)).toISOString(),
  runId: 'r1',
  attempt,
  type,
  reason,
  ...data,
});

describe('summarizeJournal', () => {
  it('follows a run through a death, a backoff, a quota pause and its end', () => {
    second = 0;
    const events = [
      event('started', 0, { command: 'agent', args: ['go'], cwd: '/', pid: 1, maxResumes: 3 }),
      event('spawned', 1, { pid: 10, command: 'agent', args: ['go'] }),
      event('progress', 1, { source: '/h', changes: 1 }),
      event('exited', 1, { pid: 10, code: 1, signal: null, uptimeMs: 5 }),
      event('died', 1, { cause: 'exited 1' }, 'CHILD_FAILED'),
      event(
        'resume-scheduled',
        1,
        { delayMs: 4000, nextAttempt: 2, countsAgainstBudget: true, budgetSpent: 1, maxResumes: 3 },
        'CHILD_FAILED',
      ),
    ];
    expect(summarizeJournal(events)).toMatchObject({
      runId: 'r1',
      state: 'backing-off',
      attempt: 1,
      budgetSpent: 1,
      maxResumes: 3,
      command: ['agent', 'go'],
      lastProgressAt: '2026-11-26T12:00:02.000Z',
      lastDeath: 'CHILD_FAILED',
      nextResumeAt: '2026-11-26T12:00:09.000Z',
    });
    events.push(event('resumed', 2, { pid: 11, command: 'agent', args: [] }));
    expect(summarizeJournal(events)).toMatchObject({ state: 'running', pid: 11, resumes: 1 });
    events.push(
      event('exited', 2, { pid: 11, code: 0, signal: null, uptimeMs: 5 }),
      event('died', 2, { cause: 'exited 0' }, 'FALSE_SUCCESS'),
      event(
        'quota-pause',
        2,
        {
          delayMs: 60_000,
          until: '2026-11-26T13:00:00.000Z',
          line: 'usage limit',
          resetParsed: true,
          pauses: 1,
        },
        'FALSE_SUCCESS',
      ),
    );
    expect(summarizeJournal(events)).toMatchObject({
      state: 'paused',
      pausedUntil: '2026-11-26T13:00:00.000Z',
      quotaPauses: 1,
    });
    events.push(
      event(
        'ended',
        2,
        {
          exitCode: 130,
          attempts: 2,
          resumes: 1,
          budgetSpent: 1,
          durationMs: 9,
          message: 'Interrupted',
        },
        'INTERRUPTED',
      ),
    );
    expect(summarizeJournal(events)).toMatchObject({
      state: 'ended',
      reason: 'INTERRUPTED',
      exitCode: 130,
      message: 'Interrupted',
    });
    expect(summarizeJournal(events).pid).toBeUndefined();
  });

  it('is empty for an empty journal', () => {
    expect(summarizeJournal([])).toEqual({
      runId: '',
      state: 'starting',
      attempt: 0,
      resumes: 0,
      budgetSpent: 0,
      quotaPauses: 0,
    });
  });
});
