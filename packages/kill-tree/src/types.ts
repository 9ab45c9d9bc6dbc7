import type { KillReason, SurvivorReason } from './outcome.js';
import type { KillLink } from './tree-links.js';

/** Options for {@link killTree}. */
export interface KillTreeOptions {
  /**
   * The graceful signal, sent to every member of the tree at once. On Windows
   * the graceful round is `taskkill /T` without `/F` whatever this says.
   * @default KILL_TREE_DEFAULTS.signal ('SIGTERM')
   */
  signal?: NodeJS.Signals;
  /**
   * How long the tree may take to exit after the graceful signal, in ms.
   * @default KILL_TREE_DEFAULTS.graceMs (5000)
   */
  graceMs?: number;
  /**
   * The forced signal for whatever is left after `graceMs` (`taskkill /F` on Windows).
   * @default KILL_TREE_DEFAULTS.forceSignal ('SIGKILL')
   */
  forceSignal?: NodeJS.Signals;
  /**
   * How long to wait for the forced signal to take effect before reporting
   * survivors, in ms.
   * @default KILL_TREE_DEFAULTS.forceWaitMs (2000)
   */
  forceWaitMs?: number;
  /**
   * The longest wait between two reads of the process table while waiting, in
   * ms; the first reads come sooner (5 ms, doubling), so a tree that obeys at
   * once is reported at once. On Windows at least 250 ms (each read starts
   * PowerShell).
   * @default KILL_TREE_DEFAULTS.pollMs (50)
   */
  pollMs?: number;
  /**
   * The run token: every process whose environment carries
   * `RUNWARDEN_RUN_ID=<token>` belongs to the tree, even after `setsid` or a
   * double fork (Linux: read from `/proc/<pid>/environ`).
   * @default the identity's `token` when it came from the environment
   */
  token?: string;
  /**
   * Stop the tree (SIGSTOP) before it is signalled, rescan until nothing new
   * appears, signal, then continue it (SIGCONT), so a fork loop cannot outrun
   * the kill. Not on Windows.
   * @default KILL_TREE_DEFAULTS.freeze (true)
   */
  freeze?: boolean;
  /**
   * Process groups that belong to the tree even after their leader is gone
   * (e.g. the group of a child started with `detached: true`). Give the
   * leader's start ticks so a group id reused by a stranger after the group
   * emptied is never swept. Not on Windows.
   * @default []
   */
  processGroups?: Array<number | { pgid: number; leaderStartTicks: number }>;
  /**
   * Sessions that belong to the tree even after their leader is gone (a child
   * started with `detached: true` leads its own session, setsid(2)); a member
   * that left the group with setpgid(2) but stayed in the session is still
   * found. Give the leader's start ticks, as for `processGroups`. Not on
   * Windows or macOS (where `ps` reports no session id).
   * @default []
   */
  sessions?: Array<number | { sid: number; leaderStartTicks: number }>;
}

/** A tree known only by its run token: every process carrying `RUNWARDEN_RUN_ID=<token>`, and their descendants (Linux). */
export interface TokenTarget {
  token: string;
}

/** How the tree was found and ended: `/proc` scans (Linux), `ps` scans (macOS), or `taskkill` (Windows). */
export type KillMechanism = 'proc-snapshot' | 'ps-snapshot' | 'taskkill';

/** What happened to one process of the tree. */
export interface KillProcessReport {
  pid: number;
  /** Executable name when it was first seen (the kernel's `comm`: Node.js 24 names its main thread `MainThread`). */
  comm: string;
  /** Its command line when it was first seen, for people; absent when it read empty. */
  command?: string;
  /** What happened to it; see {@link KillReason}. */
  reason: KillReason;
  /** How it was tied to the tree when first seen. */
  via: KillLink;
  /** Signals sent to it, in order (`SIGSTOP`, `SIGTERM`, `SIGCONT`, `SIGKILL`; `taskkill`, `taskkill /F`). */
  signals: string[];
  /** Kernel state when it is still there (`D`: stuck in the kernel). */
  state?: string;
}

/** A process of the tree that is still there after the kill, and why. */
export interface KillSurvivor {
  pid: number;
  /** `unkillable` (survived the forced signal), `escaped`, `unknown` or `eperm`; see {@link KillReason}. */
  reason: SurvivorReason;
  state?: string;
  comm?: string;
}

/** What {@link killTree} did. Shares its flags with a run result (`ok`, `durationMs`). */
export interface KillTreeResult {
  /** True when nothing of the tree is left alive. */
  ok: boolean;
  /** How the tree was found and ended. */
  mechanism: KillMechanism;
  /** Root pid, or `null` when the root was already gone and only its marked orphans were swept. */
  rootPid: number | null;
  /** Pids of the tree that are gone now (`exited`, `killed`, `zombie`, or `reused` by another process), ascending. */
  killed: number[];
  /** Processes of the tree that are still alive. */
  survivors: KillSurvivor[];
  /** Every process the kill found, with what happened to it. */
  processes: KillProcessReport[];
  /** True when the forced signal had to be sent. */
  escalated: boolean;
  /** Wall time of the whole kill, in ms. */
  durationMs: number;
  /** Wall time of each phase, in ms: finding and freezing the tree, the grace period, the forced round. */
  phases: { snapshotMs: number; graceMs: number; forceMs: number };
}
