/**
 * The work of `evidence hash` and `evidence verify` and the `--format` flag,
 * behind one dynamic import: both walk and hash a tree with the same code,
 * which a start evaluates only when one of them runs.
 */
export { formatOption } from './evidence/formats.js';
export { hashCommand } from './evidence/hash-command.js';
export { verifyCommand } from './evidence/verify-command.js';
