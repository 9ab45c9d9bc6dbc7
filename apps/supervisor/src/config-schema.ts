import { RESUME_RULES } from '@runwarden/watchdog';
import bytes from 'bytes';
import ms from 'ms';
import { z } from 'zod';

/**
 * A duration as the CLI takes it: `150s`, `15m`, `2h`, `1.5h` (the `ms`
 * package's format) or a whole number of milliseconds.
 */
export const durationSchema = z
  .union([z.number(), z.string()], { error: 'must be a duration such as 150s, 15m or 2h' })
  .transform((value, context) => {
    const text = String(value).trim();
    const parsed = /^\d+$/.test(text) ? Number(text) : ms(text as ms.StringValue);
    if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0) {
      context.addIssue({
        code: 'custom',
        message: `'${value}' is not a duration (use e.g. 150s, 15m, 2h, or milliseconds)`,
      });
      return z.NEVER;
    }
    return Math.round(parsed);
  });

/** A size as the CLI takes it: `50MB`, `512KB` (the `bytes` package's format, 1024-based) or bytes. */
export const sizeSchema = z
  .union([z.number(), z.string()], { error: 'must be a size such as 50MB' })
  .transform((value, context) => {
    const parsed = typeof value === 'number' ? value : bytes.parse(value.trim());
    if (parsed === null || !Number.isFinite(parsed) || parsed < 0) {
      context.addIssue({
        code: 'custom',
        message: `'${value}' is not a size (use e.g. 50MB, 512KB, or bytes)`,
      });
      return z.NEVER;
    }
    return Math.floor(parsed);
  });

const count = z
  .number({ error: 'must be a whole number' })
  .int({ error: 'must be a whole number' })
  .nonnegative({ error: 'must not be negative' });

/** A command: a string runs under `/bin/sh -c`; an array runs as is. */
const commandSchema = z.union(
  [
    z.string().trim().min(1, { error: 'must not be empty' }),
    z.array(z.string()).min(1, { error: 'must name a program' }),
  ],
  { error: 'must be a string (run by /bin/sh -c) or an array (run as is)' },
);

const regexSchema = z.string().refine(
  (value) => {
    try {
      new RegExp(value, 'i');
      return true;
    } catch {
      return false;
    }
  },
  { error: 'is not a valid regular expression' },
);

const backoffSchema = z.strictObject({
  initial: durationSchema.optional(),
  max: durationSchema.optional(),
  factor: z.number().min(1, { error: 'must be at least 1' }).optional(),
  jitter: z.number().min(0).max(1, { error: 'must be between 0 and 1' }).optional(),
});

/** `loops.<name>.run`: the watchdog settings of each run, as the `runwarden run` flags. */
export const runSchema = z.strictObject({
  missionTimeout: durationSchema.optional(),
  startupTimeout: durationSchema.optional(),
  idleTimeout: durationSchema.optional(),
  progressTimeout: durationSchema.optional(),
  watch: z.array(z.string().min(1, { error: 'must not be empty' })).optional(),
  heartbeatFile: z.string().min(1).optional(),
  maxResumes: count.max(10_000).optional(),
  /**
   * The deaths the watchdog resumes (systemd's `Restart=` vocabulary, as
   * `runwarden run --resume-on`): a list of `hang`, `signal`, `exit-0`,
   * `failure`, or `always` / `none`. @default the watchdog's DEFAULT_RESUME_ON
   */
  resumeOn: z
    .union([z.enum(['always', 'none']), z.array(z.enum(RESUME_RULES))], {
      error: `must be always, none, or a list of ${RESUME_RULES.join(', ')}`,
    })
    .optional(),
  resumeCommand: commandSchema.optional(),
  doneFile: z.string().min(1).optional(),
  doneMarker: z.string().trim().min(1, { error: 'must not be blank' }).optional(),
  checkCommand: z.string().min(1).optional(),
  checkTimeout: durationSchema.optional(),
  quotaPattern: z.union([z.literal(true), regexSchema]).optional(),
  quotaWait: durationSchema.optional(),
  killGrace: durationSchema.optional(),
  completionGrace: durationSchema.optional(),
  logMaxSize: sizeSchema.optional(),
  logBackups: count.max(1000).optional(),
  backoff: backoffSchema.optional(),
  backoffReset: durationSchema.optional(),
});

/** `loops.<name>.restart`: what the supervisor does once the loop's watchdog has ended. */
export const restartSchema = z.strictObject({
  policy: z
    .enum(['on-failure', 'always', 'never'], { error: 'must be on-failure, always or never' })
    .optional(),
  backoff: backoffSchema.optional(),
  resetAfter: durationSchema.optional(),
  giveUp: z
    .strictObject({
      restarts: count.optional(),
      within: durationSchema.optional(),
    })
    .optional(),
});

/**
 * `loops.<name>.actionClaims`: hear the loop's action claims ("Restarting
 * the server now.") and follow each up (issue 14). Off unless `enabled`.
 */
export const actionClaimsSchema = z.strictObject({
  enabled: z.boolean({ error: 'must be true or false' }),
  /** The git work tree whose reflogs count for push, commit, merge, revert, rebase and tag claims. @default the loop's cwd */
  repository: z.string().min(1, { error: 'must not be empty' }).optional(),
  /** How long a commitment stays open before it is an attention item. @default 6h */
  expiry: durationSchema.optional(),
  /** Open commitments the loop may hold; a new claim past it is refused (journal `commitment-refused`). @default 5 */
  cap: count.min(1, { error: 'must be at least 1' }).max(1000).optional(),
});

/** A loop name: it becomes a directory name, so a safe file name only. */
export const LOOP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const loopSchema = z.strictObject({
  command: commandSchema,
  cwd: z.string().min(1).optional(),
  env: z
    .record(
      z.string(),
      z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string' }),
    )
    .optional(),
  target: z.string().trim().min(1, { error: 'must not be empty' }).optional(),
  run: runSchema.optional(),
  restart: restartSchema.optional(),
  actionClaims: actionClaimsSchema.optional(),
});

const doneSchema = z.union(
  [
    z.strictObject({
      file: z.string().min(1),
      line: z.string().trim().min(1, { error: 'must not be blank' }),
      every: durationSchema.optional(),
    }),
    z.strictObject({
      command: z.string().min(1),
      every: durationSchema.optional(),
      timeout: durationSchema.optional(),
    }),
  ],
  { error: 'must be { file, line } or { command, every }' },
);

const listenSchema = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[\w.-]+):\d{1,5}$/, { error: 'must be host:port, e.g. 127.0.0.1:0' })
  .refine((value) => Number(value.slice(value.lastIndexOf(':') + 1)) <= 65_535, {
    error: 'port must be from 0 to 65535',
  });

/** zod schema of `runwarden.yaml`, before paths and defaults are resolved. */
export const configFileSchema = z
  .strictObject({
    stateDir: z.string().min(1).optional(),
    listen: listenSchema.optional(),
    done: doneSchema.optional(),
    loops: z.record(z.string(), loopSchema, { error: 'must map loop names to loops' }),
  })
  .superRefine((config, context) => {
    const names = Object.keys(config.loops);
    if (names.length === 0)
      context.addIssue({ code: 'custom', path: ['loops'], message: 'must hold at least one loop' });
    const targets = new Map<string, string>();
    for (const name of names) {
      if (!LOOP_NAME.test(name)) {
        context.addIssue({
          code: 'custom',
          path: ['loops', name],
          message: `'${name}' is not a safe loop name (letters, digits, '.', '_' or '-', starting with a letter or digit, at most 64)`,
        });
      }
      const target = config.loops[name]!.target;
      if (target === undefined) continue;
      const first = targets.get(target);
      if (first !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['loops', name, 'target'],
          message: `'${target}' is already the target of loop ${first}; two loops never share a target`,
        });
      } else targets.set(target, name);
    }
  });

/** The config file as parsed by {@link configFileSchema}. */
export type ConfigFile = z.infer<typeof configFileSchema>;
/** One loop as parsed. */
export type LoopFile = ConfigFile['loops'][string];
