import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { z } from 'zod';
import { SupervisorError } from './errors.js';

/**
 * The supervisor's own events, one per transition of the supervisor or of a
 * loop (a run's own story is in its run journal, written by its watchdog).
 */
export const supervisorEventTypes = [
  'supervisor-started',
  'supervisor-stopping',
  'supervisor-stopped',
  'supervisor-stalled',
  'loop-state',
  'run-started',
  'run-ended',
  'restart-scheduled',
  'handoff',
  'adopted',
  'orphans-ended',
  'reload',
  'reload-failed',
  'done',
  'evidence',
  'error',
] as const;

/** One supervisor event type. */
export type SupervisorEventType = (typeof supervisorEventTypes)[number];

/** zod schema of one `supervisor/journal.jsonl` line: `ts`, `seq`, `type`, `loop` (or `null`) and the event's data. */
export const supervisorEventSchema = z.looseObject({
  ts: z.string(),
  /** 1-based, per supervisor process; with `pid`, orders events written in the same millisecond. */
  seq: z.number().int().positive(),
  pid: z.number().int(),
  type: z.enum(supervisorEventTypes),
  loop: z.string().nullable(),
});

/** One supervisor event. */
export type SupervisorEvent = z.infer<typeof supervisorEventSchema>;

/**
 * Appends supervisor events, one JSON object a line, one `write(2)` each on an
 * `O_APPEND` descriptor (never through a symlink, created 0600).
 */
export class SupervisorJournal {
  private fd: number | undefined;
  private seq = 0;

  /**
   * @param path - `supervisor/journal.jsonl`.
   * @param onEvent - called with every event after it is written (e.g. the API's event feed). @default none
   * @throws {SupervisorError} `ERR_STATE` when the path is a symlink.
   */
  constructor(
    readonly path: string,
    private readonly onEvent?: (event: SupervisorEvent) => void,
  ) {
    try {
      this.fd = openSync(
        path,
        constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
        0o600,
      );
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOOP')
        throw new SupervisorError('ERR_STATE', 'INVALID_STATE', `Journal ${path} is a symlink.`, {
          cause: error,
          data: { path },
        });
      throw error;
    }
  }

  /**
   * Appends one event.
   *
   * @param type - the event type.
   * @param loop - the loop it concerns, `null` for the supervisor.
   * @param data - its fields.
   * @returns the event as written.
   */
  append(
    type: SupervisorEventType,
    loop: string | null,
    data: Record<string, unknown> = {},
  ): SupervisorEvent {
    this.seq += 1;
    const event: SupervisorEvent = {
      ts: new Date().toISOString(),
      seq: this.seq,
      pid: process.pid,
      type,
      loop,
      ...data,
    };
    if (this.fd !== undefined) writeSync(this.fd, `${JSON.stringify(event)}\n`);
    try {
      this.onEvent?.(event);
    } catch {
      // a listener's bug must not stop the supervisor
    }
    return event;
  }

  /** Closes the file; later events are not written. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Reads a supervisor journal: every line that parses, in order (a torn line is skipped).
 *
 * @param path - the journal.
 * @returns the events; `[]` when there is no journal.
 */
export function readSupervisorJournal(path: string): SupervisorEvent[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const events: SupervisorEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = supervisorEventSchema.safeParse(JSON.parse(line));
      if (parsed.success) events.push(parsed.data);
    } catch {
      // torn line
    }
  }
  return events;
}
