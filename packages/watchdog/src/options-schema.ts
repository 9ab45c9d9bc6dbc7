import type { Writable } from 'node:stream';
import type { LockHandle } from '@runwarden/lock-core';
import { z } from 'zod';
import { WatchdogError } from './errors.js';
import type { AdoptOptions, QuotaOptions, RunLockOption, SuperviseOptions } from './options.js';
import { RESUME_RULES } from './resume-policy.js';
import type { LogRotationOptions } from './rotating-log.js';
import type { ServiceSpec } from './service.js';

const ms = (what: string) =>
  z
    .number({ error: `${what} must be a number of ms` })
    .int({ error: `${what} must be a whole number of ms` })
    .nonnegative({ error: `${what} must not be negative` });
const count = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .int({ error: `${what} must be a whole number` })
    .nonnegative({ error: `${what} must not be negative` });
const nonEmpty = z.string().min(1, { error: 'must not be empty' });
/** A function option, typed as the interface has it (zod checks only that it is a function). */
const fn = <Fn extends (...args: never[]) => unknown>() =>
  z.custom<Fn>((value) => typeof value === 'function', { error: 'must be a function' });
const writable = z.custom<Writable>(
  (value) => typeof (value as Writable | undefined)?.write === 'function',
  { error: 'must be a writable stream' },
);

const regexLike = z.union([z.instanceof(RegExp), z.string()]).superRefine((value, context) => {
  if (typeof value !== 'string') return;
  try {
    new RegExp(value, 'i');
  } catch (error) {
    context.addIssue({
      code: 'custom',
      message: `is not a valid regular expression: ${(error as Error).message}`,
    });
  }
});

/** zod schema of a service's readiness URL: `http://` or `https://` only. */
export const readyUrlSchema = z.url({
  protocol: /^https?$/,
  error: 'must be an http:// or https:// URL',
});

/** zod schema of a service's readiness TCP port: 1 to 65535. */
export const readyPortSchema = z
  .number()
  .int()
  .min(1)
  .max(65_535, { error: 'must be a port from 1 to 65535' });

const serviceSchema = z
  .object({
    name: z
      .string()
      .regex(/^[\w.-]+$/, { error: 'must be letters, digits, `.`, `_` or `-`' })
      .optional(),
    command: nonEmpty,
    args: z.array(z.string()).optional(),
    readyUrl: readyUrlSchema.optional(),
    readyPort: readyPortSchema.optional(),
    readyHost: nonEmpty.optional(),
    startupTimeoutMs: ms('startupTimeoutMs').optional(),
    connectTimeoutMs: ms('connectTimeoutMs').min(1).optional(),
    readTimeoutMs: ms('readTimeoutMs').min(1).optional(),
    probeIntervalMs: ms('probeIntervalMs').optional(),
  })
  .refine((service) => service.readyUrl === undefined || service.readyPort === undefined, {
    error: 'give readyUrl or readyPort, not both',
  });

/** zod schema of {@link SuperviseOptions}: every value checked before anything starts. */
export const superviseOptionsSchema = z.object({
  command: nonEmpty,
  args: z.array(z.string()).optional(),
  cwd: nonEmpty.optional(),
  env: z.record(z.string(), z.string().optional()).optional(),
  runId: z
    .string()
    .regex(/^[\w.-]+$/, { error: 'must be letters, digits, `.`, `_` or `-`' })
    .optional(),
  runDir: nonEmpty,
  missionTimeoutMs: ms('missionTimeoutMs').optional(),
  idleTimeoutMs: ms('idleTimeoutMs').optional(),
  startupIdleMs: ms('startupIdleMs').optional(),
  startupTimeoutMs: ms('startupTimeoutMs').optional(),
  progressIdleMs: ms('progressIdleMs').optional(),
  watch: z.array(nonEmpty).optional(),
  heartbeatFile: nonEmpty.optional(),
  maxResumes: count('maxResumes').optional(),
  resume: z.object({ command: nonEmpty, args: z.array(z.string()).optional() }).optional(),
  resumeOn: z
    .array(z.enum(RESUME_RULES, { error: `must be one of ${RESUME_RULES.join(', ')}` }))
    .optional(),
  doneFile: nonEmpty.optional(),
  doneMarker: z.string().trim().min(1, { error: 'must not be blank' }).optional(),
  checkCommand: nonEmpty.optional(),
  checkTimeoutMs: ms('checkTimeoutMs').min(1).optional(),
  isComplete: fn<NonNullable<SuperviseOptions['isComplete']>>().optional(),
  completionGraceMs: ms('completionGraceMs').optional(),
  backoff: z
    .object({
      initialMs: ms('initialMs').optional(),
      maxMs: ms('maxMs').optional(),
      factor: z.number().min(1, { error: 'must be at least 1' }).optional(),
      jitter: z.number().min(0).max(1, { error: 'must be between 0 and 1' }).optional(),
    })
    .optional(),
  backoffResetMs: ms('backoffResetMs').optional(),
  quota: z
    .object({
      pattern: regexLike.optional(),
      fallbackPauseMs: ms('fallbackPauseMs').optional(),
      maxPauseMs: ms('maxPauseMs').optional(),
      marginMs: ms('marginMs').optional(),
      maxPauses: count('maxPauses').optional(),
    })
    .optional(),
  services: z.array(serviceSchema).optional(),
  adopt: z
    .object({
      pid: z.number().int().positive({ error: 'must be a positive pid' }),
      startTicks: z.number().int().nonnegative().optional(),
      outputFile: nonEmpty.optional(),
      stderrFile: nonEmpty.optional(),
      continueFrom: z
        .object({
          attempt: z.number().int().positive({ error: 'must be a positive attempt number' }),
          resumes: count('resumes').optional(),
          budgetSpent: count('budgetSpent').optional(),
          quotaPauses: count('quotaPauses').optional(),
        })
        .optional(),
    })
    .optional(),
  adoptPollMs: ms('adoptPollMs').min(10, { error: 'must be at least 10 ms' }).optional(),
  progressPollMs: ms('progressPollMs').min(10, { error: 'must be at least 10 ms' }).optional(),
  output: z.enum(['pipe', 'file'], { error: "must be 'pipe' or 'file'" }).optional(),
  logs: z
    .object({
      maxBytes: count('maxBytes').optional(),
      backups: count('backups').max(1000).optional(),
      chain: z.boolean({ error: 'must be true or false' }).optional(),
    })
    .optional(),
  subscribers: z.array(fn<NonNullable<SuperviseOptions['subscribers']>[number]>()).optional(),
  lock: z
    .custom<RunLockOption>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        (typeof (value as LockHandle).release === 'function' ||
          typeof (value as { path?: unknown }).path === 'string'),
      { error: 'must be a LockHandle or an object with a path' },
    )
    .optional(),
  onFinish: fn<NonNullable<SuperviseOptions['onFinish']>>().optional(),
  killGraceMs: ms('killGraceMs').optional(),
  signal: z.instanceof(AbortSignal, { error: 'must be an AbortSignal' }).optional(),
  onEvent: fn<NonNullable<SuperviseOptions['onEvent']>>().optional(),
  onPulse: fn<NonNullable<SuperviseOptions['onPulse']>>().optional(),
  stdout: writable.optional(),
  stderr: writable.optional(),
  labels: z.record(z.string(), z.string()).optional(),
  now: fn<() => number>().optional(),
  monotonicNow: fn<() => number>().optional(),
  random: fn<() => number>().optional(),
}) satisfies z.ZodType<SuperviseOptions>;

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
  const parsed = superviseOptionsSchema.safeParse(options);
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
