/**
 * The closed set of concrete action verbs an action claim can carry (instar
 * 1.3.579's follow-through sentinel: "a closed concrete-verb set; vague filler
 * does not trigger"), each with its word forms, what counts as its object,
 * and the evidence that can show it was done.
 */

/** A canonical action verb of the closed set. */
export type ActionVerb =
  | 'restart'
  | 'relaunch'
  | 'rerun'
  | 'reboot'
  | 'start'
  | 'stop'
  | 'kill'
  | 'push'
  | 'commit'
  | 'merge'
  | 'revert'
  | 'rebase'
  | 'tag'
  | 'release'
  | 'publish'
  | 'deploy'
  | 'redeploy'
  | 'roll back'
  | 'open a PR';

/**
 * What can show that a claimed action happened:
 *
 * - `process-start`: a new process start or service restart in a run's
 *   journal (`spawned`, `resumed`, `adopted`, `service-started`);
 * - `git-push`: a remote-tracking ref moved by a push (`update by push` in
 *   `.git/logs/refs/remotes/**`);
 * - `git-commit`, `git-merge`, `git-revert`, `git-rebase`: the matching entry
 *   in the `HEAD` reflog (`commit…:`, `merge …:`, `revert:`, `rebase (finish):`);
 * - `git-tag`: a new tag ref (`refs/tags/*`, or its reflog when tags are logged);
 * - `none`: nothing runwarden can see (a deploy, a publish, a kill of someone
 *   else's process): the commitment can only expire, or be dropped by a person.
 */
export type EvidenceKind =
  | 'process-start'
  | 'git-push'
  | 'git-commit'
  | 'git-merge'
  | 'git-revert'
  | 'git-rebase'
  | 'git-tag'
  | 'none';

/** One row of {@link ACTION_VERBS}. */
export interface ActionVerbEntry {
  /** The canonical verb reported by the classifier. */
  verb: ActionVerb;
  /** Regex source of its base forms (`restart`, `re-start`), matched whole-word, case-insensitive. */
  base: string;
  /** Regex source of its present participles (`restarting`). */
  participle: string;
  /** Regex source of its past forms (`restarted`), for the `past-tense` reason. */
  past: string;
  /** The evidence that fulfils a commitment to it. */
  evidence: EvidenceKind;
  /**
   * Object rule: `required` (a bare "I'll start" is filler), `optional`,
   * or a pattern the object must match (`open` needs "a PR").
   */
  object: 'required' | 'optional' | RegExp;
  /** Objects (lower-cased) that make the phrase something else: "push back", "stop here", "release the lock". */
  notObject?: RegExp;
}

/** The words after which "start", "stop" or "kill" is not an action on a thing. */
const NOT_A_THING =
  /^(?:by|with|on|over|off|from|at|in|into|to|again|here|there|fresh|now|afresh|anew|thinking|looking|working|being|doing|making|writing|reading|the day|the process of|the investigation|the review|a new approach|a fresh approach|a review|an investigation|digging|\w+ing\b)/;

/**
 * The closed verb set, longest forms first where one contains another
 * (`restart` before `start`, `redeploy` before `deploy`).
 */
export const ACTION_VERBS: readonly ActionVerbEntry[] = [
  {
    verb: 'restart',
    base: 're-?start',
    participle: 're-?starting',
    past: 're-?started',
    evidence: 'process-start',
    object: 'optional',
    notObject:
      /^(?:from scratch|over)\b|\b(?:investigation|analysis|review|discussion|research|search|approach|thinking|reasoning|plan|count|attempt)\b/,
  },
  {
    verb: 'relaunch',
    base: 're-?launch',
    participle: 're-?launching',
    past: 're-?launched',
    evidence: 'process-start',
    object: 'optional',
  },
  {
    verb: 'rerun',
    base: 're-?run',
    participle: 're-?running',
    past: 're-?ran',
    evidence: 'none',
    object: 'optional',
  },
  {
    verb: 'reboot',
    base: 're-?boot',
    participle: 're-?booting',
    past: 're-?booted',
    evidence: 'process-start',
    object: 'optional',
  },
  {
    verb: 'redeploy',
    base: 're-?deploy',
    participle: 're-?deploying',
    past: 're-?deployed',
    evidence: 'none',
    object: 'optional',
  },
  {
    verb: 'deploy',
    base: 'deploy',
    participle: 'deploying',
    past: 'deployed',
    evidence: 'none',
    object: 'optional',
  },
  {
    verb: 'push',
    base: '(?:force[- ])?push',
    participle: '(?:force[- ])?pushing',
    past: '(?:force[- ])?pushed',
    evidence: 'git-push',
    object: 'optional',
    notObject:
      /^(?:back|through|forward|ahead|for|on|harder|past|beyond|myself|yourself|them to|you to|it through)\b/,
  },
  {
    verb: 'commit',
    base: 'commit',
    participle: 'committing',
    past: 'committed',
    evidence: 'git-commit',
    object: 'optional',
    notObject: /^(?:to|myself)\b/,
  },
  {
    verb: 'merge',
    base: 'merge',
    participle: 'merging',
    past: 'merged',
    evidence: 'git-merge',
    object: 'optional',
    notObject:
      /\b(?:with|together|both|these|those|the two|functions?|methods?|class(?:es)?|lists?|arrays?|objects?|dicts?|dictionaries|maps?|configs?|columns?|rows?|tables?|data(?:frames?)?|results?|sets?|sections?|paragraphs?|options|fields?|entries|values?|keys?|types?|interfaces?|files?|duplicates?|ideas?)\b/,
  },
  {
    verb: 'revert',
    base: 'revert',
    participle: 'reverting',
    past: 'reverted',
    evidence: 'git-revert',
    object: 'optional',
  },
  {
    verb: 'rebase',
    base: 'rebase',
    participle: 'rebasing',
    past: 'rebased',
    evidence: 'git-rebase',
    object: 'optional',
  },
  {
    verb: 'roll back',
    base: 'roll ?back|roll (?:it|this|that|them|everything|the \\w+) back',
    participle: 'rolling back|rolling (?:it|this|that|them|everything|the \\w+) back',
    past: 'rolled ?back|rolled (?:it|this|that|them|everything|the \\w+) back',
    evidence: 'none',
    object: 'optional',
  },
  {
    verb: 'kill',
    base: 'kill',
    participle: 'killing',
    past: 'killed',
    evidence: 'none',
    object: 'required',
    notObject: /^(?:time|two birds|it with|the mood|off)\b/,
  },
  {
    verb: 'stop',
    base: 'stop',
    participle: 'stopping',
    past: 'stopped',
    evidence: 'none',
    object: 'required',
    notObject: /^(?:it there|and|short|by|worrying)\b/,
  },
  {
    verb: 'start',
    base: 'start',
    participle: 'starting',
    past: 'started',
    evidence: 'process-start',
    object: 'required',
    notObject:
      /^(?:it (?:by|with|from|off)|this (?:by|with|from|off)|things off|out|up (?:by|with)|small)\b|\b(?:investigation|analysis|review|research|exploration|search|refactor(?:ing)?|implementation|task|work|plan|step|phase|section|chapter|conversation|discussion)\b/,
  },
  {
    verb: 'tag',
    base: 'tag',
    participle: 'tagging',
    past: 'tagged',
    evidence: 'git-tag',
    object: 'required',
    notObject:
      /^(?:@|you\b|him\b|her\b|them\b|someone\b|somebody\b|people\b|the (?:reviewer|team|owner|maintainer|user)s?\b|in\b|along\b)/,
  },
  {
    verb: 'release',
    base: 'release',
    participle: 'releasing',
    past: 'released',
    evidence: 'none',
    object: 'optional',
    notObject:
      /\b(?:lock|locks|mutex|semaphore|handles?|memory|resources?|buffers?|connections?|pool|lease|hold|grip|control|pressure|tension|you|them|him|her)\b/,
  },
  {
    verb: 'publish',
    base: 'publish',
    participle: 'publishing',
    past: 'published',
    evidence: 'none',
    object: 'optional',
    notObject: /\b(?:thoughts|findings|notes|summary|results)\b/,
  },
  {
    verb: 'open a PR',
    base: 'open(?: up)?',
    participle: 'opening(?: up)?',
    past: 'opened(?: up)?',
    evidence: 'none',
    object:
      /^(?:a|an|the|one|new)?\s*(?:(?:new|draft|follow-up|fix|small|separate|quick)\s+)*(?:pr|pull request|mr|merge request)\b/,
  },
];

const byWordSet = (form: 'base' | 'participle' | 'past') =>
  `\\b(?:${ACTION_VERBS.map((entry) => entry[form]).join('|')})\\b`;

/** Any base form of the closed set, whole word, case-insensitive. */
export const BASE_FORM = new RegExp(byWordSet('base'), 'i');
/** Any present participle of the closed set. */
export const PARTICIPLE_FORM = new RegExp(byWordSet('participle'), 'i');
/** Any past form of the closed set. */
export const PAST_FORM = new RegExp(byWordSet('past'), 'i');
/** Any form at all (base, participle or past). */
export const ANY_FORM = new RegExp(
  `${byWordSet('participle')}|${byWordSet('past')}|${byWordSet('base')}`,
  'i',
);

/**
 * Whether a phrase's object suits its verb: a `required` object is there and
 * names a thing (not "start by …", "stop here"); a pattern matches; no
 * `notObject` phrase turns the verb into something else.
 *
 * @param entry - the verb's row.
 * @param object - the object as extracted (`undefined` when none).
 * @returns whether the phrase is a concrete action on a thing.
 */
export function objectFits(entry: ActionVerbEntry, object: string | undefined): boolean {
  const lower = object?.toLowerCase();
  if (entry.object instanceof RegExp) return lower !== undefined && entry.object.test(lower);
  if (entry.object === 'required' && (lower === undefined || NOT_A_THING.test(lower))) return false;
  return lower === undefined || !entry.notObject?.test(lower);
}

/**
 * The stems of every form of the closed set ({@link ANY_FORM} matches only
 * where this does): a cheaper first test for a line.
 */
export const VERB_STEM =
  /\b(?:re-?(?:start|launch|run|ran|boot|deploy)|start|deploy|(?:force[- ])?push|commit|merg|revert|rebas|roll|kill|stop|tag|releas|publish|open)/i;

const compiled = ACTION_VERBS.map((entry) => ({
  entry,
  base: new RegExp(`^(?:${entry.base})\\b`, 'i'),
  participle: new RegExp(`^(?:${entry.participle})\\b`, 'i'),
}));

/** A verb found at a position of a sentence. */
export interface VerbAt {
  entry: ActionVerbEntry;
  /** The words as written, e.g. `Restarting` or `roll it back`. */
  words: string;
  /** The object folded into the verb phrase (`it` of "roll it back"), if any. */
  innerObject: string | undefined;
}

/**
 * Reads a verb of the closed set at the start of `text`.
 *
 * @param text - the text that should begin with the verb.
 * @param form - `base` ("restart") or `participle` ("restarting").
 * @returns the verb and its words, or `undefined` when `text` does not begin with one.
 */
export function verbAt(text: string, form: 'base' | 'participle'): VerbAt | undefined {
  for (const candidate of compiled) {
    const match = candidate[form].exec(text);
    if (!match) continue;
    const words = match[0];
    const inner = /^\w+ (it|this|that|them|everything|the \w+) back$/i.exec(words);
    return { entry: candidate.entry, words, innerObject: inner?.[1] };
  }
  return undefined;
}
