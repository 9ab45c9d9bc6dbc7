import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, journalEventSchema, readJournal } from './journal.js';

const dir = mkdtempSync(join(tmpdir(), 'journal-'));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('Journal', () => {
  it('appends one schema-valid JSON object per line and skips a torn last line', () => {
    const path = join(dir, 'journal.jsonl');
    const journal = new Journal(path, 'run-1', () => Date.parse('2026-11-26T00:00:00.000Z'));
    journal.append('started', 0, { command: 'true' });
    journal.append('ended', 1, { exitCode: 0 }, 'OK');
    appendFileSync(path, '{"ts":"2026-11-26T00:0');
    const events = readJournal(path);
    expect(events).toEqual([
      {
        ts: '2026-11-26T00:00:00.000Z',
        runId: 'run-1',
        attempt: 0,
        type: 'started',
        command: 'true',
      },
      {
        ts: '2026-11-26T00:00:00.000Z',
        runId: 'run-1',
        attempt: 1,
        type: 'ended',
        exitCode: 0,
        reason: 'OK',
      },
    ]);
    for (const event of events) expect(journalEventSchema.safeParse(event).success).toBe(true);
  });
});
