export { describeReason, describeSurvivors } from './describe.js';
export { KillTreeError, type KillTreeErrorCode } from './errors.js';
export { killTree } from './kill-tree.js';
export type { KillReason, SurvivorReason } from './outcome.js';
export { type KillLink, linkTree, type TreeAnchors, type TreeOwnership } from './tree-links.js';
export type {
  KillMechanism,
  KillProcessReport,
  KillSurvivor,
  KillTreeOptions,
  KillTreeResult,
  TokenTarget,
} from './types.js';
export {
  parseTaskkillOutput,
  type TaskkillLine,
  taskkillCommand,
  taskkillPath,
} from './windows-kill.js';
