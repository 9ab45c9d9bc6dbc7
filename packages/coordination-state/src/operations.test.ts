import { describe, expect, it } from 'vitest';
import { normalizeLeaseMs } from './operation-input.js';
import { applyClaim, applyExitSignal, applyRelease, assertOwnershipOn } from './operations.js';
import { boundRecord, emptyRecord, highestToken } from './record-rules.js';
import { parseTarget } from './target.js';

const target = parseTarget('acme/widgets#12');
const t0 = Date.parse('2026-11-26T00:00:00.000Z');

describe('applyClaim', () => {
  it('claims a target with no owner, with fencing token 1', () => {
    const { next, result } = applyClaim(null, target, { runId: 'run-a' }, {}, t0);
    expect(result).toMatchObject({ ok: true, status: 'claimed_new', fencingToken: 1 });
    expect(next?.history).toEqual([
      { type: 'claim', runId: 'run-a', at: '2026-11-26T00:00:00.000Z', fencingToken: 1 },
    ]);
  });

  it('refreshes its own claim without a new token', () => {
    const first = applyClaim(null, target, { runId: 'run-a' }, {}, t0).next;
    expect(applyClaim(first, target, { runId: 'run-a' }, {}, t0 + 1000).result).toMatchObject({
      status: 'refreshed',
      fencingToken: 1,
    });
  });

  it('fails closed on a live owner', () => {
    const first = applyClaim(null, target, { runId: 'run-a' }, {}, t0).next;
    const { next, result } = applyClaim(
      first,
      target,
      { runId: 'run-b' },
      { ownerVerdict: { status: 'alive', reason: 'x' } },
      t0,
    );
    expect(next).toBeNull();
    expect(result).toMatchObject({
      ok: false,
      error: 'active_run_exists',
      message: 'Target acme/widgets#12 is already owned by run run-a. Claim failed closed.',
    });
  });

  it('claims an expired lease, a dead owner, or takes over on request, each with the next token', () => {
    const first = applyClaim(null, target, { runId: 'run-a', leaseMs: 1000 }, {}, t0).next;
    expect(applyClaim(first, target, { runId: 'run-b' }, {}, t0 + 1001).result).toMatchObject({
      status: 'claimed_expired',
      fencingToken: 2,
    });
    expect(
      applyClaim(
        first,
        target,
        { runId: 'run-b' },
        { ownerVerdict: { status: 'dead', reason: 'x' } },
        t0,
      ).result,
    ).toMatchObject({
      status: 'claimed_dead_owner',
    });
    expect(
      applyClaim(
        first,
        target,
        { runId: 'run-b' },
        { ownerVerdict: { status: 'unknown', reason: 'x' } },
        t0,
      ).result.ok,
    ).toBe(false);
    expect(
      applyClaim(first, target, { runId: 'run-b', mode: 'takeover' }, {}, t0).result,
    ).toMatchObject({
      status: 'taken_over',
      previousRun: { runId: 'run-a', replacedByRunId: 'run-b' },
    });
  });
});

describe('assertOwnershipOn, applyRelease and applyExitSignal', () => {
  const claimed = applyClaim(null, target, { runId: 'run-a' }, {}, t0).next;

  it('confirms the owner and reports a lost one', () => {
    expect(assertOwnershipOn(claimed, target, { runId: 'run-a' }).ok).toBe(true);
    expect(assertOwnershipOn(claimed, target, { runId: 'run-b' })).toMatchObject({
      ok: false,
      error: 'ownership_lost',
    });
    expect(assertOwnershipOn(null, target, { runId: 'run-a' })).toMatchObject({
      ok: true,
      status: 'no_owner_record',
    });
    expect(
      assertOwnershipOn(null, target, { runId: 'run-a', requireExisting: true }),
    ).toMatchObject({ error: 'ownership_missing' });
  });

  it('reports ownership_lost once a newer fencing token exists', () => {
    const taken = applyClaim(claimed, target, { runId: 'run-a2', mode: 'takeover' }, {}, t0).next;
    const back = applyClaim(
      applyRelease(taken, target, 'run-a2', t0).next,
      target,
      { runId: 'run-a' },
      {},
      t0,
    ).next;
    expect(assertOwnershipOn(back, target, { runId: 'run-a', fencingToken: 1 })).toMatchObject({
      ok: false,
      error: 'ownership_lost',
    });
    expect(assertOwnershipOn(back, target, { runId: 'run-a', fencingToken: 3 }).ok).toBe(true);
  });

  it('releases only its own claim, and a missing record is a no-op', () => {
    expect(applyRelease(claimed, target, 'run-b', t0).result).toMatchObject({
      ok: false,
      error: 'ownership_lost',
    });
    expect(applyRelease(claimed, target, 'run-a', t0).result).toMatchObject({
      ok: true,
      status: 'released',
    });
    expect(applyRelease(null, target, 'run-a', t0).result).toMatchObject({
      ok: true,
      status: 'release_noop',
    });
  });

  it('records an exit signal from the owner only', () => {
    expect(
      applyExitSignal(claimed, target, { runId: 'run-a', reason: 'MISSION_TIMEOUT' }, t0).result,
    ).toMatchObject({
      status: 'exit_signal_recorded',
      exitSignals: [{ runId: 'run-a', reason: 'MISSION_TIMEOUT' }],
    });
    expect(applyExitSignal(claimed, target, { runId: 'run-b' }, t0).result).toMatchObject({
      error: 'ownership_lost',
    });
    expect(applyExitSignal(null, target, { runId: 'run-a' }, t0).result).toMatchObject({
      error: 'ownership_missing',
    });
  });
});

describe('boundRecord, highestToken and normalizeLeaseMs', () => {
  it('keeps the last entries and returns the older ones, oldest first', () => {
    let record = applyClaim(null, target, { runId: 'run-a' }, {}, t0).next!;
    record = applyRelease(record, target, 'run-a', t0).next!;
    record = applyClaim(record, target, { runId: 'run-b' }, {}, t0).next!;
    const bounded = boundRecord(record, 2);
    expect(bounded.history.map((entry) => [entry.type, entry.runId])).toEqual([['claim', 'run-a']]);
    expect(bounded.record.history.map((entry) => [entry.type, entry.runId])).toEqual([
      ['release', 'run-a'],
      ['claim', 'run-b'],
    ]);
    expect(bounded.record.lastFencingToken).toBe(2);
    expect(boundRecord(record, 3)).toEqual({ record, history: [], exitSignals: [] });
    expect(() => boundRecord(record, 0)).toThrow(
      'Invalid history limit 0: use a positive whole number.',
    );
  });

  it('finds the highest token in the counter, the active run or the history', () => {
    const record = emptyRecord(target);
    expect(highestToken(record)).toBe(0);
    expect(
      highestToken({
        ...record,
        lastFencingToken: undefined,
        history: [{ type: 'claim', fencingToken: 7 }],
      }),
    ).toBe(7);
  });

  it.each([
    [undefined, 300_000],
    [1, 1],
  ])('accepts lease %j as %j ms', (input, expected) => {
    expect(normalizeLeaseMs(input)).toBe(expected);
  });

  it.each([0, -1, 1.5, 31 * 24 * 3600_000, '5'])('refuses lease %j', (input) => {
    expect(() => normalizeLeaseMs(input)).toThrow(
      `Invalid lease ${JSON.stringify(input)}: use a positive whole number of milliseconds up to 30 days.`,
    );
  });
});
