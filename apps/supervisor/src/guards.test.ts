import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';
import { formatSetting, guardRow, judgeDoneWatcher, LOOP_GUARDS, unanswered } from './guards.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'guards-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('guard rows', () => {
  it('formats settings exactly', () => {
    expect(formatSetting(9 * 3_600_000)).toBe('9h');
    expect(formatSetting(90 * 60_000)).toBe('90m');
    expect(formatSetting(150_000)).toBe('150s');
    expect(formatSetting(1500)).toBe('1500ms');
  });

  it('is off-by-config when the config turns it off, divergent whenever configured ≠ effective', () => {
    const base = { loop: 'a', guard: 'idle-timeout' as const, lastFiredAt: null, reason: 'r' };
    expect(guardRow({ ...base, configured: 'off', effective: 'not ticking' })).toMatchObject({
      state: 'off-by-config',
      effective: 'off',
      reason: 'off in the config (run.idleTimeout)',
    });
    expect(guardRow({ ...base, configured: '15m', effective: '15m' }).state).toBe('on');
    expect(guardRow({ ...base, configured: '15m', effective: 'not ticking' }).state).toBe(
      'off-runtime-divergent',
    );
  });

  it('with no answer, shows every configured guard divergent, never green', () => {
    const config = parseConfig(
      'loops:\n  a:\n    command: "true"\n    run: { idleTimeout: 0, startupTimeout: 1m }\n',
      join(dir, 'runwarden.yaml'),
    );
    const rows = unanswered(config, 'supervisor stopped', 'it is stopped');
    expect(rows.map((row) => row.guard)).toEqual([...LOOP_GUARDS, 'done-watcher']);
    expect(rows.filter((row) => row.state === 'on')).toEqual([]);
    expect(rows.filter((row) => row.state === 'off-by-config').map((row) => row.guard)).toEqual([
      'mission-timeout',
      'idle-timeout',
      'progress-timeout',
      'target-lease',
      'done-watcher',
    ]);
  });
});

describe('the done-watcher row', () => {
  const facts = { lastCheckedAtMs: Date.now(), checking: false, fired: false };
  const done = () => ({
    kind: 'file' as const,
    file: join(dir, 'work', 'plan.md'),
    line: '## DONE',
    everyMs: 1000,
  });

  it('reads the done path for real: a missing directory, a file in its place, a stale watcher', () => {
    mkdirSync(join(dir, 'work'));
    expect(judgeDoneWatcher({ done: done(), watcher: facts, lastFiredAt: null }).state).toBe('on');
    rmSync(join(dir, 'work'), { recursive: true });
    expect(judgeDoneWatcher({ done: done(), watcher: facts, lastFiredAt: null })).toMatchObject({
      effective: 'directory gone',
      state: 'off-runtime-divergent',
      reason: `${join(dir, 'work')} does not exist: ${join(dir, 'work', 'plan.md')} can never be seen`,
    });
    writeFileSync(join(dir, 'work'), 'not a directory');
    expect(judgeDoneWatcher({ done: done(), watcher: facts, lastFiredAt: null }).effective).toBe(
      'directory gone',
    );
    rmSync(join(dir, 'work'));
    mkdirSync(join(dir, 'work'));
    const stale = { ...facts, lastCheckedAtMs: Date.now() - 3500 };
    expect(judgeDoneWatcher({ done: done(), watcher: stale, lastFiredAt: null })).toMatchObject({
      effective: 'not checking',
      state: 'off-runtime-divergent',
    });
    expect(judgeDoneWatcher({ done: undefined, watcher: undefined, lastFiredAt: null }).state).toBe(
      'off-by-config',
    );
  });

  it.skipIf(process.getuid?.() === 0)(
    'calls an unreadable directory divergent (not as root: root reads it anyway)',
    () => {
      mkdirSync(join(dir, 'work'));
      chmodSync(join(dir, 'work'), 0o000);
      try {
        expect(
          judgeDoneWatcher({ done: done(), watcher: facts, lastFiredAt: null }).effective,
        ).toBe('unreadable');
      } finally {
        chmodSync(join(dir, 'work'), 0o700);
      }
    },
  );
});
