/**
 * A DONE file left by an earlier run is not this run's DONE: it counts only
 * once it appears or its modification time moves after the start, and one
 * found at the start is a warning (in the result and the journal).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAgent } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'done-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sh = (script: string) => ({ command: 'sh', args: ['-c', script] });

describe('doneFile', () => {
  it('does not take a DONE file from before the start for this run’s: warns and waits for the run', async () => {
    writeFileSync(join(dir, 'DONE'), 'from yesterday\n');
    const started = performance.now();
    const { result, events } = await runAgent(dir, [], {
      ...sh('echo working; sleep 1; echo "turn ended"'),
      doneFile: 'DONE',
      completionGraceMs: 50,
      maxResumes: 0,
    });
    // Before: the stale file "completed" the run after the 50 ms grace and said OK.
    expect(result).toMatchObject({ reason: 'FALSE_SUCCESS', attempts: 1 });
    expect(performance.now() - started).toBeGreaterThan(900);
    const warning = events.find((event) => event.type === 'warning');
    expect(warning).toMatchObject({
      what: 'done-file-present',
      path: join(dir, 'DONE'),
      attempt: 0,
    });
    expect(String(warning?.message)).toMatch(
      /^The DONE file DONE was there before the run started \(modified \d{4}-\d\d-\d\dT[\d:.]+Z\); it counts only once it is written again\.$/,
    );
    expect(result.warnings).toEqual([warning?.message]);
    expect(events.map((event) => event.type).slice(0, 2)).toEqual(['started', 'warning']);
  });

  it('counts a DONE file from before the start once the run writes it again', async () => {
    writeFileSync(join(dir, 'DONE'), 'from yesterday\n');
    const { result } = await runAgent(dir, [], {
      ...sh('echo working; sleep 0.2; echo today > DONE; exec sleep 30'),
      doneFile: 'DONE',
      completionGraceMs: 50,
    });
    expect(result).toMatchObject({ reason: 'OK', completedBy: 'done-file', attempts: 1 });
  });

  it('counts a DONE file that appears during the run, without a warning', async () => {
    const { result, events } = await runAgent(dir, [], {
      ...sh('echo working; touch DONE'),
      doneFile: 'DONE',
    });
    expect(result).toMatchObject({ reason: 'OK', completedBy: 'done-file', warnings: [] });
    expect(events.some((event) => event.type === 'warning')).toBe(false);
  });
});
