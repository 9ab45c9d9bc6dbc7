/** The shapes of commitments (zod schemas and types) and their fixed limits. */
import * as z from 'zod/mini';
import { COORDINATION_DEFAULTS } from './defaults.js';

/**
 * How long a commitment stays open before it expires unless fulfilled: 6 h (instar's auto-expiry), in ms.
 * @deprecated Read `COORDINATION_DEFAULTS.commitmentExpiryMs`; this alias is the same value.
 */
export const DEFAULT_COMMITMENT_EXPIRY_MS: number = COORDINATION_DEFAULTS.commitmentExpiryMs;

/**
 * How many open commitments a topic may hold; a new one past it is refused (`cap_reached`).
 * @deprecated Read `COORDINATION_DEFAULTS.commitmentCap`; this alias is the same value.
 */
export const DEFAULT_COMMITMENT_CAP: number = COORDINATION_DEFAULTS.commitmentCap;

/** How many closed (fulfilled, expired, dropped) commitments a topic keeps; older ones are pruned. */
export const CLOSED_COMMITMENTS_KEPT = 100;

/** The schema version of a topic's commitments file. */
export const COMMITMENTS_SCHEMA_VERSION = 1;

/** A commitment's state: `open`, then exactly one of `fulfilled`, `expired`, `dropped`. */
export type CommitmentState = 'open' | 'fulfilled' | 'expired' | 'dropped';

/** The states, in order. */
export const commitmentStates = ['open', 'fulfilled', 'expired', 'dropped'] as const;

/**
 * What showed a commitment was kept: `{kind, at, detail}`. A zod/mini schema,
 * like every schema of this package: parse with `.parse`/`.safeParse`; compose
 * with `z.extend` from 'zod/mini'. Its issues say only `Invalid input` unless
 * the parse or the app gives a locale (the stores' own reads give English).
 */
export const commitmentEvidenceSchema = z.object({
  /** The kind of evidence, e.g. `git-push`, `process-start`. */
  kind: z.string().check(z.minLength(1)),
  /** When the evidence happened, ISO 8601. */
  at: z.string(),
  /** One line for people, e.g. `refs/remotes/origin/main: update by push`. */
  detail: z.string(),
});

/**
 * zod schema of one commitment (unknown extra fields are kept). A zod/mini
 * schema: parse with `.parse`/`.safeParse`; compose with `z.extend` from
 * 'zod/mini'.
 */
export const commitmentSchema = z.looseObject({
  id: z.string().check(z.minLength(1)),
  /** The idempotency key: a restated claim with the same key updates this commitment. */
  externalKey: z.string().check(z.minLength(1)),
  /** What the commitment is about (a loop's name, a conversation). */
  topic: z.string().check(z.minLength(1)),
  /** The words of the latest statement. */
  text: z.string(),
  /** The action verb, e.g. `restart`, `push`. */
  verb: z.string().check(z.minLength(1)),
  /** What the action is on, when said ("the server"). */
  object: z.nullable(z.string()),
  /** The run that made the latest statement. */
  runId: z.string().check(z.minLength(1)),
  state: z.enum(commitmentStates),
  /** ISO 8601. */
  createdAt: z.string(),
  /** ISO 8601: the latest restatement or transition. */
  updatedAt: z.string(),
  /** ISO 8601: when it expires unless fulfilled first. */
  expiresAt: z.string(),
  /** How many times it was stated again after the first. */
  restatements: z.number().check(z.int(), z.nonnegative()),
  /** ISO 8601 of the transition out of `open`, else `null`. */
  closedAt: z.nullable(z.string()),
  /** Why it closed, for people: the evidence, the expiry, or the reason it was dropped. */
  closeReason: z.nullable(z.string()),
  /** What fulfilled it (state `fulfilled` only). */
  evidence: z.nullable(commitmentEvidenceSchema),
});

/** One commitment. */
export type Commitment = z.infer<typeof commitmentSchema>;
/** What showed a commitment was kept. */
export type CommitmentEvidence = z.infer<typeof commitmentEvidenceSchema>;

/**
 * zod schema of a topic's commitments file (`FileStore`; unknown extra fields
 * are kept). A zod/mini schema: parse with `.parse`/`.safeParse`; compose with
 * `z.extend` from 'zod/mini'.
 */
export const topicCommitmentsSchema = z.looseObject({
  schemaVersion: z.literal(COMMITMENTS_SCHEMA_VERSION),
  topic: z.string().check(z.minLength(1)),
  commitments: z.array(commitmentSchema),
});

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
   * @default the store's now + COORDINATION_DEFAULTS.commitmentExpiryMs (6 h)
   */
  expiresAt?: string | number;
  /**
   * Open commitments the topic may hold. A new commitment past the cap is
   * refused (`cap_reached`, nothing written): the open ones stay as they are,
   * so an agent that keeps promising cannot flood its topic. A restatement is
   * never refused.
   * @default COORDINATION_DEFAULTS.commitmentCap (5)
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
