import type { KillReason } from './outcome.js';
import type { KillSurvivor } from './types.js';

const REASONS: Record<KillReason, string> = {
  exited: 'exited after the graceful signal',
  killed: 'ended by the forced signal',
  reused: 'gone; its pid now belongs to another process, which was not signalled',
  zombie: 'dead, not yet reaped by its parent',
  unknown: 'could not be verified, so it was not force-killed',
  escaped: 'left the tree (new session or group) without the run token; not force-killed',
  unkillable: 'survived the forced signal (stuck in the kernel?)',
  eperm: 'the kernel refused the signal (another user’s process)',
};

/**
 * One line for people about what a {@link KillReason} means, e.g. for
 * `escaped`: "left the tree (new session or group) without the run token; not
 * force-killed".
 *
 * @param reason - the reason.
 * @returns the explanation.
 */
export function describeReason(reason: KillReason): string {
  return REASONS[reason];
}

/**
 * The survivors of a kill in one line for a log or an error message, e.g.
 * `4242 sleep (escaped), 4250 node (unkillable, state D)`.
 *
 * @param survivors - `KillTreeResult.survivors`.
 * @returns the line; `''` when there are none.
 */
export function describeSurvivors(survivors: readonly KillSurvivor[]): string {
  return survivors
    .map(
      (survivor) =>
        `${survivor.pid}${survivor.comm ? ` ${survivor.comm}` : ''} (${survivor.reason}${survivor.state ? `, state ${survivor.state}` : ''})`,
    )
    .join(', ');
}
