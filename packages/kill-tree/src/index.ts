export { KILL_TREE_DEFAULTS } from './defaults.js';
export { describeReason, describeSurvivors } from './describe.js';
export { KillTreeError, type KillTreeErrorCode, type KillTreeErrorOptions } from './errors.js';
export { killTree } from './kill-tree.js';
export type { KillReason, SurvivorReason } from './outcome.js';
export type { KillLink } from './tree-links.js';
export type {
  KillMechanism,
  KillProcessReport,
  KillSurvivor,
  KillTreeOptions,
  KillTreeResult,
  TokenTarget,
} from './types.js';
