import { EXIT_CODES } from '@runwarden/watchdog';
import type { Hono } from 'hono';
import type { GuardRow } from '../guards.js';

/**
 * `GET /guards`: the guard posture, every guard of every loop and the global
 * `done-watcher`, each with its configured and its effective state (instar's
 * guard-posture inventory): `{guards: [{loop, guard, configured, effective,
 * state, reason, lastFiredAt}], divergent}`.
 *
 * @param app - the API's app.
 * @param guards - reads the rows from the running supervisor.
 */
export function registerGuardRoutes(app: Hono, guards: () => Promise<GuardRow[]>): void {
  app.get('/guards', async (context) => {
    const rows = await guards();
    return context.json({
      ok: true,
      reason: 'OK',
      exitCode: EXIT_CODES.OK,
      divergent: rows.filter((row) => row.state === 'off-runtime-divergent').length,
      guards: rows,
    });
  });
}
