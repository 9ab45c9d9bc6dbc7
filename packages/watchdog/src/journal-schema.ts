import * as z from 'zod/mini';
import { reasonCodes } from './reasons.js';
import { RESUME_RULES } from './resume-policy.js';

/**
 * The journal's event types, one per watchdog transition (the README's
 * "Journal" lists them); `ended` is always a run's last line, and
 * `commitment-fulfilled` / `commitment-expired` are a supervisor's.
 */
export const journalEventTypes = [
  'started',
  'service-started',
  'service-ready',
  'service-died',
  'spawned',
  'adopted',
  'resumed',
  'progress',
  'output-idle',
  'startup-idle',
  'progress-idle',
  'timeout',
  'interrupted',
  'lock-lost',
  'exited',
  'kill',
  'check',
  'died',
  'quota-pause',
  'resume-scheduled',
  'completed',
  'handoff',
  'warning',
  'ended',
  'commitment-fulfilled',
  'commitment-expired',
] as const;

/** One journal event type. */
export type JournalEventType = (typeof journalEventTypes)[number];

const reason = z.nullable(z.enum(reasonCodes));
const survivor = z.looseObject({ pid: z.number().check(z.int()), reason: z.string() });
const checkpoint = z.record(z.string(), z.unknown());
/** A commitment in `commitment-*` events (see `commitmentEventOf`). */
const commitmentFields = {
  commitmentId: z.string(),
  externalKey: z.string(),
  topic: z.string(),
  verb: z.string(),
  object: z.nullable(z.string()),
  text: z.string(),
  claimedByRunId: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  restatements: z.number().check(z.int(), z.nonnegative()),
};

/** The fields of each event type beside `ts`, `runId`, `attempt`, `type` and `reason` (extra fields are kept). */
const eventData = {
  started: {
    command: z.string(),
    args: z.array(z.string()),
    cwd: z.string(),
    pid: z.number().check(z.int()),
  },
  'service-started': {
    name: z.string(),
    pid: z.number().check(z.int()),
    /** Clock ticks since boot of the service's start, so it is found after a crash. */
    startTicks: z.optional(z.number().check(z.int())),
    command: z.string(),
  },
  'service-ready': { name: z.string(), waitedMs: z.number(), via: z.string() },
  'service-died': {
    name: z.string(),
    pid: z.number().check(z.int()),
    code: z.nullable(z.number().check(z.int())),
    signal: z.nullable(z.string()),
  },
  spawned: {
    pid: z.number().check(z.int()),
    /** Clock ticks since boot and Unix ms of the child's start, for evidence. */
    startTicks: z.optional(z.number().check(z.int())),
    startTimeMs: z.optional(z.number()),
    command: z.string(),
    args: z.array(z.string()),
  },
  adopted: { pid: z.number().check(z.int()), startTicks: z.number().check(z.int()) },
  resumed: {
    pid: z.number().check(z.int()),
    startTicks: z.optional(z.number().check(z.int())),
    startTimeMs: z.optional(z.number()),
    command: z.string(),
    args: z.array(z.string()),
    checkpoint: z.optional(checkpoint),
  },
  progress: { source: z.string(), changes: z.number().check(z.int(), z.positive()) },
  'output-idle': { idleTimeoutMs: z.number() },
  'startup-idle': { startupIdleMs: z.number() },
  'progress-idle': { progressIdleMs: z.number() },
  timeout: { what: z.enum(['mission', 'service-startup']), limitMs: z.number() },
  interrupted: {},
  'lock-lost': { message: z.string() },
  exited: {
    pid: z.number().check(z.int()),
    code: z.nullable(z.number().check(z.int())),
    signal: z.nullable(z.string()),
    uptimeMs: z.number(),
  },
  kill: {
    why: z.string(),
    killed: z.array(z.number().check(z.int())),
    survivors: z.array(survivor),
    escalated: z.boolean(),
  },
  check: {
    passed: z.boolean(),
    exitCode: z.nullable(z.number().check(z.int())),
    durationMs: z.number(),
  },
  died: { cause: z.string(), rule: z.optional(z.enum(RESUME_RULES)) },
  'quota-pause': {
    delayMs: z.number(),
    until: z.string(),
    line: z.string(),
    resetParsed: z.boolean(),
    pauses: z.number().check(z.int()),
  },
  'resume-scheduled': {
    delayMs: z.number(),
    nextAttempt: z.number().check(z.int()),
    countsAgainstBudget: z.boolean(),
    budgetSpent: z.number().check(z.int()),
    maxResumes: z.number().check(z.int()),
    rule: z.optional(z.enum(RESUME_RULES)),
  },
  completed: { by: z.string() },
  warning: { what: z.string(), message: z.string() },
  handoff: {
    lastLines: z.array(z.string()),
    resumeCommand: z.string(),
    cwd: z.string(),
    lastCause: z.string(),
    checkpoint: z.optional(checkpoint),
  },
  ended: {
    exitCode: z.number().check(z.int()),
    attempts: z.number().check(z.int()),
    resumes: z.number().check(z.int()),
    budgetSpent: z.number().check(z.int()),
    durationMs: z.number(),
    message: z.string(),
  },
  'commitment-fulfilled': {
    ...commitmentFields,
    evidence: z.object({ kind: z.string(), at: z.string(), detail: z.string() }),
  },
  'commitment-expired': { ...commitmentFields, closeReason: z.nullable(z.string()) },
} satisfies Record<JournalEventType, z.core.$ZodShape>;

const base = {
  /** ISO 8601, UTC. */
  ts: z.string(),
  runId: z.string(),
  /** 1-based attempt the event belongs to; 0 before the first spawn. */
  attempt: z.number().check(z.int(), z.nonnegative()),
  /** A reason code when the transition has one (`died`, `ended`, `output-idle`, …), else `null`. */
  reason,
};

const variants = journalEventTypes.map((type) =>
  z.looseObject({ ...base, type: z.literal(type), ...eventData[type] }),
) as unknown as [
  z.ZodMiniObject<z.core.$ZodLooseShape>,
  z.ZodMiniObject<z.core.$ZodLooseShape>,
  ...z.ZodMiniObject<z.core.$ZodLooseShape>[],
];

/**
 * zod schema of one `journal.jsonl` line: `ts` (ISO 8601), `runId`, `attempt`
 * (1-based; 0 before the first spawn), `type`, `reason` (a reason code or
 * `null`), and the event's own data beside them, checked per type (a
 * discriminated union on `type`; unknown extra fields are kept). Every line
 * the watchdog writes is validated with it first (an invalid one throws
 * `WatchdogError` `ERR_JOURNAL_EVENT`, with zod's English message).
 *
 * A zod/mini schema: parse with `.parse`/`.safeParse`; compose with the
 * functions of 'zod/mini' (`z.union`, `z.extend` on an option). Its issues
 * say only `Invalid input` unless the parse or the app gives a locale.
 */
export const journalEventSchema = z.discriminatedUnion('type', variants);

/** One journal event: the common fields, and the type's data beside them. */
export type JournalEvent = {
  ts: string;
  runId: string;
  attempt: number;
  type: JournalEventType;
  reason: (typeof reasonCodes)[number] | null;
  [field: string]: unknown;
};
