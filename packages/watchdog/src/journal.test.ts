import { appendFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WatchdogError } from './errors.js';
import { Journal } from './journal.js';
import { journalEventSchema } from './journal-schema.js';
import { readJournal } from './read-journal.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'journal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const at = () => Date.parse('2026-11-26T00:00:00.000Z');

describe('Journal', () => {
  it('appends one schema-valid JSON object per line and skips a torn last line', () => {
    const path = join(dir, 'journal.jsonl');
    const journal = new Journal(path, 'run-1', at);
    journal.append('started', 0, { command: 'true', args: [], cwd: '/', pid: 7 });
    journal.append(
      'ended',
      1,
      { exitCode: 0, attempts: 1, resumes: 0, budgetSpent: 0, durationMs: 5, message: 'done' },
      'OK',
    );
    journal.close();
    appendFileSync(path, '{"ts":"2026-11-26T00:0');
    const events = readJournal(path);
    expect(events).toEqual([
      {
        ts: '2026-11-26T00:00:00.000Z',
        runId: 'run-1',
        attempt: 0,
        type: 'started',
        reason: null,
        command: 'true',
        args: [],
        cwd: '/',
        pid: 7,
      },
      {
        ts: '2026-11-26T00:00:00.000Z',
        runId: 'run-1',
        attempt: 1,
        type: 'ended',
        reason: 'OK',
        exitCode: 0,
        attempts: 1,
        resumes: 0,
        budgetSpent: 0,
        durationMs: 5,
        message: 'done',
      },
    ]);
    for (const event of events) expect(journalEventSchema.safeParse(event).success).toBe(true);
  });

  it('refuses to write an event that does not match its type, naming the field', () => {
    const journal = new Journal(join(dir, 'journal.jsonl'), 'run-1', at);
    let caught: unknown;
    try {
      journal.append('died', 1, {}, 'CHILD_FAILED');
    } catch (error) {
      caught = error;
    }
    expect(WatchdogError.isInstance(caught)).toBe(true);
    expect((caught as WatchdogError).code).toBe('ERR_JOURNAL_EVENT');
    expect((caught as WatchdogError).message).toBe(
      'Journal event died is invalid at cause: Invalid input: expected string, received undefined',
    );
    journal.close();
    expect(readJournal(join(dir, 'journal.jsonl'))).toEqual([]);
  });

  it('rejects a reason that is not a reason code', () => {
    const event = {
      ts: '2026-11-26T00:00:00.000Z',
      runId: 'r',
      attempt: 1,
      type: 'died',
      cause: 'exit',
      reason: 'spawn-error',
    };
    expect(journalEventSchema.safeParse(event).success).toBe(false);
    expect(journalEventSchema.safeParse({ ...event, reason: 'CHILD_FAILED' }).success).toBe(true);
  });

  it('never follows a symlink into state', () => {
    const target = join(dir, 'elsewhere');
    symlinkSync(target, join(dir, 'journal.jsonl'));
    expect(() => new Journal(join(dir, 'journal.jsonl'), 'run-1')).toThrow(
      /journal\.jsonl is a symlink; refusing it/,
    );
  });
});
