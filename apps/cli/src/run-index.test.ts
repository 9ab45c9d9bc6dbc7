import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listRuns, newestRuns } from './run-index.js';

let stateDir: string;
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'runwarden-run-index-'));
});
afterEach(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

/** A run directory with a journal (the journal's content is not read here). */
function makeRun(dir: string, runId: string): string {
  const runDir = join(dir, runId);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'journal.jsonl'), '');
  return runDir;
}

describe('newestRuns', () => {
  it('gives the runs and the loops’ runs newest first, each a real directory with a journal', () => {
    const runs = join(stateDir, 'runs');
    makeRun(runs, '20261202-064824-093-aaaaaa');
    makeRun(runs, '20261202-064824-493-000000');
    makeRun(join(stateDir, 'loops', 'nightly', 'runs'), '20261202-064824-200-ffffff');
    mkdirSync(join(runs, '20261202-070000-000-cccccc')); // no journal (yet)
    symlinkSync(makeRun(stateDir, 'elsewhere'), join(runs, '20261202-080000-000-dddddd'));
    makeRun(runs, 'not a run id');
    expect(listRuns(stateDir)).toEqual([
      { runId: '20261202-064824-493-000000', runDir: join(runs, '20261202-064824-493-000000') },
      {
        runId: '20261202-064824-200-ffffff',
        runDir: join(stateDir, 'loops', 'nightly', 'runs', '20261202-064824-200-ffffff'),
        loop: 'nightly',
      },
      { runId: '20261202-064824-093-aaaaaa', runDir: join(runs, '20261202-064824-093-aaaaaa') },
    ]);
  });

  it('checks a run’s journal only when it reaches that run', () => {
    const runs = join(stateDir, 'runs');
    makeRun(runs, '20261202-064824-493-000000');
    const older = makeRun(runs, '20261202-064824-093-aaaaaa');
    const runsSeen = newestRuns(stateDir);
    expect(runsSeen.next().value?.runId).toBe('20261202-064824-493-000000');
    // The older run's journal goes away after the directory was read: it is not given.
    rmSync(join(older, 'journal.jsonl'));
    expect(runsSeen.next()).toEqual({ done: true, value: undefined });
  });

  it('gives nothing for a state directory without runs', () => {
    expect(listRuns(join(stateDir, 'missing'))).toEqual([]);
  });
});
