// `@runwarden/kill-tree/internal`: the parts behind `killTree`, for
// runwarden's own packages and tests. No stability promise.
export { type KillLink, linkTree, type TreeAnchors, type TreeOwnership } from './tree-links.js';
export {
  parseTaskkillOutput,
  type TaskkillLine,
  taskkillCommand,
  taskkillPath,
} from './windows-kill.js';
