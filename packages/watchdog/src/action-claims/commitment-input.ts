/**
 * From a claim heard in a run's output to the input of `recordCommitment`
 * (`@runwarden/coordination-state`): the idempotency key and the fields.
 */
import type { ActionVerb } from './verbs.js';

/**
 * The idempotency key of a claim: one per topic and verb, so "I'll restart the
 * server", "Restarting it now." and "Relaunch… " restated by later attempts
 * update one commitment (follow-through evidence is per verb, so a finer key
 * would only split what one restart fulfils). The `actionclaim:` prefix keeps
 * these keys apart from any other commitments in the store (instar tags its
 * keys the same way).
 *
 * @param topic - the topic (a loop's name).
 * @param verb - the canonical verb.
 * @returns `actionclaim:<topic>:<verb>`.
 */
export function actionClaimKey(topic: string, verb: ActionVerb | string): string {
  return `actionclaim:${topic}:${verb}`;
}

/** Input of {@link commitmentInputOf}. */
export interface CommitmentInputOfOptions {
  /** The claim: its verb, object and sentence (a verdict or a heard claim). */
  claim: { verb: ActionVerb; object?: string; sentence: string };
  /** The topic (a loop's name). */
  topic: string;
  /** The run that made the claim. */
  runId: string;
  /** Passed through: open commitments a topic may hold. @default the store's (5) */
  capPerTopic?: number;
  /** Passed through: ISO 8601 or Unix ms. @default the store's now + 6 h */
  expiresAt?: string | number;
}

/** The fields of `recordCommitment`'s input (the shape of `RecordCommitmentInput`). */
export interface ClaimCommitmentInput {
  externalKey: string;
  topic: string;
  text: string;
  verb: string;
  runId: string;
  object: string | null;
  capPerTopic?: number;
  expiresAt?: string | number;
}

/**
 * The `recordCommitment` input for a claim.
 *
 * @param options - the claim, its topic and run, and optionally cap and expiry.
 * @returns the input: key {@link actionClaimKey}, the sentence as text, verb, object, run.
 * @example
 * ```ts
 * createActionClaimSubscriber({
 *   onClaim: (claim) =>
 *     store.recordCommitment(commitmentInputOf({ claim, topic: loop.name, runId })).catch(log),
 * });
 * ```
 */
export function commitmentInputOf(options: CommitmentInputOfOptions): ClaimCommitmentInput {
  return {
    externalKey: actionClaimKey(options.topic, options.claim.verb),
    topic: options.topic,
    text: options.claim.sentence,
    verb: options.claim.verb,
    runId: options.runId,
    object: options.claim.object ?? null,
    ...(options.capPerTopic !== undefined ? { capPerTopic: options.capPerTopic } : {}),
    ...(options.expiresAt !== undefined ? { expiresAt: options.expiresAt } : {}),
  };
}
