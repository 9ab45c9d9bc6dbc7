import { processIdentitySchema } from '@runwarden/process-identity';
import * as z from 'zod/mini';

/** The current lock body version. */
export const LOCK_SCHEMA_VERSION = 1;

/**
 * zod schema of a runwarden lock body (the JSON inside `RUN.lock`).
 * Unknown extra fields are kept, so a newer minor writer stays readable.
 * A zod/mini schema: parse with `.parse`/`.safeParse`; compose with
 * `z.extend` from 'zod/mini'. Its issues say only `Invalid input` unless the
 * parse or the app gives a locale (the lock's own reads give English).
 */
export const lockRecordSchema = z.looseObject({
  schemaVersion: z.literal(LOCK_SCHEMA_VERSION),
  /** What kind of runner holds it (`runwarden`, or a caller's own token). */
  runnerToken: z.string(),
  /** The repository or directory the lock guards. */
  repoMarker: z.string(),
  holder: processIdentitySchema,
  /** ISO 8601. */
  acquiredAt: z.string(),
  /** ISO 8601; refreshed by the holder every `staleAfterMs / 3`. */
  heartbeatAt: z.string(),
  /** Random per acquisition; release and refresh only touch a lock whose nonce is theirs. */
  nonce: z.string().check(z.minLength(8)),
  /** One higher than any token issued before for this lock path. */
  fencingToken: z.number().check(z.int(), z.positive()),
  /** The run that holds the lock; its processes carry `RUNWARDEN_RUN_ID=<runId>`. */
  runId: z.optional(z.string()),
  /** The holder's stale window in ms, for judges on other machines. */
  staleAfterMs: z.optional(z.number().check(z.int(), z.positive())),
  /**
   * The holder's pid namespace (`readlink /proc/self/ns/pid`, e.g. `pid:[4026531836]`).
   * A holder in another namespace (another container on the same kernel) cannot be
   * probed by pid, so it is judged like a foreign host.
   */
  pidNamespace: z.optional(z.string()),
});

/** A runwarden lock body. */
export type LockRecord = z.infer<typeof lockRecordSchema>;

/**
 * zod schema of the body written by the LifeOS `runner_lock.py`
 * (`{pid, runner_token, repo_marker}`), read so such a lock is understood and
 * judged, not called corrupt; unknown extra fields are kept. A zod/mini
 * schema: parse with `.parse`/`.safeParse`; compose with `z.extend` from
 * 'zod/mini'.
 */
export const legacyLockRecordSchema = z.looseObject({
  pid: z.number().check(z.int(), z.positive()),
  runner_token: z.string(),
  repo_marker: z.optional(z.string()),
});

/** A LifeOS `runner_lock.py` lock body. */
export type LegacyLockRecord = z.infer<typeof legacyLockRecordSchema>;
