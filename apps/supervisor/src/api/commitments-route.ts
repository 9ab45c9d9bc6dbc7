import { type Commitment, commitmentStates } from '@runwarden/coordination-state';
import { EXIT_CODES } from '@runwarden/watchdog';
import type { Hono } from 'hono';

/**
 * The commitments as `GET /commitments` and `status --json` show them:
 * every one the store keeps (open, and each loop's newest closed ones),
 * how many are open, and the attention items (the expired ones, each one
 * commitment however often its claim was restated).
 *
 * @param commitments - the store's commitments.
 * @returns `{open, attention, commitments}`.
 */
export function commitmentsView(commitments: Commitment[]): {
  open: number;
  attention: number;
  commitments: Commitment[];
} {
  return {
    open: commitments.filter((commitment) => commitment.state === 'open').length,
    attention: commitments.filter((commitment) => commitment.state === 'expired').length,
    commitments,
  };
}

/**
 * `GET /commitments` (`?state=open|fulfilled|expired|dropped`, `?loop=NAME`):
 * the action-claim commitments of the supervisor's loops (issue 14), from its
 * store, under the API's token rules; a store it cannot read is a 500 whose
 * JSON names the file (`INVALID_STATE`).
 *
 * @param app - the API's app.
 * @param commitments - reads them from the running supervisor.
 */
export function registerCommitmentRoutes(
  app: Hono,
  commitments: () => Promise<Commitment[]>,
): void {
  app.get('/commitments', async (context) => {
    const state = context.req.query('state');
    const loop = context.req.query('loop');
    if (state !== undefined && !(commitmentStates as readonly string[]).includes(state))
      return context.json(
        {
          ok: false,
          reason: 'USAGE',
          exitCode: EXIT_CODES.USAGE,
          message: `?state= must be one of ${commitmentStates.join(', ')}.`,
        },
        400,
      );
    let all: Commitment[];
    try {
      all = await commitments();
    } catch (error) {
      // An unusable commitments file (CoordinationError ERR_INVALID_STATE) is named, never a bare 500.
      return context.json(
        {
          ok: false,
          reason: 'INVALID_STATE',
          exitCode: EXIT_CODES.INVALID_STATE,
          message: (error as Error).message,
        },
        500,
      );
    }
    const shown = all.filter(
      (commitment) =>
        (state === undefined || commitment.state === state) &&
        (loop === undefined || commitment.topic === loop),
    );
    return context.json({
      ok: true,
      reason: 'OK',
      exitCode: EXIT_CODES.OK,
      ...commitmentsView(shown),
    });
  });
}
