import { readRegularFile, StatePathError } from '@runwarden/safe-fs';
import { WatchdogError } from './errors.js';
import { type JournalEvent, journalEventSchema } from './journal-schema.js';

/**
 * Reads a journal: every line that parses and matches
 * {@link journalEventSchema}, in order. A torn last line (a crash mid-append)
 * and lines of unknown shape are skipped.
 *
 * @param path - the `journal.jsonl` file.
 * @returns the valid events in order.
 * @throws the read error when the file cannot be read (e.g. `ENOENT`).
 * @throws {WatchdogError} `ERR_UNSAFE_PATH` when the path is a symlink, FIFO, socket or directory, or larger than {@link MAX_JOURNAL_BYTES}.
 */
export function readJournal(path: string): JournalEvent[] {
  let file: ReturnType<typeof readRegularFile>;
  try {
    file = readRegularFile(path, { maxBytes: MAX_JOURNAL_BYTES });
  } catch (error) {
    if (!StatePathError.isInstance(error)) throw error;
    throw new WatchdogError({
      code: 'ERR_UNSAFE_PATH',
      message: `Journal ${path} is unusable: ${error.message}`,
      path,
      cause: error,
      hint: `Move ${path} aside; the journal must be a regular file.`,
    });
  }
  if (!file) {
    throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), {
      code: 'ENOENT',
      path,
    });
  }
  return parseJournal(file.bytes.toString('utf8'));
}

/**
 * The most bytes {@link readJournal} reads: a run writes about 0.5 MB a day,
 * so 256 MiB is years of events; past it the file is not a journal.
 */
export const MAX_JOURNAL_BYTES = 256 * 1024 * 1024;

/**
 * Parses journal text (see {@link readJournal}).
 *
 * @param text - the file's content.
 * @returns the valid events in order.
 */
export function parseJournal(text: string): JournalEvent[] {
  const events: JournalEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = journalEventSchema.safeParse(JSON.parse(line));
      if (parsed.success) events.push(parsed.data as JournalEvent);
    } catch {
      // a torn line from a crash: skip it
    }
  }
  return events;
}
