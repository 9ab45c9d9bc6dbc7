/**
 * Every default of `@runwarden/kill-tree`, in one place: the code, the CLI's
 * help and the README read these (execa's `DEFAULT_FORCE_KILL_TIMEOUT`;
 * systemd's `TimeoutStopSec=`, systemd.kill(5)).
 */
export const KILL_TREE_DEFAULTS = {
  /** The graceful signal. */
  signal: 'SIGTERM',
  /** How long the tree may take to exit after the graceful signal, in ms. */
  graceMs: 5000,
  /** The forced signal for whatever outlives the grace period. */
  forceSignal: 'SIGKILL',
  /** How long to wait for the forced signal to take effect, in ms. */
  forceWaitMs: 2000,
  /** The longest wait between two reads of the process table, in ms. */
  pollMs: 50,
  /** Stop the tree (SIGSTOP) while it is signalled. */
  freeze: true,
} as const satisfies {
  signal: NodeJS.Signals;
  graceMs: number;
  forceSignal: NodeJS.Signals;
  forceWaitMs: number;
  pollMs: number;
  freeze: boolean;
};
