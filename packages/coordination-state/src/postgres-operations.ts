/**
 * The client half of {@link PostgresStore}'s operations: each calls its
 * server-side function (`postgres-functions.ts`) in one prepared statement,
 * then replays the pure function of `operations.ts` on the record as the
 * server saw it, for the result a {@link FileStore} would give, and refuses to
 * answer when the two disagree.
 *
 * @module
 */
import { isDeepStrictEqual } from 'node:util';
import type { IdentityVerdict, ProcessIdentity } from '@runwarden/process-identity';
import { CoordinationError } from './errors.js';
import { type ClaimInput, normalizeLeaseMs, normalizeRunId } from './operation-input.js';
import type { ClaimStatus, OperationResult, ReleaseStatus } from './operation-result.js';
import { applyClaim, applyExitSignal, applyRefresh, applyRelease } from './operations.js';
import { emptyRecord } from './record-rules.js';
import type { CoordinationRecord } from './schema.js';
import type { ExitSignalInput } from './store.js';
import { parseTarget, type Target } from './target.js';

/**
 * The operations that run as one server-side function each: the function and
 * its parameters' SQL types, in order (the batch function of migration 4
 * casts each argument to its type; see `postgres-batch-function.ts`).
 */
export const SERVER_OPERATIONS = {
  claim: {
    name: 'coordination_claim',
    types: [
      'text',
      'jsonb',
      'text',
      'boolean',
      'jsonb',
      'bigint',
      'boolean',
      'bigint',
      'integer',
      'text',
      'jsonb',
      'boolean',
    ],
  },
  refresh: { name: 'coordination_refresh', types: ['text', 'text', 'bigint', 'integer'] },
  release: { name: 'coordination_release', types: ['text', 'text', 'bigint', 'integer'] },
  exitSignal: {
    name: 'coordination_exit_signal',
    types: ['text', 'text', 'text', 'boolean', 'bigint', 'integer'],
  },
} as const satisfies Record<string, { name: string; types: readonly string[] }>;

/** One of {@link SERVER_OPERATIONS}. */
export type ServerOperation = keyof typeof SERVER_OPERATIONS;

/** What each operation's function returns (see `coordinationFunctions`). */
export interface OperationRow {
  /** The status or conflict code decided, `unusable`, or `verdict_needed`. */
  o_outcome: string;
  /** The row's record before the operation (`null` when there was no row). */
  o_record: unknown;
  /** Its `fencing_token` column (a bigint, as text). */
  o_token: string | null;
  /** The time the decision used, Unix ms (a bigint, as text). */
  o_now_ms: string;
}

/** What the operations need of the store. */
export interface OperationContext {
  /** The schema, for messages. */
  schema: string;
  /** The server (never the password), for messages. */
  where: string;
  /** History entries and exit signals kept in a record. */
  historyLimit: number;
  /** Judges whether a recorded owner still runs. */
  verifyOwner: (owner: ProcessIdentity) => IdentityVerdict;
  /** The injected clock, when there is one; the server's otherwise. */
  now: (() => number) | undefined;
  /** Runs an operation's prepared statement: one round trip. */
  call(operation: ServerOperation, values: unknown[]): Promise<OperationRow>;
  /** Parses a row's record as the store reads it (`ERR_INVALID_STATE` when unusable). */
  parse(key: string, row: { record: unknown; fencing_token: string }): CoordinationRecord;
}

/**
 * The text of an operation's prepared statement.
 *
 * @param quoted - the schema, quoted by `quoteSchema`.
 * @param operation - the operation.
 * @returns `SELECT o_outcome, … FROM "schema".coordination_claim($1, …)`.
 */
export function operationStatement(quoted: string, operation: ServerOperation): string {
  const { name, types } = SERVER_OPERATIONS[operation];
  const placeholders = types.map((_, index) => `$${index + 1}`);
  return `SELECT o_outcome, o_record, o_token, o_now_ms FROM ${quoted}.${name}(${placeholders.join(', ')})`;
}

/** How often a claim asks again after judging the recorded owner (who may change in between). */
const MAX_VERDICT_ROUNDS = 3;

/** The verdicts that free a target at once (`claimed_dead_owner`), as applyClaim reads them. */
function isDead(verdict: IdentityVerdict): boolean {
  return verdict.status === 'dead' || verdict.status === 'reused';
}

function nowParameter(context: OperationContext): number | null {
  return context.now ? Math.floor(context.now()) : null;
}

/** The record the server decided on, parsed as the file store parses its files. */
function before(context: OperationContext, key: string, row: OperationRow) {
  if (row.o_record === null) return null;
  const record = context.parse(key, { record: row.o_record, fencing_token: row.o_token ?? '0' });
  if (row.o_outcome === 'unusable') {
    // The server's check follows the schema's; should only it refuse, say so.
    throw new CoordinationError({
      code: 'ERR_INVALID_STATE',
      message: `Coordination row ${context.schema}.coordination_targets[${key}] is unusable: the server's coordination_usable() refused it. It was left exactly as it was.`,
      path: `${context.schema}.coordination_targets/${key}`,
      hint: 'Inspect the row; delete it (or restore it from a backup) to let runs claim this target again.',
    });
  }
  return record;
}

/** The replayed result, once it agrees with what the server decided (and wrote). */
function agreed<S extends string>(
  context: OperationContext,
  key: string,
  row: OperationRow,
  result: OperationResult<S>,
): OperationResult<S> {
  const answer = result.ok ? result.status : result.error;
  if (answer !== row.o_outcome) {
    throw new CoordinationError({
      code: 'ERR_DATABASE',
      message: `PostgreSQL at ${context.where} answered ${row.o_outcome} for ${key} where this runwarden decides ${answer}: the coordination functions of schema ${context.schema} come from another version.`,
      hint: 'Run the same runwarden version on every machine of the fleet, then `runwarden db migrate`.',
    });
  }
  return result;
}

/**
 * A claim: one round trip (`coordination_claim`), with one exception. Whether
 * a recorded owner still runs is known only on the client (its `/proc`), so
 * when the current owner has an identity and the answer turns on it (a claim
 * that would find it dead; a takeover, which says `claimed_dead_owner` for a
 * dead owner), the client judges that owner and asks once more with the
 * verdict on that very owner (run id and identity).
 *
 * @param context - the store.
 * @param target - the target key.
 * @param input - run id, mode, owner and lease.
 * @returns as {@link CoordinationStore.claim}.
 * @throws {CoordinationError} as {@link CoordinationStore.claim}.
 */
export async function claimOnServer(
  context: OperationContext,
  target: string,
  input: ClaimInput,
): Promise<OperationResult<ClaimStatus>> {
  const parsed = parseTarget(target);
  const runId = normalizeRunId(input.runId);
  const leaseMs = normalizeLeaseMs(input.leaseMs);
  const empty = JSON.stringify(withoutHistory(emptyRecord(parsed)));
  const owner = input.owner ? JSON.stringify(input.owner) : null;
  let judged: { runId: string; owner: unknown; verdict: IdentityVerdict } | undefined;
  for (let attempt = 0; ; attempt++) {
    const row = await context.call('claim', [
      parsed.key,
      empty,
      runId,
      input.mode === 'takeover',
      owner,
      leaseMs,
      input.leaseMs !== undefined,
      nowParameter(context),
      context.historyLimit,
      judged?.runId ?? null,
      judged ? JSON.stringify(judged.owner) : null,
      judged ? isDead(judged.verdict) : null,
    ]);
    const current = before(context, parsed.key, row);
    const active = current?.activeRun;
    // The owner exactly as stored (the server compares it as jsonb).
    const storedOwner = (row.o_record as { activeRun?: { owner?: unknown } } | null)?.activeRun
      ?.owner;
    let judgedThisOwner =
      judged !== undefined &&
      active?.runId === judged.runId &&
      isDeepStrictEqual(storedOwner, judged.owner);
    if (
      active?.owner &&
      !judgedThisOwner &&
      attempt < MAX_VERDICT_ROUNDS &&
      (row.o_outcome === 'verdict_needed' || row.o_outcome === 'active_run_exists')
    ) {
      judged = {
        runId: active.runId,
        owner: storedOwner,
        verdict: context.verifyOwner(active.owner),
      };
      judgedThisOwner = true;
      if (row.o_outcome === 'verdict_needed' || isDead(judged.verdict)) continue;
    }
    const facts = judgedThisOwner && judged ? { ownerVerdict: judged.verdict } : {};
    const { result } = applyClaim(current, parsed, input, facts, Number(row.o_now_ms));
    return agreed(context, parsed.key, row, result);
  }
}

/**
 * A refresh (`coordination_refresh`) or a release (`coordination_release`):
 * one round trip each, then the pure function on the record as the server saw it.
 */
async function byOwner<S extends string>(
  context: OperationContext,
  operation: 'refresh' | 'release',
  target: string,
  runId: string,
  apply: (
    current: CoordinationRecord | null,
    parsed: Target,
    runId: string,
    nowMs: number,
  ) => { result: OperationResult<S> },
): Promise<OperationResult<S>> {
  const parsed = parseTarget(target);
  const row = await context.call(operation, [
    parsed.key,
    normalizeRunId(runId),
    nowParameter(context),
    context.historyLimit,
  ]);
  const current = before(context, parsed.key, row);
  const { result } = apply(current, parsed, runId, Number(row.o_now_ms));
  return agreed(context, parsed.key, row, result);
}

/**
 * A refresh (`coordination_refresh`), one round trip.
 *
 * @param context - the store.
 * @param target - the target key.
 * @param runId - the owning run.
 * @returns as {@link CoordinationStore.refresh}.
 * @throws {CoordinationError} as {@link CoordinationStore.refresh}.
 */
export function refreshOnServer(
  context: OperationContext,
  target: string,
  runId: string,
): Promise<OperationResult<'refreshed'>> {
  return byOwner(context, 'refresh', target, runId, applyRefresh);
}

/**
 * A release (`coordination_release`), one round trip.
 *
 * @param context - the store.
 * @param target - the target key.
 * @param runId - the owning run.
 * @returns as {@link CoordinationStore.release}.
 * @throws {CoordinationError} as {@link CoordinationStore.release}.
 */
export function releaseOnServer(
  context: OperationContext,
  target: string,
  runId: string,
): Promise<OperationResult<ReleaseStatus>> {
  return byOwner(context, 'release', target, runId, applyRelease);
}

/**
 * An exit signal (`coordination_exit_signal`), one round trip.
 *
 * @param context - the store.
 * @param target - the target key.
 * @param input - run id, reason, `requireActiveOwner`.
 * @returns as {@link CoordinationStore.recordExitSignal}.
 * @throws {CoordinationError} as {@link CoordinationStore.recordExitSignal}.
 */
export async function exitSignalOnServer(
  context: OperationContext,
  target: string,
  input: ExitSignalInput,
): Promise<OperationResult<'exit_signal_recorded'>> {
  const parsed = parseTarget(target);
  const runId = normalizeRunId(input.runId);
  const row = await context.call('exitSignal', [
    parsed.key,
    runId,
    keptReason(parsed, runId, input.reason),
    input.requireActiveOwner ?? true,
    nowParameter(context),
    context.historyLimit,
  ]);
  const current = before(context, parsed.key, row);
  const { result } = applyExitSignal(current, parsed, input, Number(row.o_now_ms));
  return agreed(context, parsed.key, row, result);
}

/** The reason exactly as applyExitSignal keeps it (trimmed, at most 500 characters, or null). */
function keptReason(target: Target, runId: string, reason: string | undefined): string | null {
  const { next } = applyExitSignal(
    emptyRecord(target),
    target,
    { runId, reason, requireActiveOwner: false },
    0,
  );
  return next!.exitSignals[0]!.reason;
}

/**
 * A record without the parts kept outside the row's `record` column (the
 * history has its own table; the highest token its own column).
 *
 * @param record - a record.
 * @returns the rest, as stored in `coordination_targets.record`.
 */
function withoutHistory(
  record: CoordinationRecord,
): Omit<CoordinationRecord, 'history' | 'lastFencingToken'> {
  const { history: _history, lastFencingToken: _token, ...rest } = record;
  return rest;
}
