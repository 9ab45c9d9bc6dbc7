/**
 * The work of the coordination commands (`claim`, `release`, `owner`,
 * `signal`, `targets`, `db migrate`) and their store flags, loaded as one
 * chunk: all of them open a coordination store with the same code, so one
 * dynamic import keeps the chunks a start loads few.
 */
export { addStoreOptions, databaseUrlOption, leaseOption } from '../store-options.js';
export { claimCommand } from './claim/claim-command.js';
export { dbMigrateCommand } from './db/db-command.js';
export { ownerCommand } from './owner/owner-command.js';
export { releaseCommand } from './release/release-command.js';
export { signalCommand } from './signal/signal-command.js';
export { targetsCommand } from './targets/targets-command.js';
