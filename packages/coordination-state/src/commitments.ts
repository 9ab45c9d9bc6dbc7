/**
 * Commitments: a run's stated intent to act ("I'll restart the server"),
 * kept so that it is followed up instead of silently dropped (instar
 * 1.3.579's `CommitmentTracker.record()` with an idempotent `externalKey`).
 * The pure decisions both stores share: record (open or restate), the
 * per-topic cap, expiry, and the `open → fulfilled | expired | dropped`
 * transitions.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CoordinationError } from './errors.js';
import { normalizeRunId } from './operations.js';

/** How long a commitment stays open before it expires unless fulfilled: 6 h (instar's auto-expiry), in ms. */
export const DEFAULT_COMMITMENT_EXPIRY_MS = 6 * 60 * 60 * 1000;

/** How many open commitments a topic may hold; a new one past it is refused (`cap_reached`). */
export const DEFAULT_COMMITMENT_CAP = 5;

/** How many closed (fulfilled, expired, dropped) commitments a topic keeps; older ones are pruned. */
export const CLOSED_COMMITMENTS_KEPT = 100;

/** The schema version of a topic's commitments file. */
export const COMMITMENTS_SCHEMA_VERSION = 1;

/** The longest `text` kept, in characters (the rest is cut). */
const MAX_TEXT_CHARS = 500;

/** A commitment's state: `open`, then exactly one of `fulfilled`, `expired`, `dropped`. */
export type CommitmentState = 'open' | 'fulfilled' | 'expired' | 'dropped';

/** The states, in order. */
export const commitmentStates = ['open', 'fulfilled', 'expired', 'dropped'] as const;

/** What showed a commitment was kept. */
export const commitmentEvidenceSchema = z.object({
  /** The kind of evidence, e.g. `git-push`, `process-start`. */
  kind: z.string().min(1),
  /** When the evidence happened, ISO 8601. */
  at: z.string(),
  /** One line for people, e.g. `refs/remotes/origin/main: update by push`. */
  detail: z.string(),
});

/** zod schema of one commitment. */
export const commitmentSchema = z
  .object({
    id: z.string().min(1),
    /** The idempotency key: a restated claim with the same key updates this commitment. */
    externalKey: z.string().min(1),
    /** What the commitment is about (a loop's name, a conversation). */
    topic: z.string().min(1),
    /** The words of the latest statement. */
    text: z.string(),
    /** The action verb, e.g. `restart`, `push`. */
    verb: z.string().min(1),
    /** What the action is on, when said ("the server"). */
    object: z.string().nullable(),
    /** The run that made the latest statement. */
    runId: z.string().min(1),
    state: z.enum(commitmentStates),
    /** ISO 8601. */
    createdAt: z.string(),
    /** ISO 8601: the latest restatement or transition. */
    updatedAt: z.string(),
    /** ISO 8601: when it expires unless fulfilled first. */
    expiresAt: z.string(),
    /** How many times it was stated again after the first. */
    restatements: z.number().int().nonnegative(),
    /** ISO 8601 of the transition out of `open`, else `null`. */
    closedAt: z.string().nullable(),
    /** Why it closed, for people: the evidence, the expiry, or the reason it was dropped. */
    closeReason: z.string().nullable(),
    /** What fulfilled it (state `fulfilled` only). */
    evidence: commitmentEvidenceSchema.nullable(),
  })
  .passthrough();

/** One commitment. */
export type Commitment = z.infer<typeof commitmentSchema>;
/** What showed a commitment was kept. */
export type CommitmentEvidence = z.infer<typeof commitmentEvidenceSchema>;

/** zod schema of a topic's commitments file (`FileStore`). */
export const topicCommitmentsSchema = z
  .object({
    schemaVersion: z.literal(COMMITMENTS_SCHEMA_VERSION),
    topic: z.string().min(1),
    commitments: z.array(commitmentSchema),
  })
  .passthrough();

/** A topic's commitments file. */
export type TopicCommitments = z.infer<typeof topicCommitmentsSchema>;

/** Input of `recordCommitment`. */
export interface RecordCommitmentInput {
  /** Idempotency key, 1 to 300 characters: while a commitment with it is open, recording it again restates that one. */
  externalKey: string;
  /** What it is about, 1 to 200 printable characters (a loop's name). */
  topic: string;
  /** The words said (trimmed; at most 500 characters kept). */
  text: string;
  /** The action verb, 1 to 50 characters. */
  verb: string;
  /** The run that said it. */
  runId: string;
  /** What the action is on. @default null */
  object?: string | null;
  /**
   * When it expires unless fulfilled: ISO 8601 or Unix ms. Ignored on a
   * restatement (restating never moves the deadline).
   * @default the store's now + {@link DEFAULT_COMMITMENT_EXPIRY_MS}
   */
  expiresAt?: string | number;
  /**
   * Open commitments the topic may hold. A new commitment past the cap is
   * refused (`cap_reached`, nothing written): the open ones stay as they are,
   * so an agent that keeps promising cannot flood its topic. A restatement is
   * never refused.
   * @default DEFAULT_COMMITMENT_CAP (5)
   */
  capPerTopic?: number;
}

/** What `recordCommitment` did. */
export type RecordCommitmentResult =
  | {
      ok: true;
      /** `opened`: a new commitment; `restated`: the open one with this key was updated. */
      status: 'opened' | 'restated';
      commitment: Commitment;
    }
  | {
      ok: false;
      error: 'cap_reached';
      /** One line for people. */
      message: string;
      topic: string;
      /** The cap that was reached. */
      capPerTopic: number;
      /** The topic's open commitments (unchanged). */
      open: Commitment[];
    };

/** What `fulfillCommitment` and `dropCommitment` did. */
export type CloseCommitmentResult =
  | { ok: true; status: 'fulfilled' | 'dropped'; commitment: Commitment }
  | {
      ok: false;
      /** `not_found`: no commitment has this id; `not_open`: it was already closed (returned as it is). */
      error: 'not_found' | 'not_open';
      message: string;
      commitment: Commitment | null;
    };

/** Filter of `listCommitments`. */
export interface CommitmentFilter {
  /** Only this state. @default every state */
  state?: CommitmentState;
  /** Only this topic. @default every topic */
  topic?: string;
}

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
  const capPerTopic = input.capPerTopic ?? DEFAULT_COMMITMENT_CAP;
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
    expiresAt: iso(input.expiresAtMs ?? facts.nowMs + DEFAULT_COMMITMENT_EXPIRY_MS),
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
 * @throws {CoordinationError} `ERR_INVALID_OPTION` for empty evidence or reason.
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
    evidence:
      request.state === 'fulfilled'
        ? commitmentEvidenceSchema.parse({ ...request.evidence, detail: closeReason })
        : null,
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
