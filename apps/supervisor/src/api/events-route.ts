import type { ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Hono } from 'hono';
import { SUPERVISOR_DEFAULTS } from '../defaults.js';
import type { EventFeed, FeedEntry } from '../event-feed.js';

/** One SSE message (the WHATWG HTML spec's `text/event-stream`); `data` is one JSON line. */
const message = (fields: { id?: string; event?: string; data: string }) =>
  `${fields.event ? `event: ${fields.event}\n` : ''}${fields.id ? `id: ${fields.id}\n` : ''}data: ${fields.data}\n\n`;

/**
 * `GET /events`: Server-Sent Events (the WHATWG HTML spec's `text/event-stream`),
 * every journal event of every loop and of the supervisor as one JSON `data`
 * line with an `id`. A client that reconnects with `Last-Event-ID` (or
 * `?lastEventId=`) gets every event after it that the feed still holds, then
 * the live ones; when some were dropped meanwhile, an `event: gap` message
 * first says how many (the journals on disk have them). Without either, the
 * feed starts from the oldest event held, or the last `?tail=N`.
 *
 * The stream is written straight to Node's response (`@hono/node-server`'s
 * `RESPONSE_ALREADY_SENT`): each event is serialized once and is one
 * `write(2)` per client, with no web-stream pipeline per client. A client
 * that does not read is dropped once `sseBufferMaxBytes` wait for it; it
 * reconnects and resumes from its last id.
 *
 * @param app - the API's app.
 * @param feed - the supervisor's event feed.
 */
export function registerEventRoutes(app: Hono, feed: EventFeed): void {
  app.get('/events', (context) => {
    const outgoing = (context.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    if (!outgoing) return context.text('GET /events needs @hono/node-server', 501);
    const header = context.req.header('last-event-id') ?? context.req.query('lastEventId');
    const tail = Number(context.req.query('tail'));
    const lastId =
      header !== undefined
        ? feed.parseId(header)
        : Number.isInteger(tail) && tail >= 0
          ? Math.max(0, feed.lastId - tail)
          : 0;
    outgoing.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Content-Type-Options': 'nosniff',
    });
    outgoing.socket?.setNoDelay(true);
    let sent = lastId;
    let open = true;
    let unsubscribe = () => {};
    let keepAlive: NodeJS.Timeout | undefined;
    const close = () => {
      if (!open) return;
      open = false;
      unsubscribe();
      clearInterval(keepAlive);
      outgoing.end();
    };
    const write = (text: string) => {
      if (open) outgoing.write(text);
    };
    const send = (entry: FeedEntry) => {
      if (entry.id <= sent) return;
      sent = entry.id;
      write(message({ id: feed.idOf(entry), data: entry.data }));
    };
    // A field-only message: the browser reconnects after 1 s instead of its default.
    write(`retry: ${SUPERVISOR_DEFAULTS.sseRetryMs}\n\n`);
    const backlog = feed.after(lastId);
    if (header !== undefined && backlog.missed > 0)
      write(
        message({
          event: 'gap',
          data: JSON.stringify({
            missed: backlog.missed,
            hint: 'the feed holds fewer events; read them in the journals (supervisor/journal.jsonl, loops/<name>/runs/<runId>/journal.jsonl)',
          }),
        }),
      );
    for (const entry of backlog.entries) send(entry);
    unsubscribe = feed.subscribe((entry) => {
      // A client that does not read: drop it; it resumes from its Last-Event-ID.
      if (outgoing.writableLength > SUPERVISOR_DEFAULTS.sseBufferMaxBytes) {
        close();
        outgoing.destroy();
      } else send(entry);
    });
    keepAlive = setInterval(() => write(': keep-alive\n\n'), SUPERVISOR_DEFAULTS.sseKeepAliveMs);
    keepAlive.unref();
    outgoing.once('close', close);
    return RESPONSE_ALREADY_SENT;
  });
}
