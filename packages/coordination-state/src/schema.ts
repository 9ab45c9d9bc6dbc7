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

/** One history entry (`claim`, `refresh`, `takeover`, `release`, …). */
export const historyEntrySchema = z
  .object({
    type: z.string(),
    runId: z.string().nullable().optional(),
    at: z.string().nullable().optional(),
  })
  .passthrough();

/** One recorded exit signal. */
export const exitSignalSchema = z
  .object({ runId: z.string(), at: z.string().nullable(), reason: z.string().nullable() })
  .passthrough();

/** zod schema of a coordination record (one per target). */
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
