import { closeSync, writeSync } from 'node:fs';
import { openAppendFile, StatePathError } from '@runwarden/safe-fs';
import { english } from '@runwarden/zod-english';
import { WatchdogError } from './errors.js';
import { type JournalEvent, type JournalEventType, journalEventSchema } from './journal-schema.js';
import { unsafeFileError } from './unsafe-file.js';

/**
 * Appends events to `journal.jsonl`, one object a line, synchronously (one
 * `write(2)` per line on an `O_APPEND` descriptor), so a crash loses at most the
 * line being written. The file is created 0600 and never followed through a
 * symlink (`O_NOFOLLOW`).
 */
export class Journal {
  private fd: number | undefined;

  /**
   * @param path - absolute path of `journal.jsonl`.
   * @param runId - written into every event.
   * @param now - injected clock for `ts`, Unix ms. @default Date.now
   * @throws {WatchdogError} `ERR_UNSAFE_PATH` when the path is a symlink, FIFO, socket or directory (never a blocking open).
   */
  constructor(
    readonly path: string,
    private readonly runId: string,
    private readonly now: () => number = Date.now,
  ) {
    try {
      this.fd = openAppendFile(path);
    } catch (error) {
      if (!StatePathError.isInstance(error)) throw error;
      throw unsafeFileError(error, {
        kind: 'Journal',
        path,
        hint: `Move ${path} aside; the journal must be a regular file.`,
      });
    }
  }

  /**
   * Validates one event against {@link journalEventSchema}, appends it and returns it.
   *
   * @param type - the transition.
   * @param attempt - the attempt it belongs to (0 before the first spawn).
   * @param data - the type's fields.
   * @param reason - a reason code, or `null`. @default null
   * @returns the event as written.
   * @throws {WatchdogError} `ERR_JOURNAL_EVENT` when the event does not match the schema (a bug).
   */
  append(
    type: JournalEventType,
    attempt: number,
    data: Record<string, unknown> = {},
    reason: JournalEvent['reason'] = null,
  ): JournalEvent {
    const event = {
      ts: new Date(this.now()).toISOString(),
      runId: this.runId,
      attempt,
      type,
      reason,
      ...data,
    } as JournalEvent;
    const checked = journalEventSchema.safeParse(event, english());
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw new WatchdogError({
        code: 'ERR_JOURNAL_EVENT',
        message: `Journal event ${type} is invalid at ${issue?.path.join('.')}: ${issue?.message}`,
        cause: checked.error,
      });
    }
    if (this.fd !== undefined) writeSync(this.fd, `${JSON.stringify(event)}\n`);
    return event;
  }

  /** Closes the file; later appends are validated but not written. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
