import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { EXIT_CODES } from '@runwarden/watchdog';
import { Hono } from 'hono';
import type { EventFeed } from '../event-feed.js';
import type { GuardRow } from '../guards.js';
import type { LoopStatus } from '../loop.js';
import { tokenRules } from './auth.js';
import { registerDashboard } from './dashboard-route.js';
import { registerEventRoutes } from './events-route.js';
import { registerGuardRoutes } from './guards-route.js';

export { bearerMatches, isLoopbackHost } from './auth.js';

/** What the API asks of the running supervisor. */
export interface SupervisorControl {
  /** Every loop's status. */
  loops(): LoopStatus[];
  /** Stops one loop (its tree ended, its lock free); resolves with its status, `undefined` for an unknown loop. */
  stopLoop(name: string): Promise<LoopStatus | undefined>;
  /** Restarts one loop now; resolves with its status, `undefined` for an unknown loop. */
  restartLoop(name: string): Promise<LoopStatus | undefined>;
  /** Stops the supervisor (every loop, then the process), as SIGTERM does. */
  stop(): void;
  /** Whether the supervisor's own loop is ticking and it still holds `SUPERVISOR.lock`. */
  health(): { ok: boolean; detail: string; lastTickAgoMs: number };
  /** Every guard row, read from the running machinery (`GET /guards`). */
  guards(): Promise<GuardRow[]>;
  /** Every journal event of every loop and of the supervisor (`GET /events`). */
  readonly feed: EventFeed;
  /** The supervisor itself, for `GET /runs` and the page. */
  about(): { pid: number; stateDir: string; config: string; startedAt: string; now: string };
}

/** Options for {@link startApi}. */
export interface ApiOptions {
  /** The bind host (`listen` in the config). */
  host: string;
  /** The bind port; `0` picks a free one. */
  port: number;
  /** The bearer token (`supervisor/api.token`). */
  token: string;
  control: SupervisorControl;
}

/** A running API. */
export interface RunningApi {
  /** The URL a local client uses (loopback for a wildcard bind). */
  url: string;
  /** The port bound. */
  port: number;
  /** Stops accepting and closes the open connections. */
  close(): Promise<void>;
}

const json = (reason: keyof typeof EXIT_CODES, data: Record<string, unknown>) => ({
  ok: reason === 'OK',
  reason,
  exitCode: EXIT_CODES[reason],
  ...data,
});

/**
 * The supervisor's HTTP API (Hono), with pm2's daemon in mind: `status`,
 * `stop` and `restart` reach the running supervisor through it.
 *
 * - `GET /healthz`: 200 while the supervisor ticks and holds its lock, else 503;
 * - `GET /runs`, `GET /runs/:loop`: the `status --json` data;
 * - `POST /runs/:loop/stop`, `POST /runs/:loop/restart`, `POST /stop`;
 * - `GET /guards` (the guard posture), `GET /events` (SSE), `GET /` (the dashboard).
 *
 * Token rules ({@link tokenRules}): bound to loopback, a `GET` may omit the
 * token; every `POST`, and every request on a non-loopback bind, needs
 * `Authorization: Bearer <token>` (or the dashboard's cookie), else 401 and
 * nothing changes. On a loopback bind the `Host` header must be loopback too
 * (a DNS-rebinding page cannot read the API).
 *
 * @param options - bind address, token, and the supervisor.
 * @returns the app, for routes added beside these.
 */
export function buildApp(options: Omit<ApiOptions, 'port'>): Hono {
  const { control, token } = options;
  const app = new Hono();
  app.use('*', tokenRules({ host: options.host, token }));
  app.get('/healthz', (context) => {
    const health = control.health();
    return context.json(
      json(health.ok ? 'OK' : 'INTERNAL', { healthy: health.ok, ...health }),
      health.ok ? 200 : 503,
    );
  });
  app.get('/runs', (context) =>
    context.json(json('OK', { supervisor: control.about(), loops: control.loops() })),
  );
  const unknown = (name: string) => json('USAGE', { message: `No loop named ${name}.` });
  app.get('/runs/:loop', (context) => {
    const loop = control.loops().find((item) => item.name === context.req.param('loop'));
    return loop
      ? context.json(json('OK', { loop }))
      : context.json(unknown(context.req.param('loop')), 404);
  });
  app.post('/runs/:loop/stop', async (context) => {
    const loop = await control.stopLoop(context.req.param('loop'));
    return loop
      ? context.json(json('OK', { loop }))
      : context.json(unknown(context.req.param('loop')), 404);
  });
  app.post('/runs/:loop/restart', async (context) => {
    const loop = await control.restartLoop(context.req.param('loop'));
    return loop
      ? context.json(json('OK', { loop }))
      : context.json(unknown(context.req.param('loop')), 404);
  });
  app.post('/stop', (context) => {
    setImmediate(() => control.stop());
    return context.json(json('OK', { stopping: true }), 202);
  });
  registerGuardRoutes(app, () => control.guards());
  registerEventRoutes(app, control.feed);
  registerDashboard(app, token);
  return app;
}

/**
 * Starts the API on `host:port` ({@link buildApp}, served by `@hono/node-server`).
 *
 * @param options - bind address, token, and the supervisor.
 * @returns the URL and a close function.
 * @throws the listen error (`EADDRINUSE`, `EACCES`, …).
 */
export async function startApi(options: ApiOptions): Promise<RunningApi> {
  const app = buildApp(options);
  const { server, address } = await new Promise<{
    server: ReturnType<typeof serve>;
    address: AddressInfo;
  }>((settle, fail) => {
    const server = serve({ fetch: app.fetch, hostname: options.host, port: options.port }, (info) =>
      settle({ server, address: info }),
    );
    server.once('error', fail);
  });
  const wildcard = options.host === '0.0.0.0' || options.host === '::';
  const host = wildcard ? '127.0.0.1' : options.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  return {
    url,
    port: address.port,
    close: () =>
      new Promise<void>((settle) => {
        const closable = server as unknown as { closeAllConnections?: () => void };
        server.close(() => settle());
        closable.closeAllConnections?.();
      }),
  };
}
