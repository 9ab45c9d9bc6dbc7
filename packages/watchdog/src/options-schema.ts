import type { Writable } from 'node:stream';
import type { LockHandle } from '@runwarden/lock-core';
import { english } from '@runwarden/zod-english';
import * as z from 'zod/mini';
import { WatchdogError } from './errors.js';
import type { AdoptOptions, QuotaOptions, RunLockOption, SuperviseOptions } from './options.js';
import { RESUME_RULES } from './resume-policy.js';
import type { LogRotationOptions } from './rotating-log.js';
import type { ServiceSpec } from './service.js';

const ms = (what: string) =>
  z
    .number({ error: `${what} must be a number of ms` })
    .check(
      z.int({ error: `${what} must be a whole number of ms` }),
      z.nonnegative({ error: `${what} must not be negative` }),
    );
const count = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .check(
      z.int({ error: `${what} must be a whole number` }),
      z.nonnegative({ error: `${what} must not be negative` }),
    );
const nonEmpty = z.string().check(z.minLength(1, { error: 'must not be empty' }));
/** A function option, typed as the interface has it (zod checks only that it is a function). */
const fn = <Fn extends (...args: never[]) => unknown>() =>
  z.custom<Fn>((value) => typeof value === 'function', { error: 'must be a function' });
const writable = z.custom<Writable>(
  (value) => typeof (value as Writable | undefined)?.write === 'function',
  { error: 'must be a writable stream' },
);

const regexLike = z.union([z.instanceof(RegExp), z.string()]).check(
  z.superRefine((value, context) => {
    if (typeof value !== 'string') return;
    try {
      new RegExp(value, 'i');
    } catch (error) {
      context.addIssue({
        code: 'custom',
        message: `is not a valid regular expression: ${(error as Error).message}`,
      });
    }
  }),
);

/**
 * zod schema of a service's readiness URL: `http://` or `https://` only. A
 * zod/mini schema: parse with `.parse`/`.safeParse`; compose with the
 * functions of 'zod/mini' (`z.optional(readyUrlSchema)`).
 */
export const readyUrlSchema = z.url({
  protocol: /^https?$/,
  error: 'must be an http:// or https:// URL',
});

/**
 * zod schema of a service's readiness TCP port: a whole number from 1 to
 * 65535. A zod/mini schema: parse with `.parse`/`.safeParse`; compose with the
 * functions of 'zod/mini' (`z.optional(readyPortSchema)`).
 */
export const readyPortSchema = z
  .number()
  .check(z.int(), z.gte(1), z.lte(65_535, { error: 'must be a port from 1 to 65535' }));

const serviceSchema = z
  .object({
    name: z.optional(
      z.string().check(z.regex(/^[\w.-]+$/, { error: 'must be letters, digits, `.`, `_` or `-`' })),
    ),
    command: nonEmpty,
    args: z.optional(z.array(z.string())),
    readyUrl: z.optional(readyUrlSchema),
    readyPort: z.optional(readyPortSchema),
    readyHost: z.optional(nonEmpty),
    startupTimeoutMs: z.optional(ms('startupTimeoutMs')),
    connectTimeoutMs: z.optional(ms('connectTimeoutMs').check(z.gte(1))),
    readTimeoutMs: z.optional(ms('readTimeoutMs').check(z.gte(1))),
    probeIntervalMs: z.optional(ms('probeIntervalMs')),
  })
  .check(
    z.refine((service) => service.readyUrl === undefined || service.readyPort === undefined, {
      error: 'give readyUrl or readyPort, not both',
    }),
  );

/**
 * zod schema of {@link SuperviseOptions}: every value checked before anything
 * starts ({@link validateOptions} parses with it). A zod/mini schema: parse
 * with `.parse`/`.safeParse`; compose with `z.extend` from 'zod/mini'. Its
 * issues say only `Invalid input` where the schema gives no message of its
 * own, unless the parse or the app gives a locale (`validateOptions` gives
 * English).
 */
export const superviseOptionsSchema = z.object({
  command: nonEmpty,
  args: z.optional(z.array(z.string())),
  cwd: z.optional(nonEmpty),
  env: z.optional(z.record(z.string(), z.optional(z.string()))),
  runId: z.optional(
    z.string().check(z.regex(/^[\w.-]+$/, { error: 'must be letters, digits, `.`, `_` or `-`' })),
  ),
  runDir: nonEmpty,
  missionTimeoutMs: z.optional(ms('missionTimeoutMs')),
  idleTimeoutMs: z.optional(ms('idleTimeoutMs')),
  startupIdleMs: z.optional(ms('startupIdleMs')),
  startupTimeoutMs: z.optional(ms('startupTimeoutMs')),
  progressIdleMs: z.optional(ms('progressIdleMs')),
  watch: z.optional(z.array(nonEmpty)),
  heartbeatFile: z.optional(nonEmpty),
  maxResumes: z.optional(count('maxResumes')),
  resume: z.optional(z.object({ command: nonEmpty, args: z.optional(z.array(z.string())) })),
  resumeOn: z.optional(
    z.array(z.enum(RESUME_RULES, { error: `must be one of ${RESUME_RULES.join(', ')}` })),
  ),
  doneFile: z.optional(nonEmpty),
  doneMarker: z.optional(
    z.string().check(z.trim(), z.minLength(1, { error: 'must not be blank' })),
  ),
  checkCommand: z.optional(nonEmpty),
  checkTimeoutMs: z.optional(ms('checkTimeoutMs').check(z.gte(1))),
  isComplete: z.optional(fn<NonNullable<SuperviseOptions['isComplete']>>()),
  completionGraceMs: z.optional(ms('completionGraceMs')),
  backoff: z.optional(
    z.object({
      initialMs: z.optional(ms('initialMs')),
      maxMs: z.optional(ms('maxMs')),
      factor: z.optional(z.number().check(z.gte(1, { error: 'must be at least 1' }))),
      jitter: z.optional(
        z.number().check(z.gte(0), z.lte(1, { error: 'must be between 0 and 1' })),
      ),
    }),
  ),
  backoffResetMs: z.optional(ms('backoffResetMs')),
  quota: z.optional(
    z.object({
      pattern: z.optional(regexLike),
      fallbackPauseMs: z.optional(ms('fallbackPauseMs')),
      maxPauseMs: z.optional(ms('maxPauseMs')),
      marginMs: z.optional(ms('marginMs')),
      maxPauses: z.optional(count('maxPauses')),
    }),
  ),
  services: z.optional(z.array(serviceSchema)),
  adopt: z.optional(
    z.object({
      pid: z.number().check(z.int(), z.positive({ error: 'must be a positive pid' })),
      startTicks: z.optional(z.number().check(z.int(), z.nonnegative())),
      outputFile: z.optional(nonEmpty),
      stderrFile: z.optional(nonEmpty),
      continueFrom: z.optional(
        z.object({
          attempt: z
            .number()
            .check(z.int(), z.positive({ error: 'must be a positive attempt number' })),
          resumes: z.optional(count('resumes')),
          budgetSpent: z.optional(count('budgetSpent')),
          quotaPauses: z.optional(count('quotaPauses')),
        }),
      ),
    }),
  ),
  adoptPollMs: z.optional(ms('adoptPollMs').check(z.gte(10, { error: 'must be at least 10 ms' }))),
  progressPollMs: z.optional(
    ms('progressPollMs').check(z.gte(10, { error: 'must be at least 10 ms' })),
  ),
  output: z.optional(z.enum(['pipe', 'file'], { error: "must be 'pipe' or 'file'" })),
  logs: z.optional(
    z.object({
      maxBytes: z.optional(count('maxBytes')),
      backups: z.optional(count('backups').check(z.lte(1000))),
      chain: z.optional(z.boolean({ error: 'must be true or false' })),
    }),
  ),
  subscribers: z.optional(z.array(fn<NonNullable<SuperviseOptions['subscribers']>[number]>())),
  lock: z.optional(
    z.custom<RunLockOption>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        (typeof (value as LockHandle).release === 'function' ||
          typeof (value as { path?: unknown }).path === 'string'),
      { error: 'must be a LockHandle or an object with a path' },
    ),
  ),
  onFinish: z.optional(fn<NonNullable<SuperviseOptions['onFinish']>>()),
  killGraceMs: z.optional(ms('killGraceMs')),
  signal: z.optional(z.instanceof(AbortSignal, { error: 'must be an AbortSignal' })),
  onEvent: z.optional(fn<NonNullable<SuperviseOptions['onEvent']>>()),
  onPulse: z.optional(fn<NonNullable<SuperviseOptions['onPulse']>>()),
  stdout: z.optional(writable),
  stderr: z.optional(writable),
  labels: z.optional(z.record(z.string(), z.string())),
  now: z.optional(fn<() => number>()),
  monotonicNow: z.optional(fn<() => number>()),
  random: z.optional(fn<() => number>()),
}) satisfies z.ZodMiniType<SuperviseOptions>;

/** `true` when `A` and `B` have the same keys (a schema that drops or invents an option fails to compile). */
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never]
  ? true
  : false;
type Output = z.output<typeof superviseOptionsSchema>;
// The interface and the schema cannot drift: `satisfies` checks every value's type, these every name.
const schemaKeysMatch: [
  SameKeys<Output, SuperviseOptions>,
  SameKeys<NonNullable<Output['quota']>, QuotaOptions>,
  SameKeys<NonNullable<Output['adopt']>, AdoptOptions>,
  SameKeys<NonNullable<Output['logs']>, LogRotationOptions>,
  SameKeys<NonNullable<Output['services']>[number], ServiceSpec>,
] = [true, true, true, true, true];
void schemaKeysMatch;

/**
 * Validates options before anything starts.
 *
 * @param options - what the caller passed.
 * @returns the same options, checked.
 * @throws {WatchdogError} `ERR_INVALID_OPTION` naming the first bad option (`option` holds its dotted path).
 */
export function validateOptions(options: SuperviseOptions): SuperviseOptions {
  // English issue messages where a check gives none of its own (the error quotes the first).
  const parsed = superviseOptionsSchema.safeParse(options, english());
  if (parsed.success) {
    if (options.progressIdleMs && !options.watch?.length && options.heartbeatFile === undefined) {
      throw new WatchdogError({
        code: 'ERR_INVALID_OPTION',
        message: 'progressIdleMs: needs a progress source (watch or heartbeatFile)',
        option: 'progressIdleMs',
        hint: 'Give watch: [...] or heartbeatFile, or drop progressIdleMs.',
      });
    }
    return options;
  }
  const issue = parsed.error.issues[0]!;
  const option = issue.path.map(String).join('.') || 'options';
  throw new WatchdogError({
    code: 'ERR_INVALID_OPTION',
    message: `${option}: ${issue.message}`,
    option,
    cause: parsed.error,
  });
}
