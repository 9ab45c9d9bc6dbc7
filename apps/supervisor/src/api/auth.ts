import { timingSafeEqual } from 'node:crypto';
import { EXIT_CODES } from '@runwarden/watchdog';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';

/** Whether a host name or address is loopback: `localhost`, `127.0.0.0/8`, `::1`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

/** Constant-time comparison of a presented token with the API's. */
function tokenMatches(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const presented = Buffer.from(given);
  const wanted = Buffer.from(token);
  return presented.length === wanted.length && timingSafeEqual(presented, wanted);
}

/** Constant-time check of an `Authorization: Bearer <token>` header. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header?.trim() ?? '');
  return tokenMatches(match?.[1], token);
}

/** The request's `Host` without its port, and its port. */
function hostParts(context: Context): { name: string; port: string } {
  const host = context.req.header('host') ?? '';
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host);
  return { name: match?.[1] ?? host, port: match?.[2] ?? '' };
}

/**
 * The dashboard's cookie: one per port, since a browser sends a host's
 * cookies to every port of it (RFC 6265 §8.5) and two supervisors on one
 * machine must not overwrite each other's.
 *
 * @param context - the request.
 * @returns the cookie's name.
 */
export function tokenCookieName(context: Context): string {
  return `runwarden-supervisor-${hostParts(context).port || 'default'}`;
}

/**
 * How the request proved it holds the token: the bearer header, the
 * dashboard's cookie, or not at all.
 *
 * @param context - the request.
 * @param token - the API's token.
 * @returns `bearer`, `cookie` or `undefined`.
 */
export function presentedToken(context: Context, token: string): 'bearer' | 'cookie' | undefined {
  if (bearerMatches(context.req.header('authorization'), token)) return 'bearer';
  if (tokenMatches(getCookie(context, tokenCookieName(context)), token)) return 'cookie';
  return undefined;
}

const refusal = (message: string) => ({
  ok: false,
  reason: 'USAGE' as const,
  exitCode: EXIT_CODES.USAGE,
  message,
});

/**
 * The API's token rules, one middleware before every route:
 *
 * - on a loopback bind, the `Host` header must be loopback too (a
 *   DNS-rebinding page cannot read the API), and a `GET` may omit the token;
 * - every other request (every `POST`; every request on a non-loopback bind)
 *   needs the token, else 401 and nothing changes;
 * - the token is `Authorization: Bearer <token>`, or the dashboard's cookie:
 *   a `GET` with `?token=<token>` sets it (HttpOnly, SameSite=Strict, as
 *   Jupyter's `?token=` login does) and redirects to the same URL without it;
 * - a request that proves the token only by the cookie and changes something
 *   must come from the page itself (`Origin`, when sent, is this host).
 *
 * @param options - the bind host and the token.
 * @returns the middleware.
 */
export function tokenRules(options: { host: string; token: string }): MiddlewareHandler {
  const { token } = options;
  const loopbackBind = isLoopbackHost(options.host);
  return async (context, next) => {
    const host = context.req.header('host') ?? '';
    if (loopbackBind && !isLoopbackHost(hostParts(context).name)) {
      return context.json(refusal(`Host ${host} is not loopback.`), 403);
    }
    const safe = context.req.method === 'GET' || context.req.method === 'HEAD';
    const query = safe ? context.req.query('token') : undefined;
    if (query !== undefined) {
      if (!tokenMatches(query, token)) {
        context.header('WWW-Authenticate', 'Bearer realm="runwarden-supervisor"');
        return context.json(refusal('The ?token= given is not the API token.'), 401);
      }
      setCookie(context, tokenCookieName(context), token, {
        httpOnly: true,
        sameSite: 'Strict',
        path: '/',
      });
      const url = new URL(context.req.url);
      url.searchParams.delete('token');
      context.header('Referrer-Policy', 'no-referrer');
      return context.redirect(`${url.pathname}${url.search}`, 303);
    }
    const presented = presentedToken(context, token);
    if ((!loopbackBind || !safe) && !presented) {
      context.header('WWW-Authenticate', 'Bearer realm="runwarden-supervisor"');
      return context.json(
        refusal('A bearer token is required (Authorization: Bearer <supervisor/api.token>).'),
        401,
      );
    }
    const origin = context.req.header('origin');
    if (!safe && presented === 'cookie' && origin !== undefined && origin !== `http://${host}`) {
      return context.json(refusal(`Origin ${origin} may not act on this supervisor.`), 403);
    }
    await next();
  };
}
