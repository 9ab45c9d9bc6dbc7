import { appendFileSync, readFileSync } from 'node:fs';
import { z } from 'zod';

/** The journal's event types, one per watchdog transition. */
export const journalEventTypes = [
  'started',
  'spawned',
  'output-idle',
  'startup-idle',
  'progress',
  'died',
  'resume-scheduled',
  'resumed',
  'timeout',
  'kill',
  'completed',
  'handoff',
  'interrupted',
  'ended',
] as const;

/** One journal event type. */
export type JournalEventType = (typeof journalEventTypes)[number];

/**
 * zod schema of one `journal.jsonl` line: `ts` (ISO 8601), `runId`, `attempt`
 * (1-based; 0 before the first spawn), `type`, an optional `reason`, and the
 * event's own data beside them.
 */
export const journalEventSchema = z
  .object({
    ts: z.string(),
    runId: z.string(),
    attempt: z.number().int().nonnegative(),
    type: z.enum(journalEventTypes),
    reason: z.string().optional(),
  })
  .passthrough();

/** One journal event. */
export type JournalEvent = z.infer<typeof journalEventSchema>;

/**
 * Appends events to a JSONL file, one object a line, synchronously, so a crash
 * loses at most the line being written.
 */
export class Journal {
  constructor(
    /** Absolute path of `journal.jsonl`. */
    readonly path: string,
    private readonly runId: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Appends one event and returns it. */
  append(
    type: JournalEventType,
    attempt: number,
    data: Record<string, unknown> = {},
    reason?: string,
  ): JournalEvent {
    const event: JournalEvent = {
      ts: new Date(this.now()).toISOString(),
      runId: this.runId,
      attempt,
      type,
      ...data,
    };
    if (reason !== undefined) event.reason = reason;
    appendFileSync(this.path, `${JSON.stringify(event)}\n`, { mode: 0o600 });
    return event;
  }
}

/**
 * Reads a journal, skipping a torn last line (a crash mid-append).
 *
 * @returns the valid events in order.
 * @throws the read error when the file cannot be read.
 */
export function readJournal(path: string): JournalEvent[] {
  const events: JournalEvent[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = journalEventSchema.safeParse(JSON.parse(line));
      if (parsed.success) events.push(parsed.data);
    } catch {
      // a torn line from a crash: skip it
    }
  }
  return events;
}
