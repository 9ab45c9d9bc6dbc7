/**
 * The work of `evidence hash` and `evidence verify` and the `--format` flag,
 * loaded as one chunk: both walk and hash a tree with the same code, so one
 * dynamic import keeps the chunks a start loads few.
 */
export { formatOption } from './evidence/formats.js';
export { hashCommand } from './evidence/hash-command.js';
export { verifyCommand } from './evidence/verify-command.js';
