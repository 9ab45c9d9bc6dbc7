import type { IdentityVerdict, ProcessIdentity } from '@runwarden/process-identity';
import type { CommitmentStore } from './commitment-store.js';
import type { ClaimInput } from './operation-input.js';
import type {
  ClaimStatus,
  OperationResult,
  OwnershipStatus,
  ReleaseStatus,
} from './operation-result.js';
import type { ArchivedEntry, CoordinationRecord } from './schema.js';

/** Input of {@link CoordinationStore.assertOwnership}. */
export interface AssertOwnershipInput {
  /** The run that believes it owns the target. */
  runId: string;
  /**
   * The fencing token the run got from its claim: once a newer token exists
   * for the target the answer is `ownership_lost`, even if the run id matches.
   * @default undefined (only the run id is checked)
   */
  fencingToken?: number;
  /**
   * Answer `ownership_missing` instead of `no_owner_record` when the target has no owner.
   * @default false
   */
  requireExisting?: boolean;
}

/** Input of {@link CoordinationStore.recordExitSignal}. */
export interface ExitSignalInput {
  /** The run that stops. */
  runId: string;
  /** Why it stopped (trimmed, at most 500 characters kept, as dev-loops does). @default null */
  reason?: string;
  /**
   * Refuse (`ownership_lost`) unless `runId` owns the target.
   * @default true
   */
  requireActiveOwner?: boolean;
}

/** One target and its record, as {@link CoordinationStore.list} returns them. */
export interface ListedTarget {
  /** The normalised target key (`owner/repo#12`, `queue:item-7`). */
  target: string;
  record: CoordinationRecord;
}

/**
 * The operations every store offers, with the same statuses and the same
 * results (the conformance suite runs against each). Every mutating operation
 * is atomic: it reads, decides with the pure functions of `operations.ts`,
 * and writes, with no other writer of the same target in between.
 */
export interface CoordinationStore extends CommitmentStore {
  /**
   * Claims a target for a run.
   *
   * @param target - the target key, e.g. `owner/repo#12` or `queue:item-7`.
   * @param input - run id, mode, owner identity and lease.
   * @returns `claimed_new`, `refreshed` (same run), `claimed_expired`,
   *   `claimed_dead_owner`, `taken_over`, or the conflict `active_run_exists`.
   * @throws {CoordinationError} `ERR_INVALID_TARGET`, `ERR_INVALID_RUN_ID`,
   *   `ERR_INVALID_OPTION`, `ERR_INVALID_STATE`, or a store error.
   */
  claim(target: string, input: ClaimInput): Promise<OperationResult<ClaimStatus>>;
  /**
   * Extends the owning run's lease (the heartbeat); writes no history entry.
   *
   * @param target - the target key.
   * @param runId - the owning run.
   * @returns `refreshed`, or the conflicts `ownership_lost` / `ownership_missing`.
   * @throws {CoordinationError} as {@link CoordinationStore.claim}.
   */
  refresh(target: string, runId: string): Promise<OperationResult<'refreshed'>>;
  /**
   * Checks that a run (and its fencing token) still owns the target; writes nothing.
   *
   * @param target - the target key.
   * @param input - run id, optional fencing token and `requireExisting`.
   * @returns `owner_confirmed`, `no_owner_record`, or the conflicts
   *   `ownership_lost` / `ownership_missing`.
   * @throws {CoordinationError} as {@link CoordinationStore.claim}.
   */
  assertOwnership(
    target: string,
    input: AssertOwnershipInput,
  ): Promise<OperationResult<OwnershipStatus>>;
  /**
   * Gives the target up.
   *
   * @param target - the target key.
   * @param runId - the owning run.
   * @returns `released`, `release_noop` (no record), or the conflict `ownership_lost`.
   * @throws {CoordinationError} as {@link CoordinationStore.claim}.
   */
  release(target: string, runId: string): Promise<OperationResult<ReleaseStatus>>;
  /**
   * Records why a run stopped (dev-loops' `recordExitSignal`).
   *
   * @param target - the target key.
   * @param input - run id, reason, `requireActiveOwner`.
   * @returns `exit_signal_recorded`, or the conflicts `ownership_lost` / `ownership_missing`.
   * @throws {CoordinationError} as {@link CoordinationStore.claim}.
   */
  recordExitSignal(
    target: string,
    input: ExitSignalInput,
  ): Promise<OperationResult<'exit_signal_recorded'>>;
  /**
   * The record of one target.
   *
   * @param target - the target key.
   * @returns the record (history bounded to the store's limit), or `null` when the target has none.
   * @throws {CoordinationError} as {@link CoordinationStore.claim}.
   */
  get(target: string): Promise<CoordinationRecord | null>;
  /**
   * Every target with a record, sorted by target key.
   *
   * @returns the targets and their records.
   * @throws {CoordinationError} `ERR_INVALID_STATE` naming the first unusable record.
   */
  list(): Promise<ListedTarget[]>;
  /**
   * The history entries and exit signals moved out of a target's record, oldest first.
   *
   * @param target - the target key.
   * @returns the archived entries (empty when none were moved).
   * @throws {CoordinationError} as {@link CoordinationStore.claim}.
   */
  archived(target: string): Promise<ArchivedEntry[]>;
  /** Frees the store's resources (the PostgreSQL pool); the file store has none. */
  close(): Promise<void>;
}

/** Options every store takes. */
export interface StoreOptions {
  /**
   * Injected clock, Unix ms. The PostgreSQL store uses the server's clock
   * unless this is given, so machines with skewed clocks agree on leases.
   * @default Date.now (file store), the server's `clock_timestamp()` (PostgreSQL)
   */
  now?: () => number;
  /**
   * History entries (and exit signals) a record keeps; older ones are moved
   * to the archive, never dropped.
   * @default 200
   */
  historyLimit?: number;
  /**
   * Judges whether a recorded owner still runs. Only `dead` and `reused` let
   * another run claim the target at once (`claimed_dead_owner`); a process of
   * another machine is `foreign-host` and `unknown` is never dead.
   * @default verifyIdentity of `@runwarden/process-identity`
   */
  verifyOwner?: (owner: ProcessIdentity) => IdentityVerdict;
}
