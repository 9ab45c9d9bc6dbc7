import { describe, expect, it } from 'vitest';
import { type JudgeFacts, judge, type LockContent } from './judge.js';
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
const content: LockContent = { kind: 'record', record };
const base: JudgeFacts = {
  networkFilesystem: false,
  foreignHostTakeover: false,
  staleAfterMs: 30_000,
  incompleteGraceMs: 2000,
};
const old: LockContent = {
  kind: 'record',
  record: { ...record, heartbeatAt: '2026-11-26T11:00:00.000Z' },
};

describe('judge', () => {
  it.each([
    ['alive', 'held', 'holder-alive'],
    ['dead', 'stale', 'holder-dead'],
    ['reused', 'stale', 'holder-reused'],
    ['unknown', 'held', 'holder-unknown:x'],
  ] as const)('on this machine, a holder that is %s makes the lock %s', (status, state, reason) => {
    expect(judge(content, { ...base, holder: { status, reason: 'x' } }, now)).toMatchObject({
      state,
      reason,
    });
  });

  it('calls a lock from before a reboot stale', () => {
    expect(
      judge(content, { ...base, holder: { status: 'dead', reason: 'boot-changed' } }, now),
    ).toMatchObject({
      state: 'stale',
      reason: 'boot-changed',
    });
  });

  it('keeps a live holder held whatever the heartbeat says', () => {
    expect(judge(old, { ...base, holder: { status: 'alive', reason: 'x' } }, now)).toMatchObject({
      state: 'held',
      heartbeatAgeMs: 3_600_000,
    });
  });

  it('holds a dead holder whose run still has live processes (orphaned-run)', () => {
    expect(
      judge(content, { ...base, holder: { status: 'dead', reason: 'x' }, orphanPids: [7, 8] }, now),
    ).toMatchObject({
      state: 'held',
      reason: 'orphaned-run',
    });
  });

  describe('another machine', () => {
    const foreign = { status: 'foreign-host', reason: 'machine-id-differs' } as const;

    it('holds a fresh heartbeat even with the opt-in', () => {
      expect(
        judge(content, { ...base, holder: foreign, foreignHostTakeover: true }, now).state,
      ).toBe('held');
    });

    it('holds a stale heartbeat without the opt-in', () => {
      expect(judge(old, { ...base, holder: foreign }, now)).toMatchObject({
        state: 'held',
        reason: 'foreign-host',
      });
    });

    it('takes over a stale heartbeat with the opt-in', () => {
      expect(
        judge(old, { ...base, holder: foreign, foreignHostTakeover: true }, now),
      ).toMatchObject({
        state: 'stale',
        reason: 'foreign-heartbeat-expired',
      });
    });

    it('never takes over on a network filesystem', () => {
      expect(
        judge(
          old,
          { ...base, holder: foreign, foreignHostTakeover: true, networkFilesystem: true },
          now,
        ),
      ).toMatchObject({
        state: 'held',
        reason: 'foreign-host-network-fs',
      });
    });
  });

  it('gives an incomplete file its grace, then calls it abandoned', () => {
    expect(judge({ kind: 'incomplete', mtimeMs: now - 500 }, base, now)).toEqual({
      state: 'held',
      reason: 'being-written',
    });
    expect(judge({ kind: 'incomplete', mtimeMs: now - 2500 }, base, now)).toEqual({
      state: 'stale',
      reason: 'incomplete-abandoned',
    });
  });

  it('fails closed when the holder was not verified', () => {
    expect(judge(content, base, now).state).toBe('held');
  });
});
