/**
 * The commitments conformance suite, run against every store: idempotent
 * record on `externalKey`, the per-topic cap, expiry by the store's
 * (injected) clock, the `open → fulfilled | expired | dropped` transitions,
 * pruning of old closed commitments, and concurrent writers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  CLOSED_COMMITMENTS_KEPT,
  CoordinationError,
  type CoordinationStore,
  DEFAULT_COMMITMENT_CAP,
  DEFAULT_COMMITMENT_EXPIRY_MS,
  type RecordCommitmentInput,
  type StoreOptions,
} from '../src/index.js';
import { type MadeStore, storeKinds } from './stores.js';

const t0 = Date.parse('2026-11-26T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const claim = (overrides: Partial<RecordCommitmentInput> = {}): RecordCommitmentInput => ({
  externalKey: 'actionclaim:builder:restart',
  topic: 'builder',
  text: 'Restarting the server now.',
  verb: 'restart',
  runId: 'run-1',
  object: 'the server',
  ...overrides,
});

for (const kind of storeKinds) {
  describe.skipIf(kind.skip)(`${kind.name} commitments`, () => {
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

    describe('recordCommitment', () => {
      it('opens a commitment that expires 6 h later by default', async () => {
        const store = await open();
        const result = await store.recordCommitment(claim());
        expect(DEFAULT_COMMITMENT_EXPIRY_MS).toBe(6 * 60 * 60 * 1000);
        expect(result).toEqual({
          ok: true,
          status: 'opened',
          commitment: {
            id: expect.stringMatching(/^cmt_[0-9a-f-]{36}$/),
            externalKey: 'actionclaim:builder:restart',
            topic: 'builder',
            text: 'Restarting the server now.',
            verb: 'restart',
            object: 'the server',
            runId: 'run-1',
            state: 'open',
            createdAt: iso(t0),
            updatedAt: iso(t0),
            expiresAt: iso(t0 + DEFAULT_COMMITMENT_EXPIRY_MS),
            restatements: 0,
            closedAt: null,
            closeReason: null,
            evidence: null,
          },
        });
        expect(await store.listCommitments()).toEqual([result.ok && result.commitment]);
        expect(await store.list()).toEqual([]);
      });

      it('restates the open commitment with the same key: one commitment, its deadline kept', async () => {
        const store = await open();
        const first = await store.recordCommitment(claim());
        clock += 60_000;
        const again = await store.recordCommitment(
          claim({
            text: 'I will restart it now.',
            object: 'it',
            runId: 'run-2',
            expiresAt: t0 + 10 * DEFAULT_COMMITMENT_EXPIRY_MS,
          }),
        );
        expect(again).toMatchObject({
          ok: true,
          status: 'restated',
          commitment: {
            id: first.ok ? first.commitment.id : '',
            text: 'I will restart it now.',
            object: 'it',
            runId: 'run-2',
            createdAt: iso(t0),
            updatedAt: iso(t0 + 60_000),
            expiresAt: iso(t0 + DEFAULT_COMMITMENT_EXPIRY_MS),
            restatements: 1,
          },
        });
        await store.recordCommitment(claim({ text: 'Relaunching now.', object: null }));
        const all = await store.listCommitments();
        expect(all).toHaveLength(1);
        expect(all[0]).toMatchObject({ restatements: 2, text: 'Relaunching now.', object: 'it' });
      });

      it('keeps a key unique across topics: the same key in another topic restates the first', async () => {
        const store = await open();
        await store.recordCommitment(claim());
        const other = await store.recordCommitment(claim({ topic: 'reviewer' }));
        expect(other).toMatchObject({ status: 'restated', commitment: { topic: 'builder' } });
        expect(await store.listCommitments({ topic: 'reviewer' })).toEqual([]);
      });

      it('refuses a new commitment past the topic cap (default 5) and writes nothing', async () => {
        const store = await open();
        for (let index = 0; index < DEFAULT_COMMITMENT_CAP; index++) {
          clock += 1;
          await store.recordCommitment(claim({ externalKey: `key-${index}` }));
        }
        const before = await store.listCommitments();
        const refused = await store.recordCommitment(claim({ externalKey: 'key-5' }));
        expect(refused).toEqual({
          ok: false,
          error: 'cap_reached',
          message:
            'Topic builder already has 5 open commitments (cap 5); this one was not recorded.',
          topic: 'builder',
          capPerTopic: 5,
          open: before,
        });
        expect(await store.listCommitments()).toEqual(before);
        expect(await store.recordCommitment(claim({ externalKey: 'key-0' }))).toMatchObject({
          status: 'restated',
        });
        expect(
          await store.recordCommitment(claim({ externalKey: 'x', topic: 'other' })),
        ).toMatchObject({ status: 'opened' });
        await store.dropCommitment(before[0]!.id, 'not needed');
        expect(await store.recordCommitment(claim({ externalKey: 'key-5' }))).toMatchObject({
          status: 'opened',
        });
      });

      it('takes a cap and an expiry per call', async () => {
        const store = await open();
        await store.recordCommitment(
          claim({ externalKey: 'a', capPerTopic: 1, expiresAt: iso(t0 + 1000) }),
        );
        expect(
          await store.recordCommitment(claim({ externalKey: 'b', capPerTopic: 1 })),
        ).toMatchObject({ ok: false, error: 'cap_reached', capPerTopic: 1 });
        expect((await store.listCommitments())[0]?.expiresAt).toBe(iso(t0 + 1000));
      });

      it('refuses bad input with typed errors naming the field', async () => {
        const store = await open();
        await expect(store.recordCommitment(claim({ externalKey: ' ' }))).rejects.toMatchObject({
          code: 'ERR_INVALID_OPTION',
          message: 'Invalid commitment externalKey " ": use 1 to 300 printable characters.',
        });
        await expect(store.recordCommitment(claim({ topic: 'a\nb' }))).rejects.toMatchObject({
          code: 'ERR_INVALID_OPTION',
          message: 'Invalid commitment topic "a\\nb": use 1 to 200 printable characters.',
        });
        await expect(store.recordCommitment(claim({ text: '' }))).rejects.toMatchObject({
          code: 'ERR_INVALID_OPTION',
          message: 'A commitment needs its text (the words that were said).',
        });
        await expect(store.recordCommitment(claim({ runId: '' }))).rejects.toMatchObject({
          code: 'ERR_INVALID_RUN_ID',
        });
        await expect(store.recordCommitment(claim({ expiresAt: 'soon' }))).rejects.toMatchObject({
          code: 'ERR_INVALID_OPTION',
          message: 'Invalid expiresAt "soon": use an ISO 8601 time or Unix ms.',
        });
        await expect(store.recordCommitment(claim({ capPerTopic: 0 }))).rejects.toMatchObject({
          code: 'ERR_INVALID_OPTION',
          message: 'Invalid capPerTopic 0: use a positive whole number.',
        });
        expect(await store.listCommitments()).toEqual([]);
      });

      it('lets concurrent writers agree: one commitment per key, never more than the cap', async () => {
        const store = await open();
        const same = await Promise.all(
          Array.from({ length: 6 }, () => store.recordCommitment(claim())),
        );
        expect(same.map((result) => result.ok && result.status).sort()).toEqual([
          'opened',
          'restated',
          'restated',
          'restated',
          'restated',
          'restated',
        ]);
        const distinct = await Promise.all(
          Array.from({ length: 8 }, (_, index) =>
            store.recordCommitment(claim({ externalKey: `k${index}`, topic: 'busy' })),
          ),
        );
        expect(distinct.filter((result) => result.ok)).toHaveLength(5);
        expect(distinct.filter((result) => !result.ok)).toHaveLength(3);
        expect(await store.listCommitments({ topic: 'busy', state: 'open' })).toHaveLength(5);
        expect((await store.listCommitments({ topic: 'builder' }))[0]?.restatements).toBe(5);
      });
    });

    describe('expiry', () => {
      it('expires an open commitment once its deadline has passed by the store clock, exactly once', async () => {
        const store = await open();
        const opened = await store.recordCommitment(claim());
        clock += DEFAULT_COMMITMENT_EXPIRY_MS - 1;
        expect(await store.expireCommitments()).toEqual([]);
        clock += 1;
        const expired = await store.expireCommitments();
        expect(expired).toEqual([
          {
            ...(opened.ok ? opened.commitment : {}),
            state: 'expired',
            updatedAt: iso(clock),
            closedAt: iso(clock),
            closeReason: `No evidence that "restart" was done by ${iso(t0 + DEFAULT_COMMITMENT_EXPIRY_MS)}.`,
          },
        ]);
        expect(await store.expireCommitments()).toEqual([]);
        expect(await store.getCommitment(expired[0]!.id)).toEqual(expired[0]);
      });

      it('opens a fresh commitment when a closed one is stated again', async () => {
        const store = await open();
        const first = await store.recordCommitment(claim({ expiresAt: t0 + 10 }));
        clock += 10;
        await store.expireCommitments();
        const fresh = await store.recordCommitment(claim());
        expect(fresh).toMatchObject({ ok: true, status: 'opened', commitment: { state: 'open' } });
        expect(fresh.ok && first.ok && fresh.commitment.id !== first.commitment.id).toBe(true);
        expect(
          (await store.listCommitments()).map((commitment) => commitment.state).sort(),
        ).toEqual(['expired', 'open']);
      });

      it('expires every due commitment of every topic in one call, oldest deadline first', async () => {
        const store = await open();
        await store.recordCommitment(claim({ externalKey: 'late', expiresAt: t0 + 300 }));
        await store.recordCommitment(
          claim({ externalKey: 'early', topic: 'reviewer', expiresAt: t0 + 100 }),
        );
        await store.recordCommitment(claim({ externalKey: 'later', expiresAt: t0 + 900 }));
        clock += 500;
        expect((await store.expireCommitments()).map((entry) => entry.externalKey)).toEqual([
          'early',
          'late',
        ]);
        expect((await store.listCommitments({ state: 'open' })).map((c) => c.externalKey)).toEqual([
          'later',
        ]);
      });
    });

    describe('fulfil and drop', () => {
      it('fulfils an open commitment with its evidence; a closed one stays as it is', async () => {
        const store = await open();
        const opened = await store.recordCommitment(claim({ verb: 'push' }));
        const id = opened.ok ? opened.commitment.id : '';
        clock += 5000;
        const evidence = {
          kind: 'git-push',
          at: iso(t0 + 4000),
          detail: 'refs/remotes/origin/main: update by push',
        };
        const fulfilled = await store.fulfillCommitment(id, evidence);
        expect(fulfilled).toMatchObject({
          ok: true,
          status: 'fulfilled',
          commitment: {
            id,
            state: 'fulfilled',
            closedAt: iso(t0 + 5000),
            closeReason: 'refs/remotes/origin/main: update by push',
            evidence,
          },
        });
        expect(await store.fulfillCommitment(id, evidence)).toMatchObject({
          ok: false,
          error: 'not_open',
          message: `Commitment ${id} is already fulfilled.`,
          commitment: { state: 'fulfilled' },
        });
        expect(await store.dropCommitment(id, 'too late')).toMatchObject({ error: 'not_open' });
        clock += DEFAULT_COMMITMENT_EXPIRY_MS;
        expect(await store.expireCommitments()).toEqual([]);
        expect((await store.getCommitment(id))?.state).toBe('fulfilled');
      });

      it("refuses malformed evidence with ERR_INVALID_OPTION and zod's English message, writing nothing", async () => {
        const store = await open();
        const opened = await store.recordCommitment(claim({ verb: 'push' }));
        const id = opened.ok ? opened.commitment.id : '';
        const error = await store
          .fulfillCommitment(id, { kind: '', at: iso(t0), detail: 'pushed' })
          .catch((caught: unknown) => caught);
        expect(CoordinationError.isInstance(error)).toBe(true);
        expect(error).toMatchObject({
          code: 'ERR_INVALID_OPTION',
          message:
            'Invalid commitment evidence: kind: Too small: expected string to have >=1 characters.',
        });
        expect((await store.getCommitment(id))?.state).toBe('open');
      });

      it('drops an open commitment with a reason, and answers not_found for an unknown id', async () => {
        const store = await open();
        const opened = await store.recordCommitment(claim());
        const id = opened.ok ? opened.commitment.id : '';
        expect(await store.dropCommitment(id, 'the server was retired')).toMatchObject({
          ok: true,
          status: 'dropped',
          commitment: { state: 'dropped', closeReason: 'the server was retired', evidence: null },
        });
        expect(await store.dropCommitment('cmt_nope', 'x')).toEqual({
          ok: false,
          error: 'not_found',
          message: 'No commitment cmt_nope.',
          commitment: null,
        });
        expect(await store.getCommitment('cmt_nope')).toBeNull();
        await expect(store.dropCommitment(id, ' ')).rejects.toMatchObject({
          code: 'ERR_INVALID_OPTION',
        });
      });

      it('lists by state and topic, oldest first', async () => {
        const store = await open();
        await store.recordCommitment(claim({ externalKey: 'a' }));
        clock += 1;
        const b = await store.recordCommitment(claim({ externalKey: 'b', topic: 'reviewer' }));
        clock += 1;
        await store.recordCommitment(claim({ externalKey: 'c' }));
        await store.dropCommitment(b.ok ? b.commitment.id : '', 'no');
        const keys = (list: { externalKey: string }[]) => list.map((entry) => entry.externalKey);
        expect(keys(await store.listCommitments())).toEqual(['a', 'b', 'c']);
        expect(keys(await store.listCommitments({ state: 'open' }))).toEqual(['a', 'c']);
        expect(keys(await store.listCommitments({ topic: 'reviewer' }))).toEqual(['b']);
        expect(keys(await store.listCommitments({ topic: 'builder', state: 'dropped' }))).toEqual(
          [],
        );
      });

      it(`keeps a topic's newest ${CLOSED_COMMITMENTS_KEPT} closed commitments and prunes older ones`, async () => {
        const store = await open();
        const extra = 3;
        for (let index = 0; index < CLOSED_COMMITMENTS_KEPT + extra; index++) {
          clock += 1;
          const opened = await store.recordCommitment(claim({ externalKey: `k${index}` }));
          await store.dropCommitment(opened.ok ? opened.commitment.id : '', 'done');
        }
        await store.recordCommitment(claim({ externalKey: 'still-open' }));
        const kept = await store.listCommitments({ state: 'dropped' });
        expect(kept).toHaveLength(CLOSED_COMMITMENTS_KEPT);
        expect(kept[0]?.externalKey).toBe(`k${extra}`);
        expect(await store.listCommitments({ state: 'open' })).toHaveLength(1);
      });
    });
  });
}
