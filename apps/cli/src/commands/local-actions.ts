/**
 * The work of `status`, `logs` and `runs`, loaded as one chunk: the three read
 * a state directory (its lock, its runs' journals) with the same code, so one
 * dynamic import for the three keeps the chunks a start loads few (each file
 * is one more resolve, read and compile on the ESM loader's path).
 */
export { logsCommand } from './logs/logs-command.js';
export { runsCommand } from './runs/runs-command.js';
export { statusCommand } from './status/status-command.js';
