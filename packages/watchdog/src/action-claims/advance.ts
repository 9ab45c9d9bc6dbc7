/**
 * The follow-through step a supervisor runs on a timer: every open
 * commitment is checked against its evidence and fulfilled, then every one
 * past its deadline is expired. Each expiry is one attention item, however
 * often the claim was restated (a restatement updates the same commitment).
 */
import type { JournalEventType } from '../journal-schema.js';
import {
  type FollowThroughCommitment,
  type FollowThroughEvidence,
  findFollowThrough,
} from './follow-through.js';

/** A commitment as the ledger keeps it (the shape of `Commitment` in `@runwarden/coordination-state`). */
export interface LedgerCommitment extends FollowThroughCommitment {
  id: string;
  externalKey: string;
  topic: string;
  text: string;
  object: string | null;
  runId: string;
  state: string;
  restatements: number;
  closeReason: string | null;
}

/**
 * Where commitments are kept: a `CoordinationStore` of
 * `@runwarden/coordination-state` (FileStore or PostgresStore) is one.
 */
export interface CommitmentLedger {
  /** The open commitments. */
  listCommitments(filter: { state: 'open' }): Promise<LedgerCommitment[]>;
  /** `open → fulfilled`; `ok: false` when it is no longer open. */
  fulfillCommitment(
    id: string,
    evidence: { kind: string; at: string; detail: string },
  ): Promise<{ ok: boolean; commitment: LedgerCommitment | null }>;
  /** `open → expired` for every commitment past its deadline (by the ledger's clock); each returned once, ever. */
  expireCommitments(): Promise<LedgerCommitment[]>;
}

/** Options for {@link advanceCommitments}. */
export interface AdvanceCommitmentsOptions {
  /** The store of the commitments. */
  ledger: CommitmentLedger;
  /**
   * The evidence for one commitment: the journal events of its topic's runs,
   * the reflog and tags of the repository its run works in
   * (`readGitActivity(cwd, {sinceMs: Date.parse(commitment.createdAt)})`).
   */
  evidenceFor: (
    commitment: LedgerCommitment,
  ) => FollowThroughEvidence | Promise<FollowThroughEvidence>;
}

/** What {@link advanceCommitments} changed. */
export interface AdvanceCommitmentsResult {
  /** Commitments fulfilled by this call, with their evidence. */
  fulfilled: {
    commitment: LedgerCommitment;
    evidence: { kind: string; at: string; detail: string };
  }[];
  /** Commitments expired by this call: one attention item each. */
  expired: LedgerCommitment[];
  /** Commitments whose evidence could not be read this time (they may still expire). */
  unreadable: { commitment: LedgerCommitment; error: unknown }[];
}

/**
 * Advances every open commitment: fulfils those with evidence in their window
 * ({@link findFollowThrough}), then expires those past their deadline; each
 * change is returned exactly once (one journal event each, see
 * {@link commitmentEventOf}). Call it on a timer.
 *
 * @param options - the ledger and the evidence source.
 * @returns the commitments fulfilled, expired, and those whose evidence could not be read.
 * @throws what the ledger throws (e.g. `CoordinationError` `ERR_STORE_BUSY`).
 */
export async function advanceCommitments(
  options: AdvanceCommitmentsOptions,
): Promise<AdvanceCommitmentsResult> {
  const result: AdvanceCommitmentsResult = { fulfilled: [], expired: [], unreadable: [] };
  for (const commitment of await options.ledger.listCommitments({ state: 'open' })) {
    let evidence: FollowThroughEvidence;
    try {
      evidence = await options.evidenceFor(commitment);
    } catch (error) {
      result.unreadable.push({ commitment, error });
      continue;
    }
    const finding = findFollowThrough(commitment, evidence);
    if (!finding.fulfilled) continue;
    const closed = await options.ledger.fulfillCommitment(commitment.id, finding.evidence);
    if (closed.ok && closed.commitment)
      result.fulfilled.push({ commitment: closed.commitment, evidence: finding.evidence });
  }
  result.expired = await options.ledger.expireCommitments();
  return result;
}

/** A journal event for a commitment's change: its type and data, for `Journal.append(type, attempt, data)`. */
export interface CommitmentJournalEvent {
  type: Extract<JournalEventType, 'commitment-fulfilled' | 'commitment-expired'>;
  data: Record<string, unknown>;
}

/**
 * The journal event of a fulfilled or expired commitment (schema in `journal.ts`).
 *
 * @param commitment - the commitment as closed.
 * @param evidence - what fulfilled it; absent for an expiry.
 * @returns `{type, data}` to append.
 */
export function commitmentEventOf(
  commitment: LedgerCommitment,
  evidence?: { kind: string; at: string; detail: string },
): CommitmentJournalEvent {
  const data = {
    commitmentId: commitment.id,
    externalKey: commitment.externalKey,
    topic: commitment.topic,
    verb: commitment.verb,
    object: commitment.object,
    text: commitment.text,
    claimedByRunId: commitment.runId,
    createdAt: commitment.createdAt,
    expiresAt: commitment.expiresAt,
    restatements: commitment.restatements,
  };
  return evidence
    ? { type: 'commitment-fulfilled', data: { ...data, evidence } }
    : { type: 'commitment-expired', data: { ...data, closeReason: commitment.closeReason } };
}
