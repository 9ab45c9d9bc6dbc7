import { describe, expect, it } from 'vitest';
import { explain } from './explain.js';
import type { LockRecord } from './schema.js';

const holder: LockRecord = {
  schemaVersion: 1,
  runnerToken: 'runwarden',
  repoMarker: '/repo',
  holder: { pid: 42, startTicks: 1, startTimeMs: 0, bootId: 'b', machineId: 'm', hostname: 'box' },
  acquiredAt: '2026-11-26T11:00:00.000Z',
  heartbeatAt: '2026-11-26T11:59:50.000Z',
  nonce: 'nonce-0001',
  fencingToken: 3,
  runId: 'r1',
};
const context = { staleAfterMs: 30_000, incompleteGraceMs: 2000 };

describe('explain', () => {
  it('says a live holder holds it', () => {
    expect(
      explain({ state: 'held', reason: 'holder-alive', holder, heartbeatAgeMs: 1500, ...context }),
    ).toBe('Held by pid 42 on box, run r1, which is alive (last heartbeat 1.5 s ago).');
  });

  it('says why whenever the reason is not a live holder', () => {
    expect(
      explain({
        state: 'held',
        reason: 'holder-unknown:EPERM',
        holder,
        holderVerdict: { status: 'unknown', reason: 'EPERM' },
        ...context,
      }),
    ).toBe(
      'Held: pid 42 on box, run r1 could not be checked (EPERM); a lock is taken over only on proof that its holder is gone.',
    );
    expect(
      explain({ state: 'held', reason: 'orphaned-run', holder, orphanPids: [7, 8], ...context }),
    ).toContain('processes of its run are still alive (7, 8)');
    expect(
      explain({
        state: 'held',
        reason: 'foreign-host-network-fs',
        holder,
        holderVerdict: { status: 'foreign-host', reason: 'machine-id-differs' },
        filesystem: { kind: 'network', fsType: 'nfs4' },
        ...context,
      }),
    ).toContain(
      'the lock directory is on nfs4, which machines may share, so it is never taken over',
    );
    expect(
      explain({ state: 'held', reason: 'foreign-host', holder, heartbeatAgeMs: 5000, ...context }),
    ).toContain('with foreignHostTakeover it is taken over once that passes 30.0 s');
    expect(explain({ state: 'held', reason: 'being-written', ...context })).toContain(
      'it is given 2.0 s',
    );
    expect(
      explain({
        state: 'held',
        reason: 'legacy-network-fs',
        legacyHolder: { pid: 9, runner_token: 'opencode_ci_runner' },
        filesystem: { kind: 'network', fsType: 'cifs' },
        ...context,
      }),
    ).toContain('names no machine and the lock directory is on cifs');
  });

  it('says what a takeover would do', () => {
    expect(
      explain({
        state: 'stale',
        reason: 'holder-dead',
        holder,
        holderVerdict: { status: 'dead', reason: 'no-such-process' },
        ...context,
      }),
    ).toBe(
      'Stale: pid 42 on box, run r1 is gone (no-such-process); the next acquire takes it over.',
    );
  });
});
