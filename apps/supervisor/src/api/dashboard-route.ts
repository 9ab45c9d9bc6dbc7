import type { Hono } from 'hono';
import { DASHBOARD_CSS, DASHBOARD_JS, dashboardHtml } from '../dashboard/page.js';
import { presentedToken } from './auth.js';

/** The page's own files only: no inline script, nothing from elsewhere. */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The dashboard, `GET /` (plus `/dashboard.js` and `/dashboard.css`), served
 * by the supervisor itself: the loops, their timers, the guard posture and
 * a live event tail. Opened once with `?token=` (see `tokenRules`), its stop
 * buttons work through the cookie; without it the page is read-only.
 *
 * @param app - the API's app.
 * @param token - the API token (the page is told whether the request carried it).
 */
export function registerDashboard(app: Hono, token: string): void {
  const headers = (contentType: string) => ({
    'Content-Type': contentType,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
  app.get('/', (context) =>
    context.body(dashboardHtml(presentedToken(context, token) !== undefined), 200, {
      ...headers('text/html; charset=utf-8'),
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Frame-Options': 'DENY',
    }),
  );
  app.get('/dashboard.js', (context) =>
    context.body(DASHBOARD_JS, 200, headers('text/javascript; charset=utf-8')),
  );
  app.get('/dashboard.css', (context) =>
    context.body(DASHBOARD_CSS, 200, headers('text/css; charset=utf-8')),
  );
  app.get('/favicon.ico', (context) => context.body(null, 204));
}
