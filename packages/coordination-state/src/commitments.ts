/**
 * Commitments: a run's stated intent to act ("I'll restart the server"),
 * kept so that it is followed up instead of silently dropped (instar
 * 1.3.579's `CommitmentTracker.record()` with an idempotent `externalKey`).
 * The pure decisions both stores share: record (open or restate), the
 * per-topic cap, expiry, and the `open → fulfilled | expired | dropped`
 * transitions.
 */
import { randomUUID } from 'node:crypto';
import { english, firstIssue } from '@runwarden/zod-english';
import {
  CLOSED_COMMITMENTS_KEPT,
  type CloseCommitmentResult,
  type Commitment,
  type CommitmentEvidence,
  type CommitmentFilter,
  commitmentEvidenceSchema,
  type RecordCommitmentInput,
  type RecordCommitmentResult,
} from './commitment-schema.js';
import { COORDINATION_DEFAULTS } from './defaults.js';
import { CoordinationError } from './errors.js';
import { normalizeRunId } from './operation-input.js';

/** The longest `text` kept, in characters (the rest is cut). */
const MAX_TEXT_CHARS = 500;

function invalidOption(message: string): CoordinationError {
  return new CoordinationError({ code: 'ERR_INVALID_OPTION', message });
}

function text(value: unknown, what: string, maxChars: number): string {
  const trimmed = typeof value === 'string' ? value.trim() : '';
  if (trimmed === '' || trimmed.length > maxChars || /[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw invalidOption(
      `Invalid commitment ${what} ${JSON.stringify(value)}: use 1 to ${maxChars} printable characters.`,
    );
  }
  return trimmed;
}

/**
 * The evidence of a fulfilment, checked against `commitmentEvidenceSchema`
 * (a `kind`, an `at`), with the detail already checked by {@link text}.
 *
 * @param evidence - what the caller gave.
 * @param detail - its trimmed detail.
 * @returns the evidence as stored.
 * @throws {CoordinationError} `ERR_INVALID_OPTION` naming the first bad field, with zod's English message.
 */
function checkedEvidence(evidence: CommitmentEvidence, detail: string): CommitmentEvidence {
  const parsed = commitmentEvidenceSchema.safeParse({ ...evidence, detail }, english());
  if (parsed.success) return parsed.data;
  throw new CoordinationError({
    code: 'ERR_INVALID_OPTION',
    message: `Invalid commitment evidence: ${firstIssue(parsed.error, 'evidence')}.`,
    cause: parsed.error,
  });
}

/**
 * Validates a topic name.
 *
 * @param topic - the topic as given.
 * @returns the trimmed topic.
 * @throws {CoordinationError} `ERR_INVALID_OPTION` for an empty, too long or unprintable topic.
 */
export function normalizeTopic(topic: unknown): string {
  return text(topic, 'topic', 200);
}

/** The validated fields of a record input, and its expiry in Unix ms (undefined = the default). */
export interface NormalizedCommitmentInput {
  externalKey: string;
  topic: string;
  text: string;
  verb: string;
  runId: string;
  object: string | null;
  expiresAtMs: number | undefined;
  capPerTopic: number;
}

/**
 * Validates a `recordCommitment` input.
 *
 * @param input - as given.
 * @returns the trimmed fields, the expiry in Unix ms and the cap.
 * @throws {CoordinationError} `ERR_INVALID_OPTION` naming the bad field, `ERR_INVALID_RUN_ID` for an empty run id.
 */
export function normalizeCommitmentInput(input: RecordCommitmentInput): NormalizedCommitmentInput {
  const words = typeof input.text === 'string' ? input.text.trim().slice(0, MAX_TEXT_CHARS) : '';
  if (words === '') throw invalidOption('A commitment needs its text (the words that were said).');
  const capPerTopic = input.capPerTopic ?? COORDINATION_DEFAULTS.commitmentCap;
  if (!Number.isSafeInteger(capPerTopic) || capPerTopic <= 0) {
    throw invalidOption(
      `Invalid capPerTopic ${JSON.stringify(input.capPerTopic)}: use a positive whole number.`,
    );
  }
  let expiresAtMs: number | undefined;
  if (input.expiresAt !== undefined) {
    expiresAtMs =
      typeof input.expiresAt === 'number' ? input.expiresAt : Date.parse(input.expiresAt);
    if (!Number.isFinite(expiresAtMs)) {
      throw invalidOption(
        `Invalid expiresAt ${JSON.stringify(input.expiresAt)}: use an ISO 8601 time or Unix ms.`,
      );
    }
  }
  const object = typeof input.object === 'string' ? input.object.trim() : '';
  return {
    externalKey: text(input.externalKey, 'externalKey', 300),
    topic: normalizeTopic(input.topic),
    text: words,
    verb: text(input.verb, 'verb', 50),
    runId: normalizeRunId(input.runId),
    object: object === '' ? null : object.slice(0, MAX_TEXT_CHARS),
    expiresAtMs,
    capPerTopic,
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Decides a record: restate the open commitment with the same key, refuse a
 * new one past the topic's cap, or open a new one.
 *
 * @param input - the validated input.
 * @param facts - the open commitment with this key (any topic), the topic's
 *   open commitments, the store's clock, and a new id.
 * @returns the result, and the commitment to write (`null` when nothing changes).
 */
export function decideRecord(
  input: NormalizedCommitmentInput,
  facts: { sameKey: Commitment | undefined; openInTopic: Commitment[]; nowMs: number; id?: string },
): { result: RecordCommitmentResult; write: Commitment | null } {
  const now = iso(facts.nowMs);
  if (facts.sameKey) {
    const commitment: Commitment = {
      ...facts.sameKey,
      text: input.text,
      object: input.object ?? facts.sameKey.object,
      runId: input.runId,
      updatedAt: now,
      restatements: facts.sameKey.restatements + 1,
    };
    return { result: { ok: true, status: 'restated', commitment }, write: commitment };
  }
  if (facts.openInTopic.length >= input.capPerTopic) {
    return {
      result: {
        ok: false,
        error: 'cap_reached',
        message: `Topic ${input.topic} already has ${facts.openInTopic.length} open commitments (cap ${input.capPerTopic}); this one was not recorded.`,
        topic: input.topic,
        capPerTopic: input.capPerTopic,
        open: facts.openInTopic,
      },
      write: null,
    };
  }
  const commitment: Commitment = {
    id: facts.id ?? newCommitmentId(),
    externalKey: input.externalKey,
    topic: input.topic,
    text: input.text,
    verb: input.verb,
    object: input.object,
    runId: input.runId,
    state: 'open',
    createdAt: now,
    updatedAt: now,
    expiresAt: iso(input.expiresAtMs ?? facts.nowMs + COORDINATION_DEFAULTS.commitmentExpiryMs),
    restatements: 0,
    closedAt: null,
    closeReason: null,
    evidence: null,
  };
  return { result: { ok: true, status: 'opened', commitment }, write: commitment };
}

/** What a close asks for: fulfil with evidence, or drop with a reason. */
export type CloseRequest =
  | { state: 'fulfilled'; evidence: CommitmentEvidence }
  | { state: 'dropped'; reason: string };

/**
 * Decides a transition out of `open` (fulfil or drop).
 *
 * @param current - the commitment with the id, or `undefined`.
 * @param id - the id asked for.
 * @param request - the target state and its evidence or reason.
 * @param nowMs - the store's clock, Unix ms.
 * @returns the result, and the commitment to write (`null` when nothing changes).
 * @throws {CoordinationError} `ERR_INVALID_OPTION` for empty or malformed evidence (an empty `kind`, an `at` that is not a string) or an empty reason.
 */
export function decideClose(
  current: Commitment | undefined,
  id: string,
  request: CloseRequest,
  nowMs: number,
): { result: CloseCommitmentResult; write: Commitment | null } {
  const closeReason =
    request.state === 'fulfilled'
      ? text(request.evidence?.detail, 'evidence detail', MAX_TEXT_CHARS)
      : text(request.reason, 'drop reason', MAX_TEXT_CHARS);
  if (!current) {
    return {
      result: {
        ok: false,
        error: 'not_found',
        message: `No commitment ${id}.`,
        commitment: null,
      },
      write: null,
    };
  }
  if (current.state !== 'open') {
    return {
      result: {
        ok: false,
        error: 'not_open',
        message: `Commitment ${id} is already ${current.state}.`,
        commitment: current,
      },
      write: null,
    };
  }
  const now = iso(nowMs);
  const commitment: Commitment = {
    ...current,
    state: request.state,
    updatedAt: now,
    closedAt: now,
    closeReason,
    evidence: request.state === 'fulfilled' ? checkedEvidence(request.evidence, closeReason) : null,
  };
  return { result: { ok: true, status: request.state, commitment }, write: commitment };
}

/**
 * The open commitments whose deadline has passed, as expired.
 *
 * @param open - open commitments.
 * @param nowMs - the store's clock, Unix ms.
 * @returns the expired versions of those with `expiresAt <= now`, oldest deadline first.
 */
export function decideExpiry(open: Commitment[], nowMs: number): Commitment[] {
  const now = iso(nowMs);
  return open
    .filter(
      (commitment) => commitment.state === 'open' && Date.parse(commitment.expiresAt) <= nowMs,
    )
    .sort(byDeadline)
    .map((commitment) => ({
      ...commitment,
      state: 'expired' as const,
      updatedAt: now,
      closedAt: now,
      closeReason: `No evidence that "${commitment.verb}" was done by ${commitment.expiresAt}.`,
    }));
}

/**
 * The closed commitments of one topic beyond the newest {@link CLOSED_COMMITMENTS_KEPT}.
 *
 * @param commitments - all of one topic's commitments.
 * @returns the ids to prune (open ones never are).
 */
export function commitmentsToPrune(commitments: Commitment[]): string[] {
  const closed = commitments
    .filter((commitment) => commitment.state !== 'open')
    .sort((a, b) => compare(b.closedAt ?? '', a.closedAt ?? '') || compare(b.id, a.id));
  return closed.slice(CLOSED_COMMITMENTS_KEPT).map((commitment) => commitment.id);
}

/**
 * Whether a commitment passes a filter.
 *
 * @param commitment - the commitment.
 * @param filter - state and topic, each optional.
 * @returns true when it matches.
 */
export function matchesFilter(commitment: Commitment, filter: CommitmentFilter): boolean {
  return (
    (filter.state === undefined || commitment.state === filter.state) &&
    (filter.topic === undefined || commitment.topic === filter.topic)
  );
}

/** Sort order of listings: creation time, then id. */
export function byCreation(a: Commitment, b: Commitment): number {
  return compare(a.createdAt, b.createdAt) || compare(a.id, b.id);
}

function byDeadline(a: Commitment, b: Commitment): number {
  return compare(a.expiresAt, b.expiresAt) || byCreation(a, b);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A new commitment id.
 *
 * @returns `cmt_` and a random UUID.
 */
export function newCommitmentId(): string {
  return `cmt_${randomUUID()}`;
}
