import { SUPERVISOR_DEFAULTS } from './defaults.js';

/** One event of the feed: its id and its JSON text (serialized once, sent to every client). */
export interface FeedEntry {
  /** 1-based, in the order the events happened, per supervisor process. */
  id: number;
  /** `{source, loop, ...the journal line}` as JSON. */
  data: string;
}

/** What {@link EventFeed.after} found. */
export interface FeedBacklog {
  entries: FeedEntry[];
  /** Events after the asked id that are no longer held (the buffer is bounded; the journals hold them). */
  missed: number;
}

/**
 * Every journal event of every loop and of the supervisor, in order, with an
 * id, for `GET /events` (Server-Sent Events): the newest `capacity` are held
 * so that a client that reconnects with `Last-Event-ID` gets every event it
 * missed, the way the WHATWG HTML spec's EventSource resumes.
 */
export class EventFeed {
  private readonly held: FeedEntry[] = [];
  private first = 0;
  private nextId = 1;
  private readonly listeners = new Set<(entry: FeedEntry) => void>();

  /**
   * @param session - this supervisor's id: SSE ids are `<session>-<n>`, so a
   *   client that reconnects to a new supervisor starts that one's feed from its first event.
   * @param capacity - events held for reconnecting clients. @default SUPERVISOR_DEFAULTS.eventsHeld
   */
  constructor(
    readonly session: string,
    private readonly capacity: number = SUPERVISOR_DEFAULTS.eventsHeld,
  ) {}

  /** The id of the newest event; 0 before the first. */
  get lastId(): number {
    return this.nextId - 1;
  }

  /**
   * Adds one event and hands it to every subscriber.
   *
   * @param source - `supervisor` (its journal) or `run` (a loop's run journal).
   * @param loop - the loop, `null` for the supervisor itself.
   * @param event - the journal line.
   * @returns the entry.
   */
  publish(source: 'supervisor' | 'run', loop: string | null, event: object): FeedEntry {
    const entry: FeedEntry = {
      id: this.nextId++,
      data: JSON.stringify({ source, loop, ...event }),
    };
    this.held.push(entry);
    if (this.held.length - this.first > this.capacity) {
      this.first += 1;
      // Compact now and then, not on every event.
      if (this.first >= this.capacity) {
        this.held.splice(0, this.first);
        this.first = 0;
      }
    }
    for (const listener of this.listeners) listener(entry);
    return entry;
  }

  /**
   * The events after `lastId` that are still held.
   *
   * @param lastId - the last id the client has; 0 for all held.
   * @returns the entries, and how many after `lastId` are gone.
   */
  after(lastId: number): FeedBacklog {
    const oldest = this.held[this.first]?.id ?? this.nextId;
    const from = Math.max(lastId + 1, oldest);
    const entries = this.held.slice(this.first + (from - oldest));
    return { entries, missed: Math.max(0, oldest - (lastId + 1)) };
  }

  /**
   * Parses a `Last-Event-ID` of this feed.
   *
   * @param header - the header (or `lastEventId` query) as sent.
   * @returns the event number; 0 for none, or an id of another supervisor.
   */
  parseId(header: string | undefined): number {
    const match = /^(.+)-(\d+)$/.exec(header?.trim() ?? '');
    if (!match || match[1] !== this.session) return 0;
    return Math.min(Number(match[2]), this.lastId);
  }

  /**
   * The SSE id of an entry.
   *
   * @param entry - the entry.
   * @returns `<session>-<id>`.
   */
  idOf(entry: FeedEntry): string {
    return `${this.session}-${entry.id}`;
  }

  /**
   * Calls `listener` with every event from now on.
   *
   * @param listener - the callback.
   * @returns a function that stops it.
   */
  subscribe(listener: (entry: FeedEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** How many clients listen now. */
  get subscribers(): number {
    return this.listeners.size;
  }
}
