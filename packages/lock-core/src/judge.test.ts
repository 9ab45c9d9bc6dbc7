import type { IdentityStatus } from '@runwarden/process-identity';
import { describe, expect, it } from 'vitest';
import { type JudgeFacts, judge, type LockContent, lastSignOfLifeMs } from './judge.js';
import type { LockRecord } from './schema.js';

const now = Date.parse('2026-11-26T12:00:00.000Z');
const record: LockRecord = {
  schemaVersion: 1,
  runnerToken: 'runwarden',
  repoMarker: '/repo',
  holder: { pid: 42, startTicks: 1, startTimeMs: 0, bootId: 'b', machineId: 'm', hostname: 'h' },
  acquiredAt: '2026-11-26T11:00:00.000Z',
  heartbeatAt: '2026-11-26T11:59:50.000Z',
  nonce: 'nonce-0001',
  fencingToken: 3,
};
/** Heartbeat 10 s old: fresh against the 30 s window. */
const fresh: LockContent = { kind: 'record', record };
/** Heartbeat and mtime an hour old. */
const old: LockContent = {
  kind: 'record',
  record: { ...record, heartbeatAt: '2026-11-26T11:00:00.000Z' },
  mtimeMs: Date.parse('2026-11-26T11:00:00.000Z'),
};
const legacy: LockContent = {
  kind: 'legacy',
  record: { pid: 42, runner_token: 'opencode_ci_runner', repo_marker: '/repo' },
  mtimeMs: now - 3_600_000,
};
const base: JudgeFacts = {
  networkFilesystem: false,
  foreignHostTakeover: false,
  staleAfterMs: 30_000,
  incompleteGraceMs: 2000,
};
const verdict = (status: IdentityStatus, reason = 'x') => ({ status, reason });

describe('judge, as a truth table', () => {
  type Row = [string, LockContent, Partial<JudgeFacts>, 'held' | 'stale', string];
  const foreign = verdict('foreign-host', 'machine-id-differs');
  const rows: Row[] = [
    // Same machine: the holder's identity decides, whatever the heartbeat.
    ['alive, fresh heartbeat', fresh, { holder: verdict('alive') }, 'held', 'holder-alive'],
    ['alive, heartbeat an hour old', old, { holder: verdict('alive') }, 'held', 'holder-alive'],
    ['dead', fresh, { holder: verdict('dead') }, 'stale', 'holder-dead'],
    [
      'dead, heartbeat fresh',
      fresh,
      { holder: verdict('dead', 'no-such-process') },
      'stale',
      'holder-dead',
    ],
    ['pid reused', fresh, { holder: verdict('reused') }, 'stale', 'holder-reused'],
    [
      'unknown (EPERM)',
      old,
      { holder: verdict('unknown', 'EPERM') },
      'held',
      'holder-unknown:EPERM',
    ],
    ['not verified at all', old, {}, 'held', 'holder-unknown:not-verified'],
    // Reboot: no holder survives it.
    [
      'boot id changed',
      fresh,
      { holder: verdict('dead', 'boot-changed') },
      'stale',
      'boot-changed',
    ],
    // Extra liveness from the caller.
    [
      'dead, run still alive',
      old,
      { holder: verdict('dead'), orphanPids: [7, 8] },
      'held',
      'orphaned-run',
    ],
    [
      'reused, run still alive',
      old,
      { holder: verdict('reused'), orphanPids: [7] },
      'held',
      'orphaned-run',
    ],
    [
      'dead, no orphans left',
      old,
      { holder: verdict('dead'), orphanPids: [] },
      'stale',
      'holder-dead',
    ],
    [
      'alive, orphans too',
      old,
      { holder: verdict('alive'), orphanPids: [7] },
      'held',
      'holder-alive',
    ],
    // Another machine: never probed; heartbeat and opt-in decide, never on a network fs.
    ['foreign, fresh, no opt-in', fresh, { holder: foreign }, 'held', 'foreign-host'],
    [
      'foreign, fresh, opt-in',
      fresh,
      { holder: foreign, foreignHostTakeover: true },
      'held',
      'foreign-host',
    ],
    ['foreign, stale, no opt-in', old, { holder: foreign }, 'held', 'foreign-host'],
    [
      'foreign, stale, opt-in',
      old,
      { holder: foreign, foreignHostTakeover: true },
      'stale',
      'foreign-heartbeat-expired',
    ],
    [
      'foreign, stale, opt-in, network fs',
      old,
      { holder: foreign, foreignHostTakeover: true, networkFilesystem: true },
      'held',
      'foreign-host-network-fs',
    ],
    [
      'foreign, fresh, network fs',
      fresh,
      { holder: foreign, networkFilesystem: true },
      'held',
      'foreign-host-network-fs',
    ],
    [
      'another pid namespace, stale, opt-in',
      old,
      { holder: verdict('foreign-host', 'pid-namespace-differs'), foreignHostTakeover: true },
      'stale',
      'foreign-heartbeat-expired',
    ],
    // LifeOS bodies: judged by pid and runner token; they name no machine.
    ['LifeOS, runner alive', legacy, { holder: verdict('alive') }, 'held', 'holder-alive'],
    ['LifeOS, pid dead', legacy, { holder: verdict('dead') }, 'stale', 'holder-dead'],
    [
      'LifeOS, pid runs something else',
      legacy,
      { holder: verdict('reused') },
      'stale',
      'holder-reused',
    ],
    [
      'LifeOS, cmdline unreadable',
      legacy,
      { holder: verdict('unknown', 'cmdline-empty') },
      'held',
      'holder-unknown:cmdline-empty',
    ],
    [
      'LifeOS, pid dead, network fs',
      legacy,
      { holder: verdict('dead'), networkFilesystem: true },
      'held',
      'legacy-network-fs',
    ],
    // Empty or cut short: the creator's grace, from the mtime.
    [
      'incomplete, 500 ms old',
      { kind: 'incomplete', mtimeMs: now - 500 },
      {},
      'held',
      'being-written',
    ],
    [
      'incomplete, exactly the grace',
      { kind: 'incomplete', mtimeMs: now - 2000 },
      {},
      'held',
      'being-written',
    ],
    [
      'incomplete, 2.5 s old',
      { kind: 'incomplete', mtimeMs: now - 2500 },
      {},
      'stale',
      'incomplete-abandoned',
    ],
  ];

  it.each(rows)('%s → %s', (_name, content, facts, state, reason) => {
    expect(judge(content, { ...base, ...facts }, now)).toMatchObject({ state, reason });
  });

  it('covers every reason judge can give, held and stale', () => {
    const reasons = new Set(rows.map((row) => row[4].split(':')[0]));
    expect([...reasons].sort()).toEqual(
      [
        'being-written',
        'boot-changed',
        'foreign-heartbeat-expired',
        'foreign-host',
        'foreign-host-network-fs',
        'holder-alive',
        'holder-dead',
        'holder-reused',
        'holder-unknown',
        'incomplete-abandoned',
        'legacy-network-fs',
        'orphaned-run',
      ].sort(),
    );
  });
});

describe('judge, heartbeat of a foreign holder', () => {
  const foreign = { holder: verdict('foreign-host'), foreignHostTakeover: true };

  it('is stale just past the window and held just inside it', () => {
    const at = (ageMs: number): LockContent => ({
      kind: 'record',
      record: { ...record, heartbeatAt: new Date(now - ageMs).toISOString() },
    });
    expect(judge(at(30_001), { ...base, ...foreign }, now).state).toBe('stale');
    expect(judge(at(30_000), { ...base, ...foreign }, now).state).toBe('held');
  });

  it('never judges a holder by a window shorter than the one it recorded', () => {
    const content: LockContent = {
      kind: 'record',
      record: {
        ...record,
        heartbeatAt: new Date(now - 45_000).toISOString(),
        staleAfterMs: 60_000,
      },
    };
    expect(judge(content, { ...base, ...foreign }, now)).toMatchObject({
      state: 'held',
      reason: 'foreign-host',
      heartbeatAgeMs: 45_000,
    });
  });

  it('counts a fresh mtime as a heartbeat (the in-place heartbeat moves both)', () => {
    const content: LockContent = { ...old, mtimeMs: now - 1000 } as LockContent;
    expect(judge(content, { ...base, ...foreign }, now)).toMatchObject({
      state: 'held',
      heartbeatAgeMs: 1000,
    });
  });

  it('holds when no heartbeat can be read at all', () => {
    const content: LockContent = {
      kind: 'record',
      record: { ...record, heartbeatAt: 'garbled' },
    };
    expect(judge(content, { ...base, ...foreign }, now)).toEqual({
      state: 'held',
      reason: 'foreign-host',
    });
  });
});

describe('lastSignOfLifeMs', () => {
  it('takes the later of heartbeatAt and mtime', () => {
    expect(lastSignOfLifeMs({ kind: 'record', record, mtimeMs: now })).toBe(now);
    expect(lastSignOfLifeMs({ kind: 'record', record, mtimeMs: 0 })).toBe(now - 10_000);
    expect(lastSignOfLifeMs(legacy)).toBe(now - 3_600_000);
  });
});
