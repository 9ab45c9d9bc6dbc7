/**
 * Reads one sentence (quotes and code already masked) for an action claim:
 * the three claim shapes at the places they may stand, then what blocks them.
 */
import {
  ADVERBS,
  BE,
  CLAUSE_END,
  CLAUSE_STARTS,
  CONDITIONAL,
  CONDITIONAL_OPENING,
  DEFERRAL,
  FIRST_PERSON,
  FUTURE_SCOPE,
  HEDGES,
  IMPERATIVE_OPENING,
  NEGATED_SCOPE,
  NEGATION,
  NEGATION_AFTER_SCOPE,
  NOT_CONDITIONAL,
  OBJECT_TRAILER,
  OPENING_MARKERS,
  PROGRESSIVE_SCOPE,
  QUESTION,
  TIME_MARKER,
} from './phrases.js';
import type { ClaimReason, RejectionReason } from './reasons.js';
import { type MaskedText, unmask } from './text.js';
import { type ActionVerb, ANY_FORM, objectFits, PAST_FORM, type VerbAt, verbAt } from './verbs.js';

/** What one sentence says. */
export type SentenceVerdict =
  | { claim: true; verb: ActionVerb; object: string | undefined; reason: ClaimReason }
  | { claim: false; reason: RejectionReason };

/** The most words an object keeps. */
const MAX_OBJECT_WORDS = 12;

interface Shape {
  reason: ClaimReason;
  verb: VerbAt;
  /** Where the verb's words end. */
  verbEnd: number;
  /** The opening markers, for a participle's time marker ("Now pushing the fix."). */
  markers: string;
}

/** Matches a sticky pattern at `position`; the match's length, or -1. */
function at(pattern: RegExp, text: string, position: number): number {
  pattern.lastIndex = position;
  const match = pattern.exec(text);
  return match ? match[0].length : -1;
}

/**
 * Reads a claim shape at `start`: markers, then a future scope ("I'll …"), a
 * progressive scope ("I'm …ing"), or, at the start of the sentence only, a
 * bare participle ("Relaunching …").
 */
function shapeAt(
  sentence: string,
  start: number,
  initial: boolean,
): Shape | RejectionReason | null {
  const markerLength = Math.max(0, at(OPENING_MARKERS, sentence, start));
  const markers = sentence.slice(start, start + markerLength);
  let position = start + markerLength;
  if (at(NEGATED_SCOPE, sentence, position) >= 0 && ANY_FORM.test(sentence.slice(position)))
    return 'negation';
  const future = at(FUTURE_SCOPE, sentence, position);
  if (future >= 0) {
    position += future;
    if (at(NEGATION_AFTER_SCOPE, sentence, position) >= 0) return 'negation';
    position += Math.max(0, at(ADVERBS, sentence, position));
    if (at(NEGATION_AFTER_SCOPE, sentence, position) >= 0) return 'negation';
    const be = at(BE, sentence, position);
    if (be >= 0) {
      const verb = verbAt(sentence.slice(position + be), 'participle');
      if (verb)
        return {
          reason: 'first-person-future',
          verb,
          verbEnd: position + be + verb.words.length,
          markers,
        };
    }
    if (at(HEDGES, sentence, position) >= 0) return 'hedged';
    const verb = verbAt(sentence.slice(position), 'base');
    if (!verb) return 'vague';
    return { reason: 'first-person-future', verb, verbEnd: position + verb.words.length, markers };
  }
  const progressive = at(PROGRESSIVE_SCOPE, sentence, position);
  if (progressive >= 0) {
    const after = position + progressive;
    const verbStart = after + Math.max(0, at(ADVERBS, sentence, after));
    const verb = verbAt(sentence.slice(verbStart), 'participle');
    if (!verb) return null;
    return {
      reason: 'first-person-progressive',
      verb,
      verbEnd: verbStart + verb.words.length,
      markers,
    };
  }
  if (!initial) return null;
  const verb = verbAt(sentence.slice(position), 'participle');
  if (!verb) return null;
  return {
    reason: 'sentence-initial-participle',
    verb,
    verbEnd: position + verb.words.length,
    markers,
  };
}

/** The object of a verb: the words after it up to the clause's end, without trailing time words. */
function objectAfter(rest: string): { object: string | undefined; clause: string } {
  const end = CLAUSE_END.exec(rest);
  const clause = end ? rest.slice(0, end.index) : rest;
  let object = clause.replace(/[.!?\u2026"')\]]+$/, '').trim();
  for (let previous = ''; previous !== object; ) {
    previous = object;
    object = object.replace(OBJECT_TRAILER, '').replace(/[.!?]+$/, '');
  }
  const words = object.split(/\s+/).filter(Boolean);
  return {
    object: words.length > 0 ? words.slice(0, MAX_OBJECT_WORDS).join(' ') : undefined,
    clause,
  };
}

/** Checks a shape's blockers: a condition, a negation or deferral, a missing time marker, an unfit object. */
function judge(sentence: string, shape: Shape, spans: MaskedText['spans']): SentenceVerdict {
  if (CONDITIONAL.test(sentence.replace(NOT_CONDITIONAL, ' ')))
    return { claim: false, reason: 'conditional' };
  const rest = sentence.slice(shape.verbEnd);
  const { object: found, clause } = objectAfter(rest);
  if (NEGATION.test(clause) || DEFERRAL.test(sentence)) return { claim: false, reason: 'negation' };
  if (
    shape.reason === 'sentence-initial-participle' &&
    !TIME_MARKER.test(shape.markers) &&
    !TIME_MARKER.test(rest)
  )
    return { claim: false, reason: 'no-time-marker' };
  const inner = shape.verb.innerObject;
  const object = inner ? (found ? `${inner} ${found}` : inner) : found;
  if (!objectFits(shape.verb.entry, object)) return { claim: false, reason: 'vague' };
  return {
    claim: true,
    verb: shape.verb.entry.verb,
    object: object === undefined ? undefined : unmask(object, spans),
    reason: shape.reason,
  };
}

/** Why a sentence with a verb of the set but no claim shape is not a claim. */
function fallbackReason(sentence: string): RejectionReason {
  const markers = Math.max(0, at(OPENING_MARKERS, sentence, 0));
  const opening = markers + Math.max(0, at(IMPERATIVE_OPENING, sentence, markers));
  if (verbAt(sentence.slice(opening), 'base')) return 'imperative';
  if (at(CONDITIONAL_OPENING, sentence, markers) >= 0) return 'conditional';
  if (PAST_FORM.test(sentence)) return 'past-tense';
  return FIRST_PERSON.test(sentence) ? 'unscoped' : 'not-first-person';
}

/**
 * Reads one sentence for an action claim.
 *
 * @param sentence - one sentence, its quotes and code masked ({@link maskSpans}).
 * @param spans - the masked spans, to put them back into the object.
 * @returns the claim, or why it is none.
 */
export function readSentence(sentence: string, spans: MaskedText['spans']): SentenceVerdict {
  if (!ANY_FORM.test(sentence)) {
    const markers = Math.max(0, at(OPENING_MARKERS, sentence, 0));
    const scoped = at(FUTURE_SCOPE, sentence, markers) >= 0;
    return { claim: false, reason: scoped ? 'vague' : 'no-action-verb' };
  }
  if (QUESTION.test(sentence)) return { claim: false, reason: 'question' };
  const starts = [0];
  for (const match of sentence.matchAll(CLAUSE_STARTS)) starts.push(match.index + match[0].length);
  let blocked: RejectionReason | undefined;
  for (const start of starts) {
    const shape = shapeAt(sentence, start, start === 0);
    if (shape === null) continue;
    if (typeof shape === 'string') {
      blocked ??= shape;
      continue;
    }
    const verdict = judge(sentence, shape, spans);
    if (verdict.claim) return verdict;
    blocked ??= verdict.reason;
  }
  return { claim: false, reason: blocked ?? fallbackReason(sentence) };
}
