import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { SUPERVISOR_DEFAULTS } from '../defaults.js';
import type { EventFeed, FeedEntry } from '../event-feed.js';

/**
 * `GET /events`: Server-Sent Events (the WHATWG HTML spec's `text/event-stream`),
 * every journal event of every loop and of the supervisor as one JSON `data`
 * line with an `id`. A client that reconnects with `Last-Event-ID` (or
 * `?lastEventId=`) gets every event after it that the feed still holds, then
 * the live ones; when some were dropped meanwhile, an `event: gap` message
 * first says how many (the journals on disk have them). Without either, the
 * feed starts from the oldest event held, or the last `?tail=N`.
 *
 * A client that does not read is dropped once `sseQueueMax` events wait for
 * it; it reconnects and resumes from its last id.
 *
 * @param app - the API's app.
 * @param feed - the supervisor's event feed.
 */
export function registerEventRoutes(app: Hono, feed: EventFeed): void {
  app.get('/events', (context) => {
    const header = context.req.header('last-event-id') ?? context.req.query('lastEventId');
    const tail = Number(context.req.query('tail'));
    return streamSSE(context, async (stream) => {
      const closed = new Promise<void>((settle) => stream.onAbort(settle));
      const pending: FeedEntry[] = [];
      let wake: (() => void) | undefined;
      let overflow = false;
      // Subscribe before reading the backlog, so nothing falls between the two.
      const unsubscribe = feed.subscribe((entry) => {
        if (pending.length >= SUPERVISOR_DEFAULTS.sseQueueMax) overflow = true;
        else pending.push(entry);
        wake?.();
      });
      const keepAlive = setInterval(() => {
        void stream.write(': keep-alive\n\n').catch(() => undefined);
      }, SUPERVISOR_DEFAULTS.sseKeepAliveMs);
      keepAlive.unref();
      let aborted = false;
      void closed.then(() => {
        aborted = true;
        wake?.();
      });
      try {
        const lastId =
          header !== undefined
            ? feed.parseId(header)
            : Number.isInteger(tail) && tail >= 0
              ? Math.max(0, feed.lastId - tail)
              : 0;
        const backlog = feed.after(lastId);
        // A field-only message: the browser reconnects after 1 s instead of its default.
        await stream.write(`retry: ${SUPERVISOR_DEFAULTS.sseRetryMs}\n\n`);
        if (header !== undefined && backlog.missed > 0)
          await stream.writeSSE({
            event: 'gap',
            data: JSON.stringify({
              missed: backlog.missed,
              hint: 'the feed holds fewer events; read them in the journals (supervisor/journal.jsonl, loops/<name>/runs/<runId>/journal.jsonl)',
            }),
          });
        let sent = lastId;
        const send = async (entry: FeedEntry) => {
          if (entry.id <= sent) return;
          sent = entry.id;
          await stream.writeSSE({ id: feed.idOf(entry), data: entry.data });
        };
        for (const entry of backlog.entries) await send(entry);
        while (!aborted && !overflow) {
          const entry = pending.shift();
          if (entry) {
            await send(entry);
            continue;
          }
          await new Promise<void>((settle) => {
            wake = settle;
          });
          wake = undefined;
        }
      } finally {
        unsubscribe();
        clearInterval(keepAlive);
      }
    });
  });
}
