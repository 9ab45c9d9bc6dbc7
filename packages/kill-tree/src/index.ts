export { KillTreeError, type KillTreeErrorCode } from './errors.js';
export {
  type KillSurvivor,
  type KillTreeOptions,
  type KillTreeResult,
  killTree,
  type TokenTarget,
} from './kill-tree.js';
