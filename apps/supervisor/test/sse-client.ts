/** A Server-Sent Events client for tests: reads `text/event-stream` over fetch, as an EventSource would. */

/** One message as the WHATWG HTML spec's parser dispatches it. */
export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

/** A connected stream: the messages so far, and `close()`. */
export interface SseConnection {
  messages: SseMessage[];
  /** Resolves once a message satisfies `condition` (the messages are kept). */
  until(condition: (messages: SseMessage[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

/**
 * Opens `url` with `Accept: text/event-stream` (and `Last-Event-ID` when given).
 *
 * @param url - the events URL.
 * @param lastEventId - the id to resume after.
 * @returns the connection, once the response headers arrived.
 */
export async function connectSse(url: string, lastEventId?: string): Promise<SseConnection> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: {
      accept: 'text/event-stream',
      ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
    },
    signal: controller.signal,
  });
  if (response.status !== 200 || !response.body)
    throw new Error(`GET ${url}: HTTP ${response.status}`);
  const messages: SseMessage[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  let ended: Error | undefined;
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          let id: string | undefined;
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id') id = value;
            else if (field === 'event') event = value;
            else if (field === 'data') data.push(value);
          }
          if (data.length === 0) continue;
          messages.push({ id, event, data: data.join('\n') });
          for (const wake of waiters) wake();
        }
      }
      ended = new Error('the stream ended');
    } catch (error) {
      ended = error as Error;
    }
    for (const wake of waiters) wake();
  })();
  return {
    messages,
    async until(condition, timeoutMs = 20_000) {
      const deadline = performance.now() + timeoutMs;
      while (!condition(messages)) {
        if (ended) throw new Error(`SSE: ${ended.message} before the condition held`);
        if (performance.now() > deadline) throw new Error('SSE: timed out');
        await new Promise<void>((settle) => {
          const wake = () => {
            waiters.delete(wake);
            clearTimeout(timer);
            settle();
          };
          const timer = setTimeout(wake, 200);
          waiters.add(wake);
        });
      }
    },
    close() {
      ended ??= new Error('closed');
      controller.abort();
    },
  };
}
