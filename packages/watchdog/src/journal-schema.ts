import { z } from 'zod';
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

const reason = z.enum(reasonCodes).nullable();
const survivor = z.object({ pid: z.number().int(), reason: z.string() }).loose();
const checkpoint = z.record(z.string(), z.unknown());
/** A commitment in `commitment-*` events (see `commitmentEventOf`). */
const commitmentFields = {
  commitmentId: z.string(),
  externalKey: z.string(),
  topic: z.string(),
  verb: z.string(),
  object: z.string().nullable(),
  text: z.string(),
  claimedByRunId: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  restatements: z.number().int().nonnegative(),
};

/** The fields of each event type beside `ts`, `runId`, `attempt`, `type` and `reason` (extra fields are kept). */
const eventData = {
  started: {
    command: z.string(),
    args: z.array(z.string()),
    cwd: z.string(),
    pid: z.number().int(),
  },
  'service-started': {
    name: z.string(),
    pid: z.number().int(),
    /** Clock ticks since boot of the service's start, so it is found after a crash. */
    startTicks: z.number().int().optional(),
    command: z.string(),
  },
  'service-ready': { name: z.string(), waitedMs: z.number(), via: z.string() },
  'service-died': {
    name: z.string(),
    pid: z.number().int(),
    code: z.number().int().nullable(),
    signal: z.string().nullable(),
  },
  spawned: {
    pid: z.number().int(),
    /** Clock ticks since boot and Unix ms of the child's start, for evidence. */
    startTicks: z.number().int().optional(),
    startTimeMs: z.number().optional(),
    command: z.string(),
    args: z.array(z.string()),
  },
  adopted: { pid: z.number().int(), startTicks: z.number().int() },
  resumed: {
    pid: z.number().int(),
    startTicks: z.number().int().optional(),
    startTimeMs: z.number().optional(),
    command: z.string(),
    args: z.array(z.string()),
    checkpoint: checkpoint.optional(),
  },
  progress: { source: z.string(), changes: z.number().int().positive() },
  'output-idle': { idleTimeoutMs: z.number() },
  'startup-idle': { startupIdleMs: z.number() },
  'progress-idle': { progressIdleMs: z.number() },
  timeout: { what: z.enum(['mission', 'service-startup']), limitMs: z.number() },
  interrupted: {},
  'lock-lost': { message: z.string() },
  exited: {
    pid: z.number().int(),
    code: z.number().int().nullable(),
    signal: z.string().nullable(),
    uptimeMs: z.number(),
  },
  kill: {
    why: z.string(),
    killed: z.array(z.number().int()),
    survivors: z.array(survivor),
    escalated: z.boolean(),
  },
  check: { passed: z.boolean(), exitCode: z.number().int().nullable(), durationMs: z.number() },
  died: { cause: z.string(), rule: z.enum(RESUME_RULES).optional() },
  'quota-pause': {
    delayMs: z.number(),
    until: z.string(),
    line: z.string(),
    resetParsed: z.boolean(),
    pauses: z.number().int(),
  },
  'resume-scheduled': {
    delayMs: z.number(),
    nextAttempt: z.number().int(),
    countsAgainstBudget: z.boolean(),
    budgetSpent: z.number().int(),
    maxResumes: z.number().int(),
    rule: z.enum(RESUME_RULES).optional(),
  },
  completed: { by: z.string() },
  warning: { what: z.string(), message: z.string() },
  handoff: {
    lastLines: z.array(z.string()),
    resumeCommand: z.string(),
    cwd: z.string(),
    lastCause: z.string(),
    checkpoint: checkpoint.optional(),
  },
  ended: {
    exitCode: z.number().int(),
    attempts: z.number().int(),
    resumes: z.number().int(),
    budgetSpent: z.number().int(),
    durationMs: z.number(),
    message: z.string(),
  },
  'commitment-fulfilled': {
    ...commitmentFields,
    evidence: z.object({ kind: z.string(), at: z.string(), detail: z.string() }),
  },
  'commitment-expired': { ...commitmentFields, closeReason: z.string().nullable() },
} satisfies Record<JournalEventType, z.ZodRawShape>;

const base = {
  /** ISO 8601, UTC. */
  ts: z.string(),
  runId: z.string(),
  /** 1-based attempt the event belongs to; 0 before the first spawn. */
  attempt: z.number().int().nonnegative(),
  /** A reason code when the transition has one (`died`, `ended`, `output-idle`, …), else `null`. */
  reason,
};

const variants = journalEventTypes.map((type) =>
  z.looseObject({ ...base, type: z.literal(type), ...eventData[type] }),
) as unknown as [z.ZodObject, z.ZodObject, ...z.ZodObject[]];

/**
 * zod schema of one `journal.jsonl` line: `ts` (ISO 8601), `runId`, `attempt`
 * (1-based; 0 before the first spawn), `type`, `reason` (a reason code or
 * `null`), and the event's own data beside them, checked per type (a
 * discriminated union on `type`; unknown extra fields are kept). Every line
 * the watchdog writes is validated with it first.
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
