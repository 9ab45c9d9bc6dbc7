import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Commitment, FileStore } from '@runwarden/coordination-state';
import {
  advanceCommitments,
  commitmentEventOf,
  commitmentInputOf,
  evidenceKindOf,
  type FollowThroughEvidence,
  GIT_EVIDENCE_LEAD_MS,
  type HeardActionClaim,
  type JournalEvent,
  type LedgerCommitment,
  readGitActivity,
  readJournal,
} from '@runwarden/watchdog';
import type { ActionClaimsConfig } from './config.js';
import { SUPERVISOR_DEFAULTS } from './defaults.js';
import type { StatePaths } from './state-paths.js';
import type { SupervisorJournal } from './supervisor-journal.js';

/** Options of {@link CommitmentKeeper}. */
export interface CommitmentKeeperOptions {
  paths: StatePaths;
  journal: SupervisorJournal;
  /** The action-claims settings of a loop now (`undefined` for a loop without them, or one no longer configured). */
  settingsOf: (loop: string) => ActionClaimsConfig | undefined;
  /** One line for people (an expired commitment). @default none */
  note?: (line: string) => void;
  /** How often open commitments are checked for evidence, in ms. @default SUPERVISOR_DEFAULTS.commitmentsEveryMs (5 s) */
  everyMs?: number;
}

/** Journal event types that are a new process start, for a restart's follow-through. */
const NEW_PROCESS = new Set(['spawned', 'resumed', 'service-started']);

/**
 * The supervisor's action-claim commitments (issue 14): a claim heard in a
 * loop's output opens (or restates) one commitment in the supervisor's store
 * (the `FileStore` under `<stateDir>/coordination`, key
 * `actionclaim:<loop>:<verb>`); a timer checks every open one for evidence
 * (`advanceCommitments`: the loop's run journals, the git reflogs of its
 * repository) and writes `commitment-fulfilled` or, at its deadline,
 * `commitment-expired` to the supervisor's journal: one attention item per
 * expired commitment, however often the claim was restated. A signal, never
 * an authority: nothing here blocks, delays or stops a run, and a store error
 * becomes a journal `error` event.
 */
export class CommitmentKeeper {
  private store: FileStore | undefined;
  private timer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private advancing: Promise<void> | undefined;
  private again = false;
  private closed = false;
  /** The store's last error, journaled once until it changes. */
  private lastError: string | undefined;
  /** Commitments whose evidence could not be read, reported once each. */
  private readonly unreadable = new Set<string>();

  /** @param options - the paths, the journal, the loops' settings. */
  constructor(private readonly options: CommitmentKeeperOptions) {}

  private ledger(): FileStore {
    this.store ??= new FileStore({ directory: this.options.paths.coordination });
    return this.store;
  }

  /** Starts the follow-through timer (idempotent). */
  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(
      () => void this.advance(),
      this.options.everyMs ?? SUPERVISOR_DEFAULTS.commitmentsEveryMs,
    );
    void this.advance();
  }

  /**
   * Records a claim heard in a loop's run: opens or restates its commitment,
   * with the loop's expiry and cap; a refusal (`cap_reached`) or a store error
   * is a journal event, never thrown.
   *
   * @param loop - the loop's name (the commitment's topic).
   * @param runId - the run that printed it.
   * @param claim - the claim.
   * @returns once it is recorded (or refused).
   */
  async heard(loop: string, runId: string, claim: HeardActionClaim): Promise<void> {
    const settings = this.options.settingsOf(loop);
    if (!settings || this.closed) return;
    const { journal } = this.options;
    try {
      const recorded = await this.ledger().recordCommitment(
        commitmentInputOf({
          claim,
          topic: loop,
          runId,
          capPerTopic: settings.capPerTopic,
          expiresAt: Date.now() + settings.expiryMs,
        }),
      );
      if (recorded.ok) {
        const { commitment } = recorded;
        journal.append('commitment-recorded', loop, {
          status: recorded.status,
          commitmentId: commitment.id,
          verb: commitment.verb,
          object: commitment.object,
          text: commitment.text,
          line: claim.line,
          runId,
          attempt: claim.attempt,
          restatements: commitment.restatements,
          expiresAt: commitment.expiresAt,
        });
      } else
        journal.append('commitment-refused', loop, {
          why: recorded.error,
          message: recorded.message,
          verb: claim.verb,
          text: claim.sentence,
          runId,
          capPerTopic: recorded.capPerTopic,
        });
    } catch (error) {
      journal.append('error', loop, { what: 'commitment', message: (error as Error).message });
    }
    this.start();
    this.scheduleDeadline();
  }

  /**
   * Every commitment in the store, oldest first (the open ones and each
   * topic's newest closed ones).
   *
   * @returns the commitments; `[]` when none was ever recorded.
   * @throws {CoordinationError} `ERR_INVALID_STATE` naming an unusable commitments file.
   */
  async list(): Promise<Commitment[]> {
    return this.ledger().listCommitments();
  }

  /**
   * Checks every open commitment once: fulfilled by evidence, or expired at
   * its deadline, each written to the journal exactly once. Calls that come
   * while one runs are folded into one more run after it.
   *
   * @returns once done.
   */
  advance(): Promise<void> {
    if (this.advancing) {
      this.again = true;
      return this.advancing;
    }
    this.advancing = this.advanceOnce().finally(() => {
      this.advancing = undefined;
      if (this.again && !this.closed) {
        this.again = false;
        void this.advance();
      }
    });
    return this.advancing;
  }

  private async advanceOnce(): Promise<void> {
    if (this.closed) return;
    const { journal, note } = this.options;
    try {
      const changes = await advanceCommitments({
        ledger: this.ledger(),
        evidenceFor: (commitment) => this.evidenceFor(commitment),
      });
      for (const { commitment, evidence } of changes.fulfilled) {
        const { type, data } = commitmentEventOf(commitment, evidence);
        journal.append(type, commitment.topic, data);
      }
      for (const commitment of changes.expired) {
        const { type, data } = commitmentEventOf(commitment);
        journal.append(type, commitment.topic, { ...data, attention: true });
        note?.(
          `loop ${commitment.topic} said "${commitment.text}" and nothing shows it was done (${commitment.verb}, ${commitment.restatements + 1} time(s), expired ${commitment.expiresAt})`,
        );
      }
      for (const { commitment, error } of changes.unreadable) {
        if (this.unreadable.has(commitment.id)) continue;
        this.unreadable.add(commitment.id);
        journal.append('error', commitment.topic, {
          what: 'commitment-evidence',
          commitmentId: commitment.id,
          message: (error as Error).message,
        });
      }
      this.lastError = undefined;
    } catch (error) {
      // Said once, not every tick: the store stays unusable until someone moves the file aside.
      const message = (error as Error).message;
      if (message !== this.lastError)
        journal.append('error', null, { what: 'commitments', message });
      this.lastError = message;
    }
    this.scheduleDeadline();
  }

  /** A timer at the earliest open deadline, so an expiry is raised when it is due, not at the next tick. */
  private scheduleDeadline(): void {
    if (this.closed || !this.store) return;
    this.store
      .listCommitments({ state: 'open' })
      .then((open) => {
        if (this.closed) return;
        clearTimeout(this.deadline);
        this.deadline = undefined;
        const next = Math.min(...open.map((commitment) => Date.parse(commitment.expiresAt)));
        if (!Number.isFinite(next)) return;
        this.deadline = setTimeout(() => void this.advance(), Math.max(0, next - Date.now()) + 5);
      })
      .catch(() => undefined);
  }

  /**
   * The evidence a commitment is judged on: for a restart (a process start),
   * the loop's run journals written since the claim, without `adopted` (a
   * supervisor adopting the same process after its own restart is no new
   * start); for a push, commit, merge, revert, rebase or tag, the reflogs of
   * the loop's repository from `GIT_EVIDENCE_LEAD_MS` before the claim.
   */
  private evidenceFor(commitment: LedgerCommitment): FollowThroughEvidence {
    const kind = evidenceKindOf(commitment.verb);
    const sinceMs = Date.parse(commitment.createdAt);
    if (kind === 'process-start')
      return { journalEvents: this.runEventsSince(commitment.topic, sinceMs) };
    if (kind === 'none') return {};
    const settings = this.options.settingsOf(commitment.topic);
    if (!settings) return {};
    const activity = readGitActivity(settings.repository, {
      sinceMs: sinceMs - GIT_EVIDENCE_LEAD_MS,
    });
    return { reflog: activity.reflog, tags: activity.tags };
  }

  /** Process starts in the loop's run journals modified since `sinceMs`. */
  private runEventsSince(loop: string, sinceMs: number): JournalEvent[] {
    const runsDir = this.options.paths.runsDir(loop);
    let runs: string[];
    try {
      runs = readdirSync(runsDir);
    } catch {
      return [];
    }
    const events: JournalEvent[] = [];
    for (const runId of runs) {
      const journal = join(runsDir, runId, 'journal.jsonl');
      try {
        if (statSync(journal).mtimeMs < sinceMs) continue;
      } catch {
        continue;
      }
      for (const event of readJournal(journal))
        if (NEW_PROCESS.has(event.type) && Date.parse(event.ts) >= sinceMs) events.push(event);
    }
    return events;
  }

  /** Stops the timers; later claims are not recorded. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.deadline);
    await this.advancing?.catch(() => undefined);
    await this.store?.close().catch(() => undefined);
  }
}
