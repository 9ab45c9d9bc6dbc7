/**
 * The phrase patterns of the action-claim classifier: who speaks (first-person
 * scopes), what softens or cancels a claim (hedges, negations, conditions),
 * where a clause ends, and the fast gate every claim passes. All patterns are
 * case-insensitive and read text whose apostrophes and quotes were normalised
 * (`’` → `'`, `“ ”` → `"`).
 */

/**
 * Discourse markers a sentence may open with before its claim: "OK, I'll …",
 * "Done, pushing it now", "Now let me …", "Alright so I'm going to …".
 */
export const OPENING_MARKERS =
  /(?:(?:ok(?:ay)?|alright|all right|right|so|now|next|then|and|also|first|finally|lastly|great|good|cool|perfect|sure|yes|yep|yeah|got it|understood|noted|done|sounds good|thanks|thank you|anyway|meanwhile|excellent|nice|fine)\b[\s,!:\u2013\u2014-]*)*/iy;

/** A first-person future scope: "I'll", "I will", "I'm going to", "let me", "I'm about to", and the clipped "Going to" / "About to". */
export const FUTURE_SCOPE =
  /(?:i'll|i will|i shall|(?:i'm|im|i am) (?:now |just |also )?(?:going to|gonna|about to)|let me|going to|gonna|about to)\s+/iy;

/** A first-person present progressive scope ("I'm restarting …", "I am pushing …"). */
export const PROGRESSIVE_SCOPE = /(?:i'm|im|i am)\s+/iy;

/** A negated first-person scope: "I won't", "I will not", "I'm not going to", "Not pushing". */
export const NEGATED_SCOPE =
  /(?:i won'?t|i will not|i shall not|i'll not|i'll never|i will never|i'm not|im not|i am not|let me not|not going to|i don'?t|i do not|i can'?t|i cannot|i wouldn'?t|i'd rather not|i shouldn'?t|no need to|not)\b/iy;

/** Adverbs allowed between a scope and its verb ("I'll now go ahead and restart …"). */
export const ADVERBS =
  /(?:(?:now|just|quickly|immediately|then|also|first|next|finally|actually|simply|promptly|definitely|certainly|right now|right away|straight away|make sure to|go ahead and|go and|go)\s+)*/iy;

/** Negation right after a scope ("I'll not …", "I'm never going to …"). */
export const NEGATION_AFTER_SCOPE = /(?:not|never|no longer)\b/iy;

/**
 * Hedges right after a scope: the speaker does not commit ("I'll try to
 * restart", "I'll probably push", "I'm going to need to merge", "I'll have
 * merged it by then").
 */
export const HEDGES =
  /(?:try(?:ing)? to|try and|attempt to|need to|have to|want to|would like to|like to|plan to|planning to|probably|maybe|perhaps|possibly|likely|hopefully|eventually|be able to|have|might|should|could|would|must|consider)\b/iy;

/** "I'll be restarting …": `be` before a participle keeps the claim. */
export const BE = /be\s+/iy;

/** A time marker that commits a bare participle ("Relaunching now.", "Pushing it right away."). */
export const TIME_MARKER =
  /\b(?:now|right away|straight away|immediately|shortly|in a (?:moment|sec|second|minute|bit)|as we speak)\b/i;

/** Words that make a sentence conditional ("If it fails I'll restart", "I'll merge once CI is green"). */
export const CONDITIONAL =
  /\b(?:if|unless|once|when|whenever|until|till|after|in case|as soon as|provided|assuming|otherwise|or else|depending on|whether|only after)\b|^(?:should|had|were) /i;

/**
 * What looks conditional and is not: an embedded question ("… and see if it
 * helps"), "once more", "at once", "after all".
 */
export const NOT_CONDITIONAL =
  /\b(?:see|check|verify|confirm|test|know|ask|wonder|determine|find out|tell|sure|unsure|unclear|clear) (?:if|whether)\b|\bonce (?:more|again)\b|\b(?:all )?at once\b|\bafter all\b/gi;

/** Negation inside the verb's own clause ("I'll push it, but not yet" is caught by {@link DEFERRAL}). */
export const NEGATION = /\b(?:not|never|no longer|cannot)\b|n't\b/i;

/** A deferral anywhere in the sentence ("… but not yet", "not now"). */
export const DEFERRAL = /\bnot (?:yet|now|until|today)\b|\bnot\b.*\byet\b/i;

/** Where a clause (and so an object) ends. */
export const CLAUSE_END =
  /\s*(?:[,;:()\u2013\u2014]|\s-\s|\.\.\.|\u2026|\b(?:and|but|so|because|since|then|which|while|whereas|now that|in order to|to (?:make sure|ensure|see|pick up|pick|apply|get|check|verify|confirm|test|fix|reload|clear|trigger|load|refresh|unblock|resolve|catch)|once|when|after|if|unless|until|as soon as)\b)/i;

/**
 * Where a first-person scope may begin inside a sentence: after a clause
 * break ("Tests pass, so I'll push", "… and I'll restart it").
 */
export const CLAUSE_STARTS =
  /(?:[,;:]|\s[\u2013\u2014-])\s+(?:(?:and|so|but|then|now)\s+)*|\s(?:and|so|but|then)\s+(?:(?:then|now)\s+)*/gi;

/** Words that end an object without belonging to it ("… the server now", "… it again for you"). */
export const OBJECT_TRAILER =
  /(?:^|\s+)(?:now|right now|right away|immediately|shortly|again|real quick|quickly|first|next|later|today|tonight|tomorrow|in a (?:moment|sec|second|minute|bit)|as we speak|for you|too|as well|straight away|asap|then|please)$/i;

/** A question: the sentence ends with `?` (before closing quotes or brackets). */
export const QUESTION = /\?["')\]]*\s*$/;

/** An imperative: a sentence opening with a base form, maybe after "please" ("Please merge the PR", "Restart the server."). */
export const IMPERATIVE_OPENING = /(?:(?:please|pls|kindly|go ahead and|just|now|then)\s+)*/iy;

/** A conditional opening ("If it fails I'll restart", "Once CI passes, merge"). */
export const CONDITIONAL_OPENING =
  /(?:if|unless|once|when|whenever|after|in case|as soon as|should|provided|assuming)\b/iy;

/** Some first person in a sentence (to tell `vague` from `not-first-person`). */
export const FIRST_PERSON = /\b(?:i|i'm|i'll|i've|i'd|me|my|let me)\b/i;

/**
 * The fast gate: every claim contains a first-person scope or a time marker,
 * so text without any of these is not a claim. It is applied to whole chunks
 * of output (decoded as latin1: the three bytes of a UTF-8 `’` are three
 * non-word characters, matched by `\W{0,3}`) before any line is decoded.
 * `` ``` `` and `~~~` let a line reader see code fences. Factored by first
 * letter: V8 runs it about a third faster than the flat alternation.
 */
export const CLAIM_GATE =
  /\b(?:i(?:\W{0,3}(?:ll|m)|\s+(?:will|shall|am)|mmediately|n\s+a\s+(?:moment|sec|second|minute|bit))|let\s+me|go(?:ing\s+to|nna)|a(?:bout\s+to|s\s+we\s+speak)|now|s(?:hortly|traight\s+away)|right\s+away)\b|```|~~~/i;
