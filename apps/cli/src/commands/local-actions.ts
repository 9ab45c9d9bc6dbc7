/**
 * The work of `status`, `logs` and `runs`, behind one dynamic import: the
 * three read a state directory (its lock, its runs' journals) with the same
 * code, which a start evaluates only when one of them runs.
 */
export { logsCommand } from './logs/logs-command.js';
export { runsCommand } from './runs/runs-command.js';
export { statusCommand } from './status/status-command.js';
