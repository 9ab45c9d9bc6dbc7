/**
 * Why {@link classifyActionClaim} answered as it did. A claim:
 *
 * - `first-person-future`: "I'll restart the server", "Let me push this", "I'm going to merge it";
 * - `first-person-progressive`: "I'm restarting the server", "I am pushing the fix now";
 * - `sentence-initial-participle`: "Relaunching now.", "Done. Pushing it now." (a time marker is required).
 *
 * Not a claim:
 *
 * - `empty`: no text;
 * - `no-action-verb`: no verb of the closed set ({@link ACTION_VERBS}) outside quotes and code;
 * - `vague`: a first-person scope governs filler ("I'll take a look", "I'll see") or a verb
 *   without a concrete object ("I'll start by reading", "I'll push back on that");
 * - `hedged`: "I'll try to restart", "I'll probably push", "I'm going to need to merge";
 * - `negation`: "I won't push", "I'm not going to merge", "I'll push it, but not yet";
 * - `conditional`: "If it fails I'll restart", "I'll merge once CI is green";
 * - `question`: "Did you restart it?", "Should I push?";
 * - `imperative`: "Please merge the PR", "Restart the server.";
 * - `past-tense`: "I restarted it", "I've pushed the fix", "Pushed.";
 * - `not-first-person`: "He is deploying it", "The script reverts the commit on failure";
 * - `no-time-marker`: a bare participle that may be a log line or a heading ("Restarting server");
 * - `unscoped`: first person is there, but no scope governs the verb ("My plan is to push");
 * - `quoted`: the verb is only inside quotes or a blockquote (someone else's words);
 * - `code`: the verb is only inside code (`` `git push` ``, a fenced block, a `$ …` line).
 */
export type ActionClaimReason =
  | 'first-person-future'
  | 'first-person-progressive'
  | 'sentence-initial-participle'
  | 'empty'
  | 'no-action-verb'
  | 'vague'
  | 'hedged'
  | 'negation'
  | 'conditional'
  | 'question'
  | 'imperative'
  | 'past-tense'
  | 'not-first-person'
  | 'no-time-marker'
  | 'unscoped'
  | 'quoted'
  | 'code';

/** The reasons that are a claim. */
export type ClaimReason = Extract<
  ActionClaimReason,
  'first-person-future' | 'first-person-progressive' | 'sentence-initial-participle'
>;

/** The reasons that are not a claim. */
export type RejectionReason = Exclude<ActionClaimReason, ClaimReason>;

/**
 * When no sentence of a text is a claim, the reason reported is the first
 * of this list that some sentence gave: the one nearest to a claim.
 */
export const REJECTION_PRIORITY: readonly RejectionReason[] = [
  'negation',
  'conditional',
  'hedged',
  'question',
  'past-tense',
  'imperative',
  'not-first-person',
  'no-time-marker',
  'quoted',
  'code',
  'vague',
  'unscoped',
  'no-action-verb',
  'empty',
];
