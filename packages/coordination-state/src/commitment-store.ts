import type {
  CloseCommitmentResult,
  Commitment,
  CommitmentEvidence,
  CommitmentFilter,
  RecordCommitmentInput,
  RecordCommitmentResult,
} from './commitment-schema.js';
import {
  type CloseRequest,
  decideClose,
  decideExpiry,
  decideRecord,
  normalizeCommitmentInput,
  normalizeTopic,
} from './commitments.js';

/**
 * The commitment operations every store offers (both pass the same
 * conformance suite). Commitments of all topics share one writer lock per
 * store, so an `externalKey` names at most one open commitment in the whole
 * store. Reads take no lock. The store's clock (`StoreOptions.now`, or the
 * PostgreSQL server's) stamps every change and decides expiry.
 */
export interface CommitmentStore {
  /**
   * Records a stated intent: restates the open commitment with the same
   * `externalKey` (text, object and run updated, `restatements` + 1, the
   * deadline kept), or opens a new one, unless its topic already holds
   * `capPerTopic` open ones (`cap_reached`, nothing written).
   *
   * @param input - key, topic, text, verb, run, and optionally object, expiry and cap.
   * @returns `opened`, `restated`, or the refusal `cap_reached` with the topic's open commitments.
   * @throws {CoordinationError} `ERR_INVALID_OPTION` / `ERR_INVALID_RUN_ID` for bad input,
   *   `ERR_INVALID_STATE` for an unusable commitments file or row, or a store error.
   */
  recordCommitment(input: RecordCommitmentInput): Promise<RecordCommitmentResult>;
  /**
   * The commitments, oldest first (by `createdAt`, then id).
   *
   * @param filter - state and topic, each optional. @default every commitment
   * @returns the matching commitments (a topic keeps its newest 100 closed ones).
   * @throws {CoordinationError} `ERR_INVALID_STATE` naming the first unusable file or row.
   */
  listCommitments(filter?: CommitmentFilter): Promise<Commitment[]>;
  /**
   * One commitment.
   *
   * @param id - its id.
   * @returns it, or `null` when there is none with this id.
   * @throws {CoordinationError} as {@link CommitmentStore.listCommitments}.
   */
  getCommitment(id: string): Promise<Commitment | null>;
  /**
   * Marks an open commitment kept (`open → fulfilled`), with what showed it.
   *
   * @param id - its id.
   * @param evidence - the kind, the time and one line of detail.
   * @returns `fulfilled`, or `not_found` / `not_open` (nothing written).
   * @throws {CoordinationError} `ERR_INVALID_OPTION` for empty or malformed evidence (an empty `kind`, an `at` that is not a string), or as {@link CommitmentStore.recordCommitment}.
   */
  fulfillCommitment(id: string, evidence: CommitmentEvidence): Promise<CloseCommitmentResult>;
  /**
   * Drops an open commitment (`open → dropped`): a person decided it no longer applies.
   *
   * @param id - its id.
   * @param reason - why, for people.
   * @returns `dropped`, or `not_found` / `not_open` (nothing written).
   * @throws {CoordinationError} `ERR_INVALID_OPTION` for an empty reason, or as {@link CommitmentStore.recordCommitment}.
   */
  dropCommitment(id: string, reason: string): Promise<CloseCommitmentResult>;
  /**
   * Expires every open commitment whose `expiresAt` has passed by the store's clock (`open → expired`).
   *
   * @returns the commitments expired by this call, oldest deadline first (each exactly once, ever).
   * @throws {CoordinationError} as {@link CommitmentStore.recordCommitment}.
   */
  expireCommitments(): Promise<Commitment[]>;
}

/** Which commitments a change reads: every open one, or one by id. */
export type CommitmentSelection = { state: 'open' } | { id: string };

/** A change decided on the selected commitments: its result, and the commitments to write. */
export type CommitmentChange<R> = (
  selected: Commitment[],
  nowMs: number,
) => { result: R; changed: Commitment[] };

/**
 * Where a store keeps its commitments: reads, and atomic changes under the
 * store's commitments lock. A backend knows nothing of the rules: those are
 * {@link CommitmentOperations}'.
 */
export interface CommitmentBackend {
  /**
   * Reads the selection under the commitments lock, decides, writes the changed
   * commitments (pruning old closed ones of their topics), all atomically.
   *
   * @param selection - what `change` reads.
   * @param change - a pure decision.
   * @param options - `optimistic`: decide on an unlocked read first and lock only when it changes something.
   * @returns the decision's result.
   */
  change<R>(
    selection: CommitmentSelection,
    change: CommitmentChange<R>,
    options?: { optimistic?: boolean },
  ): Promise<R>;
  /** The commitments matching a (normalised) filter, oldest first. */
  list(filter: CommitmentFilter): Promise<Commitment[]>;
  /** One commitment, or `null`. */
  get(id: string): Promise<Commitment | null>;
}

/**
 * The commitment operations, written once on top of a store's
 * {@link CommitmentBackend}: both stores extend it, so their rules cannot drift.
 */
export abstract class CommitmentOperations implements CommitmentStore {
  /** The store's backend (created on first use). */
  protected abstract commitmentBackend(): CommitmentBackend;

  /** {@inheritDoc CommitmentStore.recordCommitment} */
  async recordCommitment(input: RecordCommitmentInput): Promise<RecordCommitmentResult> {
    const normalized = normalizeCommitmentInput(input);
    return this.commitmentBackend().change({ state: 'open' }, (open, nowMs) => {
      const { result, write } = decideRecord(normalized, {
        sameKey: open.find((entry) => entry.externalKey === normalized.externalKey),
        openInTopic: open.filter((entry) => entry.topic === normalized.topic),
        nowMs,
      });
      return { result, changed: write ? [write] : [] };
    });
  }

  /** {@inheritDoc CommitmentStore.listCommitments} */
  async listCommitments(filter: CommitmentFilter = {}): Promise<Commitment[]> {
    const topic = filter.topic === undefined ? undefined : normalizeTopic(filter.topic);
    return this.commitmentBackend().list({ ...filter, topic });
  }

  /** {@inheritDoc CommitmentStore.getCommitment} */
  async getCommitment(id: string): Promise<Commitment | null> {
    return this.commitmentBackend().get(id);
  }

  private closeCommitment(id: string, request: CloseRequest): Promise<CloseCommitmentResult> {
    return this.commitmentBackend().change({ id }, ([current], nowMs) => {
      const { result, write } = decideClose(current, id, request, nowMs);
      return { result, changed: write ? [write] : [] };
    });
  }

  /** {@inheritDoc CommitmentStore.fulfillCommitment} */
  async fulfillCommitment(
    id: string,
    evidence: CommitmentEvidence,
  ): Promise<CloseCommitmentResult> {
    return this.closeCommitment(id, { state: 'fulfilled', evidence });
  }

  /** {@inheritDoc CommitmentStore.dropCommitment} */
  async dropCommitment(id: string, reason: string): Promise<CloseCommitmentResult> {
    return this.closeCommitment(id, { state: 'dropped', reason });
  }

  /** {@inheritDoc CommitmentStore.expireCommitments} */
  async expireCommitments(): Promise<Commitment[]> {
    return this.commitmentBackend().change(
      { state: 'open' },
      (open, nowMs) => {
        const expired = decideExpiry(open, nowMs);
        return { result: expired, changed: expired };
      },
      { optimistic: true },
    );
  }
}
