import { processIdentitySchema } from '@runwarden/process-identity';
import * as z from 'zod/mini';

/**
 * The schema version written. Version 2 is dev-loops' own, so a directory
 * shared with dev-loops stays readable by it; runwarden's extra fields (owner,
 * lease, fencing token) sit beside dev-loops' and are ignored by it.
 */
export const COORDINATION_SCHEMA_VERSION = 2;

/** The versions read: dev-loops 1 and 2. */
export const SUPPORTED_SCHEMA_VERSIONS = [1, 2] as const;

/**
 * The run that owns a target now (unknown extra fields are kept). A zod/mini
 * schema, like every schema of this package: parse with `.parse`/`.safeParse`;
 * compose with `z.extend` from 'zod/mini'. Its issues say only `Invalid input`
 * unless the parse or the app gives a locale (the stores' own reads give
 * English).
 */
export const activeRunSchema = z.looseObject({
  runId: z.string().check(z.minLength(1)),
  claimedAt: z.nullable(z.string()),
  updatedAt: z.nullable(z.string()),
  owner: z.optional(processIdentitySchema),
  /** Lease in ms: the claim may be taken once `updatedAt + leaseMs` has passed. */
  leaseMs: z.optional(z.number().check(z.int(), z.positive())),
  fencingToken: z.optional(z.number().check(z.int(), z.positive())),
});

/** The run that owned the target before (unknown extra fields are kept). A zod/mini schema. */
export const previousRunSchema = z.looseObject({
  runId: z.nullable(z.string().check(z.minLength(1))),
  replacedAt: z.nullable(z.string()),
  replacedByRunId: z.nullable(z.string()),
});

/**
 * One history entry: `type` is `claim` (with `reason` `claimed_expired` or
 * `claimed_dead_owner` when it replaced a run), `refresh`, `takeover` or
 * `release`, as dev-loops writes them; runwarden adds the `fencingToken` of
 * the run concerned (so tokens survive a rewrite by dev-loops, which keeps
 * history entries as they are). Unknown extra fields are kept. A zod/mini
 * schema.
 */
export const historyEntrySchema = z.looseObject({
  type: z.string(),
  runId: z.optional(z.nullable(z.string())),
  at: z.optional(z.nullable(z.string())),
  fencingToken: z.optional(z.number().check(z.int(), z.positive())),
});

/**
 * One recorded exit signal: why a run stopped (dev-loops' `exitSignals[]`;
 * unknown extra fields are kept). A zod/mini schema.
 */
export const exitSignalSchema = z.looseObject({
  runId: z.string(),
  at: z.nullable(z.string()),
  reason: z.nullable(z.string()),
});

/**
 * zod schema of a coordination record (one per target): dev-loops' shape
 * (versions 1 and 2) with runwarden's optional fields beside it; `history`
 * and `exitSignals` default to `[]`, and unknown extra fields are kept. A
 * zod/mini schema: parse with `.parse`/`.safeParse`; compose with `z.extend`
 * from 'zod/mini'. A store that reads a record quotes zod's English message
 * when it does not match (`CoordinationError` `ERR_INVALID_STATE`).
 */
export const coordinationRecordSchema = z.looseObject({
  schemaVersion: z.union([z.literal(1), z.literal(2)]),
  target: z.union([
    z.looseObject({ repo: z.string(), pr: z.number().check(z.int(), z.positive()) }),
    z.looseObject({ key: z.string() }),
  ]),
  activeRun: z.nullable(activeRunSchema),
  previousRun: z.optional(z.nullable(previousRunSchema)),
  history: z._default(z.array(historyEntrySchema), []),
  exitSignals: z._default(z.array(exitSignalSchema), []),
  /** The highest fencing token issued for this target. */
  lastFencingToken: z.optional(z.number().check(z.int(), z.nonnegative())),
});

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
