/**
 * `classifyActionClaim`: is this text a concrete, first-person, future-action
 * claim ("I'll restart the server", "Relaunching now.", "Done. Pushing it
 * now.")? Deterministic and precision-first, after instar 1.3.579's
 * follow-through sentinel and the eight false positives its second review
 * found (questions, imperatives, third person).
 */
import { type ClaimReason, REJECTION_PRIORITY, type RejectionReason } from './reasons.js';
import { readSentence } from './sentence.js';
import {
  isFence,
  lineKind,
  maskSpans,
  plainQuotes,
  type SpanKind,
  sentencesOf,
  stripDecoration,
  unmask,
} from './text.js';
import { type ActionVerb, ANY_FORM } from './verbs.js';

/** The answer of {@link classifyActionClaim}. */
export type ActionClaimVerdict =
  | {
      /** The text makes a claim. */
      claim: true;
      /** The canonical verb of the closed set, e.g. `restart`, `push`, `open a PR`. */
      verb: ActionVerb;
      /** What the action is on, as written ("the server", "it", "the fix to origin"); absent when none is said. */
      object?: string;
      /** Which claim shape it is. */
      reason: ClaimReason;
      /** The sentence that makes the claim, as written (trimmed, decoration dropped). */
      sentence: string;
    }
  | {
      claim: false;
      /** Why not, the nearest to a claim when several sentences say why. */
      reason: RejectionReason;
    };

/** Text beyond this many characters is not read (a claim is a sentence, not a log dump). */
export const MAX_CLAIM_TEXT_CHARS = 8192;

/**
 * Classifies a text (a line of output, or an agent's whole turn) as an
 * action claim or not: a verb of {@link ACTION_VERBS} in one of the three
 * claim shapes ({@link ClaimReason}); anything else is not a claim, with its
 * {@link RejectionReason} (the README's "Action claims" gives the rules).
 * Pure, deterministic and precision-first (where unsure: not a claim); the
 * first claiming sentence wins. Behaviour source: instar 1.3.579
 * `src/core/action-claim.ts`, extended by runwarden's truth table
 * (`test/fixtures/action-claims.json`).
 *
 * @param text - a line or a turn; at most {@link MAX_CLAIM_TEXT_CHARS} characters are read.
 * @returns `{claim: true, verb, object?, reason, sentence}` or `{claim: false, reason}`.
 * @example
 * ```ts
 * classifyActionClaim('Done. Pushing it now.');
 * // → { claim: true, verb: 'push', object: 'it', reason: 'sentence-initial-participle', sentence: 'Pushing it now.' }
 * classifyActionClaim('Did you restart it?'); // → { claim: false, reason: 'question' }
 * ```
 */
export function classifyActionClaim(text: string): ActionClaimVerdict {
  if (typeof text !== 'string' || text.trim() === '') return { claim: false, reason: 'empty' };
  const plain = plainQuotes(
    text.length > MAX_CLAIM_TEXT_CHARS ? text.slice(0, MAX_CLAIM_TEXT_CHARS) : text,
  );
  const reasons = new Set<RejectionReason>();
  let inFence = false;
  for (const line of plain.split('\n')) {
    if (isFence(line)) {
      inFence = !inFence;
      continue;
    }
    const kind: SpanKind | 'text' = inFence ? 'code' : lineKind(line);
    if (kind !== 'text') {
      if (ANY_FORM.test(line)) reasons.add(kind === 'quote' ? 'quoted' : 'code');
      continue;
    }
    const masked = maskSpans(stripDecoration(line));
    for (const span of masked.spans)
      if (ANY_FORM.test(span.text)) reasons.add(span.kind === 'quote' ? 'quoted' : 'code');
    for (const sentence of sentencesOf(masked.text)) {
      const verdict = readSentence(sentence, masked.spans);
      if (verdict.claim) {
        const { object, ...rest } = verdict;
        return {
          ...rest,
          ...(object !== undefined ? { object } : {}),
          sentence: unmask(sentence, masked.spans),
        };
      }
      reasons.add(verdict.reason);
    }
  }
  return {
    claim: false,
    reason: REJECTION_PRIORITY.find((reason) => reasons.has(reason)) ?? 'no-action-verb',
  };
}
