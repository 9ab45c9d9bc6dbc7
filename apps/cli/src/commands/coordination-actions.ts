/**
 * The work of the coordination commands (`claim`, `release`, `owner`,
 * `signal`, `targets`, `db migrate`) and their store flags, behind one
 * dynamic import: all of them open a coordination store with the same code,
 * which a start evaluates only when one of them runs.
 */
export { addStoreOptions, databaseUrlOption, leaseOption } from '../store-options.js';
export { claimCommand } from './claim/claim-command.js';
export { dbMigrateCommand } from './db/db-command.js';
export { ownerCommand } from './owner/owner-command.js';
export { releaseCommand } from './release/release-command.js';
export { signalCommand } from './signal/signal-command.js';
export { targetsCommand } from './targets/targets-command.js';
