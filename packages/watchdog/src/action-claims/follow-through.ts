/**
 * Follow-through: given a commitment and the evidence gathered since it was
 * made, was the action done? Pure: the evidence is plain data (journal
 * events, reflog entries, tag refs), read by `readGitActivity` and
 * `readJournal`. Where instar 1.3.579 descoped checking ("no per-turn
 * evidence primitive"), runwarden has the run's journal and the repository's
 * reflogs.
 */
import type { JournalEvent } from '../journal-schema.js';
import type { ReflogEntry, TagRef } from './git-activity.js';
import { ACTION_VERBS, type EvidenceKind } from './verbs.js';

/** The evidence a commitment is judged on; each part optional. */
export interface FollowThroughEvidence {
  /** Journal events of the runs concerned (e.g. every attempt of the loop that made the claim). */
  journalEvents?: readonly JournalEvent[];
  /** Reflog entries of the repository the run works in. */
  reflog?: readonly ReflogEntry[];
  /** The repository's loose tag refs. */
  tags?: readonly TagRef[];
}

/** What follow-through needs of a commitment (a `Commitment` of `@runwarden/coordination-state` has it). */
export interface FollowThroughCommitment {
  verb: string;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601. */
  expiresAt: string;
}

/** The verdict of {@link findFollowThrough}. */
export type FollowThroughFinding =
  | {
      fulfilled: true;
      /** What showed it: the kind, when (ISO 8601), one line of detail. */
      evidence: { kind: EvidenceKind; at: string; detail: string };
    }
  | {
      fulfilled: false;
      /** The evidence the verb needs (`none` when runwarden cannot see it done). */
      kind: EvidenceKind;
      /** Why not, for people. */
      reason: string;
    };

/**
 * How long before a commitment's `createdAt` git evidence still counts, in
 * ms: the claim is heard, then recorded, while the action it announces may
 * already be running ("Pushing it now." printed as `git push` starts, a local
 * push done in milliseconds), and git's reflog keeps whole seconds. A process
 * start gets no lead: a watchdog's resume just before a claim is not its
 * follow-through.
 */
export const GIT_EVIDENCE_LEAD_MS = 2000;

/** Journal events that are a new process start or a service (re)start. */
const PROCESS_STARTS = new Set(['spawned', 'resumed', 'adopted', 'service-started']);

/** HEAD reflog messages per evidence kind (git's own wording, git 2.x). */
const HEAD_MESSAGES: Partial<Record<EvidenceKind, RegExp>> = {
  'git-commit': /^commit(?: \((?:initial|amend|merge)\))?: /,
  'git-merge': /^(?:merge \S.*: |commit \(merge\): )/,
  'git-revert': /^(?:revert: |commit: Revert ")/,
  'git-rebase': /^rebase(?: -i)? \(finish\): |^rebase finished: /,
};

/**
 * The evidence kind that fulfils a commitment to a verb ({@link ACTION_VERBS}).
 *
 * @param verb - a canonical verb, e.g. `push`.
 * @returns its evidence kind; `none` for a verb outside the set.
 */
export function evidenceKindOf(verb: string): EvidenceKind {
  return ACTION_VERBS.find((entry) => entry.verb === verb)?.evidence ?? 'none';
}

/**
 * Looks for evidence that a commitment was kept, inside its window: from
 * `createdAt` (for git evidence, {@link GIT_EVIDENCE_LEAD_MS} before it, a
 * reflog's whole second counting when any part of it is inside) to
 * `expiresAt`. The evidence of each verb is its {@link EvidenceKind}; the
 * earliest piece wins.
 *
 * @param commitment - its verb and window.
 * @param evidence - what was gathered.
 * @returns fulfilled with the evidence, or not, with the kind needed and why.
 */
export function findFollowThrough(
  commitment: FollowThroughCommitment,
  evidence: FollowThroughEvidence,
): FollowThroughFinding {
  const kind = evidenceKindOf(commitment.verb);
  const fromMs = Date.parse(commitment.createdAt);
  const untilMs = Date.parse(commitment.expiresAt);
  const within = (atMs: number) => atMs >= fromMs && atMs <= untilMs;
  const withinSecond = (atMs: number) =>
    atMs + 999 >= fromMs - GIT_EVIDENCE_LEAD_MS && atMs <= untilMs;
  const found: { atMs: number; detail: string }[] = [];
  if (kind === 'process-start') {
    for (const event of evidence.journalEvents ?? []) {
      const atMs = Date.parse(event.ts);
      if (!PROCESS_STARTS.has(event.type) || !within(atMs)) continue;
      const what = event.type === 'service-started' ? `service ${String(event.name)}` : 'process';
      found.push({
        atMs,
        detail: `journal: ${event.type} (${what} pid ${String(event.pid)}, run ${event.runId})`,
      });
    }
  } else if (kind === 'git-push') {
    for (const entry of evidence.reflog ?? []) {
      if (!entry.ref.startsWith('refs/remotes/') || !entry.message.startsWith('update by push'))
        continue;
      if (withinSecond(entry.atMs))
        found.push({
          atMs: entry.atMs,
          detail: `${entry.ref}: ${entry.message} (${short(entry)})`,
        });
    }
  } else if (kind === 'git-tag') {
    for (const entry of evidence.reflog ?? []) {
      if (entry.ref.startsWith('refs/tags/') && withinSecond(entry.atMs))
        found.push({ atMs: entry.atMs, detail: `${entry.ref}: ${entry.message || 'created'}` });
    }
    for (const tag of evidence.tags ?? []) {
      if (within(tag.atMs)) found.push({ atMs: tag.atMs, detail: `${tag.ref}: new tag ref` });
    }
  } else if (HEAD_MESSAGES[kind]) {
    const pattern = HEAD_MESSAGES[kind]!;
    for (const entry of evidence.reflog ?? []) {
      if (entry.ref === 'HEAD' && pattern.test(entry.message) && withinSecond(entry.atMs))
        found.push({ atMs: entry.atMs, detail: `HEAD: ${entry.message} (${short(entry)})` });
    }
  } else {
    return {
      fulfilled: false,
      kind,
      reason: `runwarden cannot see "${commitment.verb}" done; the commitment can only expire or be dropped.`,
    };
  }
  const first = found.sort((a, b) => a.atMs - b.atMs)[0];
  if (!first) {
    return {
      fulfilled: false,
      kind,
      reason: `no ${kind} evidence between ${commitment.createdAt} and ${commitment.expiresAt}.`,
    };
  }
  return {
    fulfilled: true,
    evidence: { kind, at: new Date(first.atMs).toISOString(), detail: first.detail },
  };
}

function short(entry: ReflogEntry): string {
  return `${entry.oldId.slice(0, 7)}..${entry.newId.slice(0, 7)}`;
}
