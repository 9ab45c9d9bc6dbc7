import { processIdentitySchema } from '@runwarden/process-identity';
import { z } from 'zod';

/**
 * The schema version written. Version 2 is dev-loops' own, so a directory
 * shared with dev-loops stays readable by it; runwarden's extra fields (owner,
 * lease, fencing token) sit beside dev-loops' and are ignored by it.
 */
export const COORDINATION_SCHEMA_VERSION = 2;

/** The versions read: dev-loops 1 and 2. */
export const SUPPORTED_SCHEMA_VERSIONS = [1, 2] as const;

/** The run that owns a target now. */
export const activeRunSchema = z
  .object({
    runId: z.string().min(1),
    claimedAt: z.string().nullable(),
    updatedAt: z.string().nullable(),
    owner: processIdentitySchema.optional(),
    /** Lease in ms: the claim may be taken once `updatedAt + leaseMs` has passed. */
    leaseMs: z.number().int().positive().optional(),
    fencingToken: z.number().int().positive().optional(),
  })
  .passthrough();

/** The run that owned the target before. */
export const previousRunSchema = z
  .object({
    runId: z.string().min(1).nullable(),
    replacedAt: z.string().nullable(),
    replacedByRunId: z.string().nullable(),
  })
  .passthrough();

/**
 * One history entry: `type` is `claim` (with `reason` `claimed_expired` or
 * `claimed_dead_owner` when it replaced a run), `refresh`, `takeover` or
 * `release`, as dev-loops writes them; runwarden adds the `fencingToken` of
 * the run concerned (so tokens survive a rewrite by dev-loops, which keeps
 * history entries as they are).
 */
export const historyEntrySchema = z
  .object({
    type: z.string(),
    runId: z.string().nullable().optional(),
    at: z.string().nullable().optional(),
    fencingToken: z.number().int().positive().optional(),
  })
  .passthrough();

/** One recorded exit signal: why a run stopped (dev-loops' `exitSignals[]`). */
export const exitSignalSchema = z
  .object({ runId: z.string(), at: z.string().nullable(), reason: z.string().nullable() })
  .passthrough();

/**
 * zod schema of a coordination record (one per target): dev-loops' shape
 * (versions 1 and 2) with runwarden's optional fields beside it.
 */
export const coordinationRecordSchema = z
  .object({
    schemaVersion: z.union([z.literal(1), z.literal(2)]),
    target: z.union([
      z.object({ repo: z.string(), pr: z.number().int().positive() }).passthrough(),
      z.object({ key: z.string() }).passthrough(),
    ]),
    activeRun: activeRunSchema.nullable(),
    previousRun: previousRunSchema.nullable().optional(),
    history: z.array(historyEntrySchema).default([]),
    exitSignals: z.array(exitSignalSchema).default([]),
    /** The highest fencing token issued for this target. */
    lastFencingToken: z.number().int().nonnegative().optional(),
  })
  .passthrough();

/** A coordination record. */
export type CoordinationRecord = z.infer<typeof coordinationRecordSchema>;
/** The active run of a record. */
export type ActiveRun = z.infer<typeof activeRunSchema>;
/** The previous run of a record. */
export type PreviousRun = z.infer<typeof previousRunSchema>;
/** An exit signal. */
export type ExitSignal = z.infer<typeof exitSignalSchema>;
/** A history entry. */
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

/**
 * One line of a history archive (`<record>.archive.jsonl` next to a record, or
 * the `coordination_archive` table): a history entry or an exit signal moved
 * out of a record once it held more than the history limit.
 */
export interface ArchivedEntry {
  kind: 'history' | 'exitSignal';
  /** The target key. */
  target: string;
  /** When it was moved, ISO 8601. */
  archivedAt: string;
  entry: HistoryEntry | ExitSignal;
}
