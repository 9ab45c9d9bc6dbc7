/**
 * One conformance suite, run against every store: each status of each
 * operation, the exact messages, fencing tokens, bounded history and the
 * archive. A store that passes it can replace another.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { captureIdentity, type ProcessIdentity } from '@runwarden/process-identity';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CoordinationStore, StoreOptions } from '../src/index.js';
import { type MadeStore, storeKinds } from './stores.js';

const t0 = Date.parse('2026-11-26T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

let deadOwner: ProcessIdentity;
let me: ProcessIdentity;
beforeAll(async () => {
  const gone = spawn('true');
  await once(gone, 'exit');
  me = captureIdentity()!;
  deadOwner = { ...me, pid: gone.pid!, startTicks: 1, comm: 'true' };
});

for (const kind of storeKinds) {
  describe.skipIf(kind.skip)(`${kind.name} conformance`, () => {
    let clock = t0;
    const made: MadeStore[] = [];
    const open = async (options: StoreOptions = {}): Promise<CoordinationStore> => {
      const next = await kind.make({ now: () => clock, ...options });
      made.push(next);
      return next.store;
    };
    afterEach(async () => {
      clock = t0;
      for (const entry of made.splice(0)) await entry.cleanup();
    });

    describe('claim', () => {
      it('claims a target with no record as claimed_new, fencing token 1', async () => {
        const store = await open();
        const result = await store.claim('Acme/Widgets#12', {
          runId: 'run-a',
          owner: me,
          leaseMs: 60_000,
        });
        const activeRun = {
          runId: 'run-a',
          claimedAt: iso(t0),
          updatedAt: iso(t0),
          leaseMs: 60_000,
          fencingToken: 1,
          owner: me,
        };
        expect(result).toEqual({
          ok: true,
          status: 'claimed_new',
          target: 'acme/widgets#12',
          runId: 'run-a',
          activeRun,
          previousRun: null,
          exitSignals: [],
          fencingToken: 1,
        });
        expect(await store.get('acme/widgets#12')).toEqual({
          schemaVersion: 2,
          target: { repo: 'acme/widgets', pr: 12 },
          activeRun,
          previousRun: null,
          history: [{ type: 'claim', runId: 'run-a', at: iso(t0), fencingToken: 1 }],
          exitSignals: [],
          lastFencingToken: 1,
        });
      });

      it('answers refreshed to the owner claiming again, with the same token', async () => {
        const store = await open();
        await store.claim('queue:item-7', { runId: 'run-a' });
        clock += 1000;
        expect(await store.claim('queue:item-7', { runId: 'run-a' })).toMatchObject({
          ok: true,
          status: 'refreshed',
          fencingToken: 1,
          activeRun: { claimedAt: iso(t0), updatedAt: iso(t0 + 1000) },
        });
        expect((await store.get('queue:item-7'))?.history.map((entry) => entry.type)).toEqual([
          'claim',
          'refresh',
        ]);
      });

      it('fails closed with active_run_exists on a live owner and writes nothing', async () => {
        const store = await open();
        await store.claim('queue:item-7', { runId: 'run-a', owner: me });
        const before = await store.get('queue:item-7');
        expect(await store.claim('queue:item-7', { runId: 'run-b', owner: me })).toEqual({
          ok: false,
          error: 'active_run_exists',
          message: 'Target queue:item-7 is already owned by run run-a. Claim failed closed.',
          target: 'queue:item-7',
          runId: 'run-b',
          activeRun: before?.activeRun,
          exitSignals: [],
        });
        expect(await store.get('queue:item-7')).toEqual(before);
      });

      it('claims an expired lease as claimed_expired with the next token', async () => {
        const store = await open();
        await store.claim('queue:item-7', { runId: 'run-a', owner: me, leaseMs: 1000 });
        clock += 1000;
        expect((await store.claim('queue:item-7', { runId: 'run-b' })).ok).toBe(false);
        clock += 1;
        expect(await store.claim('queue:item-7', { runId: 'run-b' })).toMatchObject({
          ok: true,
          status: 'claimed_expired',
          fencingToken: 2,
          previousRun: { runId: 'run-a', replacedAt: iso(t0 + 1001), replacedByRunId: 'run-b' },
        });
      });

      it('claims at once a target whose owner died on this machine (claimed_dead_owner)', async () => {
        const store = await open();
        await store.claim('queue:item-7', { runId: 'run-a', owner: deadOwner });
        expect(await store.claim('queue:item-7', { runId: 'run-b', owner: me })).toMatchObject({
          ok: true,
          status: 'claimed_dead_owner',
          fencingToken: 2,
        });
        expect((await store.get('queue:item-7'))?.history.at(-1)).toMatchObject({
          type: 'claim',
          runId: 'run-b',
          previousRunId: 'run-a',
          reason: 'claimed_dead_owner',
          fencingToken: 2,
        });
      });

      it('answers claimed_dead_owner, not taken_over, to a takeover of an owner that died', async () => {
        const store = await open();
        await store.claim('queue:item-7', { runId: 'run-a', owner: deadOwner });
        expect(
          await store.claim('queue:item-7', { runId: 'run-b', mode: 'takeover' }),
        ).toMatchObject({ ok: true, status: 'claimed_dead_owner', fencingToken: 2 });
      });

      it("never treats another machine's owner as dead, whatever its pid says", async () => {
        const store = await open();
        await store.claim('queue:item-7', {
          runId: 'run-a',
          owner: { ...deadOwner, machineId: 'another-machine', bootId: 'another-boot' },
        });
        expect(await store.claim('queue:item-7', { runId: 'run-b' })).toMatchObject({
          ok: false,
          error: 'active_run_exists',
        });
      });

      it('never treats an owner whose identity is unknown as dead', async () => {
        const store = await open({ verifyOwner: () => ({ status: 'unknown', reason: 'test' }) });
        await store.claim('queue:item-7', { runId: 'run-a', owner: deadOwner });
        expect(await store.claim('queue:item-7', { runId: 'run-b' })).toMatchObject({
          ok: false,
          error: 'active_run_exists',
        });
      });

      it('takes over a live owner on request (taken_over) with the next token', async () => {
        const store = await open();
        await store.claim('queue:item-7', { runId: 'run-a', owner: me });
        clock += 5;
        expect(
          await store.claim('queue:item-7', { runId: 'run-b', mode: 'takeover' }),
        ).toMatchObject({
          ok: true,
          status: 'taken_over',
          fencingToken: 2,
          activeRun: { runId: 'run-b', fencingToken: 2 },
          previousRun: { runId: 'run-a', replacedAt: iso(t0 + 5), replacedByRunId: 'run-b' },
        });
        expect((await store.get('queue:item-7'))?.history.at(-1)).toEqual({
          type: 'takeover',
          runId: 'run-b',
          previousRunId: 'run-a',
          at: iso(t0 + 5),
          reason: 'taken_over',
          fencingToken: 2,
        });
      });

      it('refuses a bad target, an empty run id and a bad lease with typed errors', async () => {
        const store = await open();
        await expect(store.claim('acme/widgets#0', { runId: 'a' })).rejects.toMatchObject({
          code: 'ERR_INVALID_TARGET',
          message:
            'Invalid pull request number in target "acme/widgets#0": must be a positive integer.',
        });
        await expect(store.claim('queue:x', { runId: '  ' })).rejects.toMatchObject({
          code: 'ERR_INVALID_RUN_ID',
          message: 'A non-empty run id is required.',
        });
        await expect(store.claim('queue:x', { runId: 'a', leaseMs: 0 })).rejects.toMatchObject({
          code: 'ERR_INVALID_OPTION',
          message: 'Invalid lease 0: use a positive whole number of milliseconds up to 30 days.',
        });
        expect(await store.list()).toEqual([]);
      });
    });

    describe('refresh', () => {
      it('extends the lease of the owner (refreshed) without a history entry', async () => {
        const store = await open();
        await store.claim('queue:item-7', { runId: 'run-a', leaseMs: 1000 });
        clock += 900;
        expect(await store.refresh('queue:item-7', 'run-a')).toMatchObject({
          ok: true,
          status: 'refreshed',
          activeRun: { updatedAt: iso(t0 + 900) },
        });
        clock += 900;
        expect((await store.claim('queue:item-7', { runId: 'run-b' })).ok).toBe(false);
        expect((await store.get('queue:item-7'))?.history).toHaveLength(1);
      });

      it('answers ownership_lost to a replaced run and ownership_missing without an owner', async () => {
        const store = await open();
        await store.claim('queue:item-7', { runId: 'run-a' });
        await store.claim('queue:item-7', { runId: 'run-b', mode: 'takeover' });
        expect(await store.refresh('queue:item-7', 'run-a')).toMatchObject({
          ok: false,
          error: 'ownership_lost',
          message: 'Target queue:item-7 is now owned by run run-b; run run-a must stop.',
        });
        expect(await store.refresh('queue:other', 'run-a')).toMatchObject({
          ok: false,
          error: 'ownership_missing',
          message: 'Target queue:other has no active owner to refresh for run run-a.',
        });
      });
    });

    describe('assertOwnership', () => {
      it('confirms the owner, and answers no_owner_record or ownership_missing without one', async () => {
        const store = await open();
        const claim = await store.claim('queue:item-7', { runId: 'run-a' });
        expect(
          await store.assertOwnership('queue:item-7', {
            runId: 'run-a',
            fencingToken: claim.ok ? claim.fencingToken : -1,
          }),
        ).toMatchObject({ ok: true, status: 'owner_confirmed', fencingToken: 1 });
        expect(await store.assertOwnership('queue:none', { runId: 'run-a' })).toMatchObject({
          ok: true,
          status: 'no_owner_record',
          activeRun: null,
        });
        expect(
          await store.assertOwnership('queue:none', { runId: 'run-a', requireExisting: true }),
        ).toMatchObject({
          ok: false,
          error: 'ownership_missing',
          message: 'Target queue:none has no active runner ownership record for run run-a.',
        });
      });

      it('answers ownership_lost to another run, and to an old fencing token of the same run', async () => {
        const store = await open();
        await store.claim('queue:item-7', { runId: 'run-a' });
        expect(await store.assertOwnership('queue:item-7', { runId: 'run-b' })).toMatchObject({
          ok: false,
          error: 'ownership_lost',
        });
        await store.release('queue:item-7', 'run-a');
        await store.claim('queue:item-7', { runId: 'run-a' });
        expect(
          await store.assertOwnership('queue:item-7', { runId: 'run-a', fencingToken: 1 }),
        ).toEqual({
          ok: false,
          error: 'ownership_lost',
          message:
            "Target queue:item-7 has a newer fencing token (2) than run run-a's 1; it must stop.",
          target: 'queue:item-7',
          runId: 'run-a',
          activeRun: expect.objectContaining({ runId: 'run-a', fencingToken: 2 }),
          exitSignals: [],
        });
        expect(
          await store.assertOwnership('queue:item-7', { runId: 'run-a', fencingToken: 2 }),
        ).toMatchObject({ ok: true, status: 'owner_confirmed' });
      });
    });

    describe('release', () => {
      it('releases its own claim, then the next claim gets the next token', async () => {
        const store = await open();
        await store.claim('queue:item-7', { runId: 'run-a' });
        clock += 10;
        expect(await store.release('queue:item-7', 'run-a')).toEqual({
          ok: true,
          status: 'released',
          target: 'queue:item-7',
          runId: 'run-a',
          activeRun: null,
          previousRun: { runId: 'run-a', replacedAt: iso(t0 + 10), replacedByRunId: null },
          exitSignals: [],
        });
        expect(await store.claim('queue:item-7', { runId: 'run-b' })).toMatchObject({
          status: 'claimed_new',
          fencingToken: 2,
        });
      });

      it('is a no-op without a record and refuses anyone but the owner', async () => {
        const store = await open();
        expect(await store.release('queue:none', 'run-a')).toMatchObject({
          ok: true,
          status: 'release_noop',
        });
        expect(await store.get('queue:none')).toBeNull();
        await store.claim('queue:item-7', { runId: 'run-a' });
        expect(await store.release('queue:item-7', 'run-b')).toMatchObject({
          ok: false,
          error: 'ownership_lost',
          message: 'Cannot release queue:item-7: active owner is run-a, not run-b.',
        });
        await store.release('queue:item-7', 'run-a');
        expect(await store.release('queue:item-7', 'run-a')).toMatchObject({
          ok: false,
          error: 'ownership_lost',
          message: 'Cannot release queue:item-7: no active owner record remains for run-a.',
        });
      });
    });

    describe('recordExitSignal', () => {
      it('records why the owner stopped, and refuses others', async () => {
        const store = await open();
        await store.claim('queue:item-7', { runId: 'run-a' });
        expect(
          await store.recordExitSignal('queue:item-7', {
            runId: 'run-a',
            reason: '  MISSION_TIMEOUT  ',
          }),
        ).toMatchObject({
          ok: true,
          status: 'exit_signal_recorded',
          exitSignals: [{ runId: 'run-a', at: iso(t0), reason: 'MISSION_TIMEOUT' }],
        });
        expect(await store.recordExitSignal('queue:item-7', { runId: 'run-b' })).toMatchObject({
          ok: false,
          error: 'ownership_lost',
          message: 'Cannot record exit signal: queue:item-7 is owned by run-a, not run-b.',
        });
        expect(
          await store.recordExitSignal('queue:item-7', {
            runId: 'run-b',
            requireActiveOwner: false,
          }),
        ).toMatchObject({ ok: true, status: 'exit_signal_recorded' });
        expect(await store.recordExitSignal('queue:none', { runId: 'run-a' })).toMatchObject({
          ok: false,
          error: 'ownership_missing',
          message: 'Cannot record exit signal: queue:none has no runner coordination record.',
        });
      });
    });

    describe('get, list and the bounded history', () => {
      it('lists every target with a record, sorted by key', async () => {
        const store = await open();
        expect(await store.get('queue:none')).toBeNull();
        await store.claim('queue:b', { runId: 'run-a' });
        await store.claim('acme/widgets#3', { runId: 'run-a' });
        await store.claim('queue:a', { runId: 'run-a' });
        expect((await store.list()).map((entry) => entry.target)).toEqual([
          'acme/widgets#3',
          'queue:a',
          'queue:b',
        ]);
      });

      it('keeps the last historyLimit entries and moves the older ones to the archive, in order', async () => {
        const store = await open({ historyLimit: 5 });
        const types: string[] = [];
        for (let round = 0; round < 30; round++) {
          clock += 1;
          await store.claim('queue:item-7', { runId: `run-${round}` });
          await store.recordExitSignal('queue:item-7', { runId: `run-${round}`, reason: 'x' });
          await store.release('queue:item-7', `run-${round}`);
          types.push('claim', 'release');
        }
        const record = await store.get('queue:item-7');
        expect(record?.history).toHaveLength(5);
        expect(record?.exitSignals).toHaveLength(5);
        expect(record?.lastFencingToken).toBe(30);
        const archived = await store.archived('queue:item-7');
        const history = [
          ...archived.filter((entry) => entry.kind === 'history').map((entry) => entry.entry),
          ...(record?.history ?? []),
        ];
        expect(history.map((entry) => (entry as { type: string }).type)).toEqual(types);
        expect(
          history.filter((entry) => entry.type === 'claim').map((entry) => entry.fencingToken),
        ).toEqual(Array.from({ length: 30 }, (_, index) => index + 1));
        const signals = archived.filter((entry) => entry.kind === 'exitSignal');
        expect(signals.length + (record?.exitSignals.length ?? 0)).toBe(30);
        expect(signals[0]).toMatchObject({ target: 'queue:item-7', entry: { runId: 'run-0' } });
        expect(await store.claim('queue:item-7', { runId: 'run-x' })).toMatchObject({
          fencingToken: 31,
        });
      });
    });
  });
}
