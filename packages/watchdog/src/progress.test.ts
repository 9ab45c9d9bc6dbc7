import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_CHECKPOINT_BYTES, ProgressWatcher, readCheckpoint } from './progress.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'progress-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('ProgressWatcher', () => {
  it('reports a watched file that changes, appears or goes, once per change', () => {
    writeFileSync(join(dir, 'PROGRESS.md'), 'a');
    const watcher = new ProgressWatcher({ watchPaths: ['PROGRESS.md', 'later.txt'], cwd: dir });
    expect(watcher.active).toBe(true);
    expect(watcher.poll()).toEqual([]);
    writeFileSync(join(dir, 'PROGRESS.md'), 'ab');
    expect(watcher.poll()).toEqual([join(dir, 'PROGRESS.md')]);
    expect(watcher.poll()).toEqual([]);
    writeFileSync(join(dir, 'later.txt'), '');
    expect(watcher.poll()).toEqual([join(dir, 'later.txt')]);
    rmSync(join(dir, 'later.txt'));
    expect(watcher.poll()).toEqual([join(dir, 'later.txt')]);
  });

  it('keeps the last valid checkpoint from the heartbeat file', () => {
    const heartbeat = join(dir, 'heartbeat.json');
    const watcher = new ProgressWatcher({ heartbeatFile: heartbeat });
    expect(watcher.lastCheckpoint()).toBeUndefined();
    writeFileSync(heartbeat, JSON.stringify({ sessionId: 's-1', lastTask: 'T3', head: 'abc123' }));
    expect(watcher.poll()).toEqual([heartbeat]);
    expect(watcher.lastCheckpoint()).toEqual({ sessionId: 's-1', lastTask: 'T3', head: 'abc123' });
    writeFileSync(heartbeat, 'touched, not JSON');
    expect(watcher.poll()).toEqual([heartbeat]);
    expect(watcher.lastCheckpoint()).toEqual({ sessionId: 's-1', lastTask: 'T3', head: 'abc123' });
  });

  it('is inactive with no source', () => {
    expect(new ProgressWatcher({}).active).toBe(false);
  });
});

describe('readCheckpoint', () => {
  it('reads only a JSON object of bounded size', () => {
    const file = join(dir, 'c');
    writeFileSync(file, '[1,2]');
    expect(readCheckpoint(file)).toBeUndefined();
    writeFileSync(file, JSON.stringify({ big: 'x'.repeat(MAX_CHECKPOINT_BYTES) }));
    expect(readCheckpoint(file)).toBeUndefined();
    expect(readCheckpoint(join(dir, 'missing'))).toBeUndefined();
    writeFileSync(file, '{"sessionId":"s"}');
    expect(readCheckpoint(file)).toEqual({ sessionId: 's' });
  });
});
