import {
  closeSync,
  type FSWatcher,
  lstatSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  unlinkSync,
  watch,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  getHostFacts,
  type IdentityVerdict,
  type ProcessIdentity,
  parseProcStat,
} from '@runwarden/process-identity';
import { readRegularFile } from '@runwarden/safe-fs';
import {
  type CompromiseReason,
  LockCompromisedError,
  LockCorruptError,
  LockError,
  LockHeldError,
} from './errors.js';
import { explain } from './explain.js';
import { failpoint } from './failpoint.js';
import {
  assertTokenInRange,
  closeFence,
  nextToken,
  type OpenFence,
  openFence,
  rereadFence,
  writeFence,
} from './fence.js';
import { filesystemOf } from './filesystem.js';
import {
  type ClaimRecord,
  claimRecordSchema,
  ownBootId,
  ownIdentity,
  ownPidNamespace,
  verifyHolder,
  verifyLegacyHolder,
} from './holder.js';
import { type JudgeFacts, type Judgement, judge, type LockContent } from './judge.js';
import {
  type CreatedFile,
  collectLeftovers,
  createExclusive,
  ensurePrivateDir,
  moveAside,
  putBack,
  type ReadLock,
  randomId,
  readLockFile,
  removeQuietly,
} from './lock-file.js';
import { type LegacyLockRecord, LOCK_SCHEMA_VERSION, type LockRecord } from './schema.js';

/** Options shared by {@link acquire}, {@link tryAcquire}, {@link inspect}, {@link breakLock} and {@link withLock}. */
export interface LockOptions {
  /**
   * What kind of runner holds the lock, recorded in the body.
   * @default 'runwarden'
   */
  runnerToken?: string;
  /**
   * The repository or directory the lock guards.
   * @default the lock file's directory
   */
  repoMarker?: string;
  /** The run that takes the lock; recorded so its orphans can be found by `RUNWARDEN_RUN_ID`. @default none */
  runId?: string;
  /**
   * Heartbeat age in ms after which a foreign host's lock may be taken over
   * (with `foreignHostTakeover`; the holder's own recorded window is used when
   * larger), and after which a late heartbeat compromises our own handle.
   * @default 30000
   */
  staleAfterMs?: number;
  /**
   * Heartbeat interval in ms; `0` turns the heartbeat off (and with it the
   * late-heartbeat check).
   * @default staleAfterMs / 3
   */
  heartbeatMs?: number;
  /**
   * How long an empty or cut-short lock file (and a temp file a crashed
   * creator left) is given, from its mtime, before it is judged abandoned, in ms.
   * @default 2000
   */
  incompleteGraceMs?: number;
  /**
   * Take over a lock held on another machine (or pid namespace) when its
   * heartbeat is older than `staleAfterMs`; never on a network filesystem.
   * @default false
   */
  foreignHostTakeover?: boolean;
  /**
   * Extra liveness: pids of processes still working for a dead holder (the
   * CLI passes the processes carrying the holder's run id). A dead holder with
   * live orphans still holds the lock (`orphaned-run`).
   * @default none
   */
  orphansOf?: (record: LockRecord) => number[];
  /**
   * Abort the handle's signal when a heartbeat comes later than `staleAfterMs`
   * (proper-lockfile's `onCompromised`), besides when the file is replaced or removed.
   * @default true
   */
  abortOnLateHeartbeat?: boolean;
  /** The holder identity to record. @default this process */
  holder?: ProcessIdentity;
  /** Injected clock, Unix ms. @default Date.now */
  now?: () => number;
  /**
   * Report what would happen without touching anything: {@link tryAcquire}
   * and {@link acquire} resolve to a {@link LockDryRun} (`would-take-over`, …),
   * {@link breakLock} to `action: 'none'` with `wouldDo`.
   * @default false
   */
  dryRun?: boolean;
}

/** Options for {@link acquire}. */
export interface AcquireOptions extends LockOptions {
  /**
   * How long to wait for a held lock, in ms; `0` fails at once with `LockHeldError`.
   * @default 0
   */
  waitMs?: number;
  /**
   * First retry delay in ms while waiting; doubles (with jitter) up to `maxRetryMs`,
   * like proper-lockfile's `retries`. A release or takeover wakes waiters at once
   * (inotify on the lock file), and a holder that dies is noticed within `pollMs`.
   * @default 25
   */
  retryMs?: number;
  /** Longest retry delay in ms. @default 1000 */
  maxRetryMs?: number;
  /**
   * While a live holder on this machine has the lock, how often its pid is
   * checked (one read of `/proc/<pid>/stat`), in ms.
   * @default 10
   */
  pollMs?: number;
  /** Stops waiting: the call rejects with the signal's reason. @default none */
  signal?: AbortSignal;
}

/** What {@link LockHandle.release} did. */
export interface ReleaseResult {
  /** True when this call removed the lock file. */
  released: boolean;
  /** `released`, or why nothing was removed: `already-released`, `missing`, `not-ours`. */
  reason: 'released' | 'already-released' | 'missing' | 'not-ours';
}

/** A held lock. */
export interface LockHandle {
  /** Absolute path of the lock file. */
  readonly path: string;
  /** One higher than any token issued before for this path; pass it with every write the lock guards. */
  readonly fencingToken: number;
  /** This acquisition's nonce. */
  readonly nonce: string;
  /** The body as last written. */
  readonly record: LockRecord;
  /** Aborted with a {@link LockCompromisedError} when the lock is lost; stop writing then. */
  readonly signal: AbortSignal;
  /** When the lock was taken over from a stale holder: why, and what it held. */
  readonly takeover: { reason: string; previous: LockContent } | undefined;
  /**
   * Writes a fresh `heartbeatAt` now (in place, into this holder's own file).
   * @throws {LockCompromisedError} when the lock is no longer ours or the heartbeat came too late.
   */
  refresh(): Promise<void>;
  /** Removes the lock file when it is still ours; a second call is a no-op that says so. */
  release(): Promise<ReleaseResult>;
}

/** The result of {@link inspect}. */
export interface LockInspection {
  /** `free` (no file), `held`, `stale` (the next acquire takes it over) or `corrupt`. */
  state: 'free' | 'held' | 'stale' | 'corrupt';
  /** Absolute path of the lock file. */
  path: string;
  /** Why: the judgement's reason, `no-lock-file`, or the corrupt detail. */
  reason: string;
  /** One sentence for people saying why, in every state (see `explain`). */
  explanation: string;
  /** The runwarden body, when it is one. */
  holder?: LockRecord;
  /** The LifeOS `runner_lock.py` body, when it is one. */
  legacyHolder?: LegacyLockRecord;
  /** The holder's identity verdict. */
  holderVerdict?: IdentityVerdict;
  /** Age in ms of the holder's newest heartbeat (body or file mtime). */
  heartbeatAgeMs?: number;
  /** Processes still carrying the holder's run id. */
  orphanPids?: number[];
  /** The lock directory's filesystem, when it mattered (foreign or LifeOS holders). */
  filesystem?: { kind: 'local' | 'network' | 'unknown'; fsType: string };
  /** The corrupt error, when `state` is `corrupt`. */
  error?: LockCorruptError;
}

/** What a dry run of {@link tryAcquire} or {@link acquire} found; nothing was touched. */
export interface LockDryRun {
  /** Always true: nothing was touched. */
  dryRun: true;
  /**
   * What the real call would do now: create a free lock, take over a stale
   * one, fail with `LockHeldError`, or fail with `LockCorruptError`.
   */
  outcome: 'would-acquire' | 'would-take-over' | 'would-be-held' | 'would-fail-corrupt';
  /** The judgement's reason (`holder-dead`, `holder-alive`, `takeover-in-progress`, …). */
  reason: string;
  /** The inspection it is based on. */
  inspection: LockInspection;
}

const DEFAULT_STALE_MS = 30_000;
const COLLECT_EVERY_MS = 30_000;

interface Resolved {
  path: string;
  staleAfterMs: number;
  heartbeatMs: number;
  incompleteGraceMs: number;
  now: () => number;
  /** Monotonic ms for intervals: the injected clock when given, else performance.now. */
  monotonic: () => number;
  options: LockOptions;
}

function resolveOptions(lockPath: string, options: LockOptions): Resolved {
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_MS;
  return {
    path: resolve(lockPath),
    staleAfterMs,
    heartbeatMs: options.heartbeatMs ?? Math.max(1, Math.floor(staleAfterMs / 3)),
    incompleteGraceMs: options.incompleteGraceMs ?? 2000,
    now: options.now ?? Date.now,
    monotonic: options.now ?? (() => performance.now()),
    options,
  };
}

function filesystemOfLock(path: string): { kind: 'local' | 'network' | 'unknown'; fsType: string } {
  let real = dirname(path);
  try {
    real = realpathSync(real);
  } catch {
    // not there yet: classify the path as given
  }
  return filesystemOf(real);
}

type Facts = JudgeFacts & {
  orphanPids: number[];
  filesystem?: { kind: 'local' | 'network' | 'unknown'; fsType: string };
};

function gatherFacts(content: LockContent, resolved: Resolved): Facts {
  let holder: IdentityVerdict | undefined;
  let orphanPids: number[] = [];
  if (content.kind === 'record') {
    holder = verifyHolder(content.record.holder, content.record.pidNamespace);
    if ((holder.status === 'dead' || holder.status === 'reused') && resolved.options.orphansOf) {
      orphanPids = resolved.options.orphansOf(content.record);
    }
  } else if (content.kind === 'legacy') {
    holder = verifyLegacyHolder(content.record);
  }
  const needsFilesystem =
    (content.kind === 'record' && holder?.status === 'foreign-host') ||
    (content.kind === 'legacy' && holder?.status !== 'alive');
  const filesystem = needsFilesystem ? filesystemOfLock(resolved.path) : undefined;
  const facts: Facts = {
    holder,
    orphanPids,
    networkFilesystem: filesystem ? filesystem.kind !== 'local' : false,
    foreignHostTakeover: resolved.options.foreignHostTakeover ?? false,
    staleAfterMs: resolved.staleAfterMs,
    incompleteGraceMs: resolved.incompleteGraceMs,
  };
  if (filesystem) facts.filesystem = filesystem;
  return facts;
}

function describeHolder(content: LockContent): string {
  if (content.kind === 'record') {
    const run = content.record.runId ? ` (run ${content.record.runId})` : '';
    return `pid ${content.record.holder.pid} on ${content.record.holder.hostname}${run}`;
  }
  if (content.kind === 'legacy')
    return `pid ${content.record.pid} (${content.record.runner_token})`;
  return 'a holder still writing the file';
}

function heldError(
  resolved: Resolved,
  content: LockContent,
  judgement: Judgement,
  orphanPids: number[],
): LockHeldError {
  const orphans =
    orphanPids.length > 0 ? `; its run's processes are still alive: ${orphanPids.join(', ')}` : '';
  return new LockHeldError({
    path: resolved.path,
    reason: judgement.reason,
    holder: content.kind === 'record' ? content.record : undefined,
    message: `Lock ${resolved.path} is held by ${describeHolder(content)} (${judgement.reason}${orphans}).`,
    hint:
      judgement.reason === 'orphaned-run'
        ? 'End the orphaned processes (runwarden kill --force) before starting another run.'
        : 'Wait for it to finish, or stop it with `runwarden kill`.',
  });
}

function takeoverBusy(path: string, reason: string, claimant?: ClaimRecord): LockHeldError {
  return new LockHeldError({
    path,
    reason: 'takeover-in-progress',
    message: `Lock ${path} is stale (${reason}) and another process is taking it over${claimant ? ` (pid ${claimant.pid})` : ''}.`,
    hint: 'Retry in a moment.',
  });
}

function buildRecord(
  resolved: Resolved,
  holder: ProcessIdentity,
  nonce: string,
  fencingToken: number,
): LockRecord {
  const nowIso = new Date(resolved.now()).toISOString();
  const record: LockRecord = {
    schemaVersion: LOCK_SCHEMA_VERSION,
    runnerToken: resolved.options.runnerToken ?? 'runwarden',
    repoMarker: resolved.options.repoMarker ?? dirname(resolved.path),
    holder,
    acquiredAt: nowIso,
    heartbeatAt: nowIso,
    nonce,
    fencingToken,
    staleAfterMs: resolved.staleAfterMs,
  };
  if (resolved.options.runId !== undefined) record.runId = resolved.options.runId;
  const pidNamespace = resolved.options.holder ? undefined : ownPidNamespace();
  if (pidNamespace !== undefined) record.pidNamespace = pidNamespace;
  return record;
}

/** Width the fencing token is padded to, so it can be corrected in place. */
const TOKEN_WIDTH = 16;

/**
 * The body as written: JSON, with the fencing token padded by spaces (valid
 * JSON whitespace) so every rewrite of a holder's own file (heartbeat, token
 * correction) keeps its length and is one pwrite(2) in place.
 */
function serialize(record: LockRecord): string {
  const text = JSON.stringify(record, null, 2).replace(
    /"fencingToken": (\d+)/,
    (_, digits: string) =>
      `"fencingToken": ${digits}${' '.repeat(Math.max(0, TOKEN_WIDTH - digits.length))}`,
  );
  return `${text}\n`;
}

function tokenOf(content: LockContent): number {
  return content.kind === 'record' ? content.record.fencingToken : 0;
}

type ClaimOutcome =
  | { won: true; claimPath: string }
  | { won: false; claimant?: ClaimRecord }
  | 'retry';

function claimPrefix(path: string, key: string): string {
  return `${basename(path)}.claim.${key}.`;
}

function highestClaim(path: string, key: string): number {
  const prefix = claimPrefix(path, key);
  let highest = 0;
  try {
    for (const name of readdirSync(dirname(path))) {
      if (!name.startsWith(prefix)) continue;
      const k = Number(name.slice(prefix.length));
      if (Number.isSafeInteger(k) && k > highest) highest = k;
    }
  } catch {
    // unreadable directory: start at 1
  }
  return highest;
}

type ClaimantState = { busy: false } | { busy: true; claimant?: ClaimRecord } | 'gone';

function claimantState(claimPath: string, resolved: Resolved): ClaimantState {
  let raw = '';
  let mtimeMs: number;
  try {
    // A claim is a few hundred bytes; a FIFO or a huge file put there by hand is garbage.
    const file = readRegularFile(claimPath, { maxBytes: 4096 });
    if (!file) return 'gone';
    raw = file.bytes.toString('utf8');
    mtimeMs = file.stat.mtimeMs;
  } catch {
    try {
      mtimeMs = lstatSync(claimPath).mtimeMs;
    } catch {
      return 'gone';
    }
  }
  const ageMs = resolved.now() - mtimeMs;
  let claimant: ClaimRecord | undefined;
  try {
    const parsed = claimRecordSchema.safeParse(JSON.parse(raw));
    if (parsed.success) claimant = parsed.data;
  } catch {
    // not JSON
  }
  // Claims are created whole (link), so garbage was put there by hand: give it the grace.
  if (!claimant) return ageMs > resolved.incompleteGraceMs ? { busy: false } : { busy: true };
  const verdict = verifyHolder(claimant, claimant.pidNamespace);
  if (verdict.status === 'dead' || verdict.status === 'reused') return { busy: false };
  // A claimant we cannot probe (another machine or namespace) is abandoned once its
  // claim is older than the stale window: a claim lives for milliseconds.
  if (verdict.status === 'foreign-host' && ageMs > resolved.staleAfterMs) return { busy: false };
  return { busy: true, claimant };
}

/**
 * Wins the right to replace generation `key` of the lock, or learns that a
 * live contender has it. Claim `k` is created exclusively; claim `k + 1` may be
 * created only when claim `k`'s owner is proven dead, so at most one live
 * process ever holds a claim for a generation. The chain is entered at its
 * highest link, so dead claimants never pile up into a wedge.
 */
function claimGeneration(resolved: Resolved, key: string, me: ClaimRecord): ClaimOutcome {
  const { path } = resolved;
  const prefix = join(dirname(path), claimPrefix(path, key));
  const body = `${JSON.stringify(me)}\n`;
  let k = Math.max(1, highestClaim(path, key));
  for (;;) {
    const claimPath = `${prefix}${k}`;
    const created = createExclusive(claimPath, body, path, false);
    if (created === 'retry') return 'retry';
    if (created) return { won: true, claimPath };
    const state = claimantState(claimPath, resolved);
    if (state === 'gone') return 'retry';
    if (state.busy)
      return state.claimant ? { won: false, claimant: state.claimant } : { won: false };
    k++;
  }
}

/** Read-only: is a live contender taking generation `key` over right now? */
function takeoverInProgress(resolved: Resolved, key: string): boolean {
  const highest = highestClaim(resolved.path, key);
  if (highest === 0) return false;
  const state = claimantState(
    join(dirname(resolved.path), `${claimPrefix(resolved.path, key)}${highest}`),
    resolved,
  );
  return state !== 'gone' && state.busy;
}

class Handle implements LockHandle {
  readonly path: string;
  fencingToken: number;
  readonly nonce: string;
  record: LockRecord;
  readonly takeover: { reason: string; previous: LockContent } | undefined;
  private readonly controller = new AbortController();
  private readonly fd: number;
  private readonly ino: number;
  private readonly dev: number;
  private timer: NodeJS.Timeout | undefined;
  private released = false;
  private closed = false;
  private lastBeat: number;

  constructor(
    private readonly resolved: Resolved,
    record: LockRecord,
    file: CreatedFile,
    takeover: { reason: string; previous: LockContent } | undefined,
  ) {
    this.path = resolved.path;
    this.record = record;
    this.nonce = record.nonce;
    this.fencingToken = record.fencingToken;
    this.takeover = takeover;
    this.fd = file.fd;
    this.ino = file.ino;
    this.dev = file.dev;
    this.lastBeat = resolved.monotonic();
  }

  start(): void {
    this.lastBeat = this.resolved.monotonic();
    if (this.resolved.heartbeatMs > 0) {
      this.timer = setInterval(() => this.beat(), this.resolved.heartbeatMs);
      this.timer.unref();
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private compromise(reason: CompromiseReason, message: string, cause?: unknown): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.controller.signal.aborted) {
      this.controller.abort(
        new LockCompromisedError({
          path: this.path,
          message,
          reason,
          cause,
          hint: 'Stop writing what the lock guards; release the handle.',
        }),
      );
    }
  }

  /** Is the lock path still our inode? */
  private stillOurs(): 'ours' | 'removed' | 'replaced' {
    try {
      const stat = lstatSync(this.path);
      return stat.ino === this.ino && stat.dev === this.dev ? 'ours' : 'replaced';
    } catch {
      return 'removed';
    }
  }

  private beat(): void {
    try {
      this.writeHeartbeat();
    } catch {
      // compromise() has aborted the signal
    }
  }

  private writeHeartbeat(): void {
    if (this.released) return;
    if (this.signal.aborted) throw this.signal.reason;
    const where = this.stillOurs();
    if (where !== 'ours') {
      let by = '';
      if (where === 'replaced') {
        try {
          const current = readLockFile(this.path);
          if (current) by = ` by ${describeHolder(current.content)}`;
        } catch {
          // unreadable: say replaced
        }
      }
      this.compromise(
        where,
        where === 'removed'
          ? `Lock ${this.path} was removed.`
          : `Lock ${this.path} was replaced${by}.`,
      );
      throw this.signal.reason;
    }
    const elapsed = this.resolved.monotonic() - this.lastBeat;
    if (
      this.resolved.heartbeatMs > 0 &&
      (this.resolved.options.abortOnLateHeartbeat ?? true) &&
      elapsed > this.resolved.staleAfterMs
    ) {
      this.compromise(
        'late-heartbeat',
        `Heartbeat of ${this.path} came ${Math.round(elapsed)} ms after the last (stale window ${this.resolved.staleAfterMs} ms).`,
      );
      throw this.signal.reason;
    }
    failpoint('before-heartbeat-write');
    try {
      this.rewrite({ ...this.record, heartbeatAt: new Date(this.resolved.now()).toISOString() });
    } catch (error) {
      this.compromise(
        'heartbeat-failed',
        `Heartbeat of ${this.path} failed: ${(error as Error).message}`,
        error,
      );
      throw this.signal.reason;
    }
    this.lastBeat = this.resolved.monotonic();
  }

  /** Writes the body into our own inode, in place: never touches whatever the path names now. */
  rewrite(record: LockRecord): void {
    const body = serialize(record);
    if (Buffer.byteLength(body) !== Buffer.byteLength(serialize(this.record))) {
      throw new Error('the lock body changed length');
    }
    writeSync(this.fd, body, 0);
    this.record = record;
    this.fencingToken = record.fencingToken;
  }

  async refresh(): Promise<void> {
    this.writeHeartbeat();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  releaseSync(): ReleaseResult {
    if (this.released) return { released: false, reason: 'already-released' };
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    try {
      const where = this.stillOurs();
      if (where === 'removed') return { released: false, reason: 'missing' };
      if (where === 'replaced') return { released: false, reason: 'not-ours' };
      // Move it to a name only we use, then check the inode we moved: if a
      // takeover slipped in between, what we moved is put back (link(2)
      // never overwrites), so a release never deletes another holder's lock.
      const aside = moveAside(this.path, this.path);
      if (!aside) return { released: false, reason: 'missing' };
      let moved: { ino: number; dev: number } | undefined;
      try {
        moved = lstatSync(aside);
      } catch {
        return { released: true, reason: 'released' };
      }
      if (moved.ino !== this.ino || moved.dev !== this.dev) {
        putBack(aside, this.path);
        return { released: false, reason: 'not-ours' };
      }
      removeQuietly(aside);
      return { released: true, reason: 'released' };
    } finally {
      this.close();
    }
  }

  async release(): Promise<ReleaseResult> {
    return this.releaseSync();
  }
}

type Attempt =
  | { handle: Handle }
  | {
      held: LockHeldError;
      /** True when the reason it is held may have gone (a cheap check to poll). */
      probe?: () => boolean;
      /** Unix ms when the judgement changes by itself (an incomplete file's grace ends). */
      changesAtMs?: number;
    }
  | { retry: true };

function finalize(
  resolved: Resolved,
  record: LockRecord,
  file: CreatedFile,
  guess: OpenFence,
  staleToken: number,
  takeover: { reason: string; previous: LockContent } | undefined,
): Handle {
  const handle = new Handle(resolved, record, file, takeover);
  let fence: OpenFence = guess;
  try {
    // While we hold the lock only we write the fence, so this read is exact.
    fence = rereadFence(resolved.path, guess);
    const bootId = ownBootId();
    const token = nextToken(fence.state, bootId, staleToken);
    if (token !== record.fencingToken) handle.rewrite({ ...handle.record, fencingToken: token });
    writeFence(resolved.path, fence, token, bootId);
  } catch (error) {
    closeFence(fence);
    handle.releaseSync();
    throw error;
  }
  handle.start();
  return handle;
}

/**
 * A cheap check that the holder in `content` may be gone: one read of its
 * /proc stat line (pid, start ticks, zombie). Only for a holder of this boot,
 * machine and pid namespace; others get no probe (their waiters back off).
 */
function livenessProbe(content: LockContent): (() => boolean) | undefined {
  if (content.kind === 'record') {
    const { holder, pidNamespace } = content.record;
    const host = getHostFacts();
    const mine = ownPidNamespace();
    if (holder.machineId !== host.machineId || holder.bootId !== host.bootId) return undefined;
    if (pidNamespace !== undefined && mine !== undefined && pidNamespace !== mine) return undefined;
    const { pid, startTicks } = holder;
    return () => {
      let stat: ReturnType<typeof parseProcStat>;
      try {
        stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return true;
      }
      return !stat || stat.state === 'Z' || stat.state === 'X' || stat.startTicks !== startTicks;
    };
  }
  if (content.kind === 'legacy') {
    const record = content.record;
    return () => verifyLegacyHolder(record).status !== 'alive';
  }
  return undefined;
}

function probeFor(content: LockContent, judgement: Judgement): (() => boolean) | undefined {
  return judgement.reason === 'holder-alive' ? livenessProbe(content) : undefined;
}

function heldAttempt(resolved: Resolved, current: ReadLock, judgement: Judgement, facts: Facts) {
  const attempt: Attempt = {
    held: heldError(resolved, current.content, judgement, facts.orphanPids),
  };
  const probe = probeFor(current.content, judgement);
  if (probe) attempt.probe = probe;
  if (current.content.kind === 'incomplete') {
    attempt.changesAtMs = current.content.mtimeMs + resolved.incompleteGraceMs + 1;
  }
  return attempt;
}

function createLock(
  resolved: Resolved,
  holder: ProcessIdentity,
  staleToken: number,
  takeover: { reason: string; previous: LockContent } | undefined,
): Attempt | 'exists' {
  const guess = openFence(resolved.path, false);
  const token = nextToken(guess.state, ownBootId(), staleToken);
  try {
    assertTokenInRange(resolved.path, token);
  } catch (error) {
    closeFence(guess);
    throw error;
  }
  const record = buildRecord(resolved, holder, randomId(), token);
  let created: ReturnType<typeof createExclusive>;
  try {
    created = createExclusive(resolved.path, serialize(record), resolved.path, true);
  } catch (error) {
    closeFence(guess);
    throw error;
  }
  if (created === 'retry') {
    closeFence(guess);
    return { retry: true };
  }
  if (typeof created === 'object') {
    return { handle: finalize(resolved, record, created, guess, staleToken, takeover) };
  }
  closeFence(guess);
  return 'exists';
}

function takeOver(
  resolved: Resolved,
  holder: ProcessIdentity,
  current: ReadLock,
  judgement: Judgement,
): Attempt {
  const { path } = resolved;
  const me: ClaimRecord = { ...holder };
  const pidNamespace = ownPidNamespace();
  if (pidNamespace !== undefined) me.pidNamespace = pidNamespace;
  const claim = claimGeneration(resolved, current.key, me);
  if (claim === 'retry') return { retry: true };
  if (!claim.won) return { held: takeoverBusy(path, judgement.reason, claim.claimant) };
  failpoint('after-claim');
  try {
    // We are the one live claimant of generation K: nobody else moves it.
    const again = readLockFile(path);
    if (!again || again.key !== current.key) return { retry: true };
    const staleToken = tokenOf(current.content);
    // The stale token must outlive the stale file: raise the fence first, so
    // whoever creates the next lock (us or a plain acquirer) issues a higher one.
    const fence = openFence(path, true);
    const bootId = ownBootId();
    const floor = nextToken(fence.state, bootId, staleToken) - 1;
    if (!fence.state || floor > fence.state.fencingToken || fence.state.bootId !== bootId) {
      writeFence(path, fence, floor, bootId);
    } else {
      closeFence(fence);
    }
    const aside = moveAside(path, path);
    if (!aside) return { retry: true };
    let moved: ReadLock | null = null;
    try {
      moved = readLockFile(aside);
    } catch {
      moved = null;
    }
    if (!moved || moved.key !== current.key) {
      // Not generation K (it was released and a fresh lock appeared): put it back.
      putBack(aside, path);
      return { retry: true };
    }
    if (judgement.reason === 'foreign-heartbeat-expired') {
      // A foreign holder that beat meanwhile keeps its lock.
      const facts = gatherFacts(moved.content, resolved);
      const again2 = judge(moved.content, facts, resolved.now());
      if (again2.state === 'held') {
        putBack(aside, path);
        return heldAttempt(resolved, moved, again2, facts);
      }
    }
    removeQuietly(aside);
    const created = createLock(resolved, holder, staleToken, {
      reason: judgement.reason,
      previous: current.content,
    });
    // 'exists': a plain acquirer created the lock in the gap, fairly; judge it next round.
    return created === 'exists' ? { retry: true } : created;
  } finally {
    removeQuietly(claim.claimPath);
    collectLeftovers(path, { nowMs: resolved.now(), ageMs: resolved.incompleteGraceMs });
  }
}

const lastCollected = new Map<string, number>();

function collectNowAndThen(resolved: Resolved): void {
  const now = performance.now();
  const last = lastCollected.get(resolved.path);
  if (last !== undefined && now - last < COLLECT_EVERY_MS) return;
  lastCollected.set(resolved.path, now);
  collectLeftovers(resolved.path, { nowMs: resolved.now(), ageMs: resolved.incompleteGraceMs });
}

function attemptOnce(resolved: Resolved, holder: ProcessIdentity, readFirst: boolean): Attempt {
  let ioFailure: unknown;
  // A waiter that found the lock held looks before it writes a body it may not need.
  let current = readFirst ? readLockFile(resolved.path) : null;
  if (!current) {
    try {
      const created = createLock(resolved, holder, 0, undefined);
      if (created !== 'exists') return created;
    } catch (error) {
      // Cannot create (read-only directory, disk full): a live holder is the better answer.
      if (!LockError.isInstance(error) || (error as LockError).code !== 'ERR_LOCK_IO') throw error;
      ioFailure = error;
    }
    current = readLockFile(resolved.path);
  }
  if (!current) {
    if (ioFailure) throw ioFailure;
    return { retry: true };
  }
  const facts = gatherFacts(current.content, resolved);
  const judgement = judge(current.content, facts, resolved.now());
  if (judgement.state === 'held') return heldAttempt(resolved, current, judgement, facts);
  if (ioFailure) throw ioFailure;
  return takeOver(resolved, holder, current, judgement);
}

function prepare(
  path: string,
  options: LockOptions,
): { resolved: Resolved; holder: ProcessIdentity } {
  const resolved = resolveOptions(path, options);
  ensurePrivateDir(dirname(resolved.path), resolved.path);
  return { resolved, holder: options.holder ?? ownIdentity() };
}

function tryOnce(resolved: Resolved, holder: ProcessIdentity, readFirst = false): Attempt {
  collectNowAndThen(resolved);
  for (let spin = 0; spin < 32; spin++) {
    const result = attemptOnce(resolved, holder, readFirst && spin === 0);
    if (!('retry' in result)) return result;
  }
  return {
    held: new LockHeldError({
      path: resolved.path,
      reason: 'contended',
      message: `Lock ${resolved.path} changed hands too often to take.`,
      hint: 'Retry.',
    }),
  };
}

function dryRunOf(path: string, options: LockOptions): LockDryRun {
  const resolved = resolveOptions(path, options);
  const inspection = inspectResolved(resolved);
  let outcome: LockDryRun['outcome'];
  let reason = inspection.reason;
  switch (inspection.state) {
    case 'free':
      outcome = 'would-acquire';
      break;
    case 'corrupt':
      outcome = 'would-fail-corrupt';
      break;
    case 'held':
      outcome = 'would-be-held';
      break;
    default: {
      const current = readLockFile(resolved.path);
      if (current && takeoverInProgress(resolved, current.key)) {
        outcome = 'would-be-held';
        reason = 'takeover-in-progress';
      } else {
        outcome = 'would-take-over';
      }
    }
  }
  return { dryRun: true, outcome, reason, inspection };
}

/**
 * Takes the lock at once or throws: creates `path` exclusively, or takes over a
 * lock whose holder is proven gone (see {@link judge}). Never waits. With
 * `dryRun: true` it touches nothing and resolves to a {@link LockDryRun}.
 *
 * @param path - the lock file, e.g. `.runtime/RUN.lock`; its directory is created with mode 0700.
 * @param options - see {@link LockOptions}.
 * @returns a {@link LockHandle} with the fencing token and an AbortSignal.
 * @throws {LockHeldError} when a live (or unprovably dead) holder has it.
 * @throws {LockCorruptError} when the lock or its fence holds garbage; it is left untouched.
 * @throws {LockError} `ERR_LOCK_UNSAFE_PATH` when the path or its directory is a symlink,
 *   `ERR_LOCK_IO` when the directory cannot be written (EACCES, EROFS, ENOSPC, …).
 */
export function tryAcquire(
  path: string,
  options: LockOptions & { dryRun: true },
): Promise<LockDryRun>;
export function tryAcquire(path: string, options?: LockOptions): Promise<LockHandle>;
export async function tryAcquire(
  path: string,
  options: LockOptions = {},
): Promise<LockHandle | LockDryRun> {
  if (options.dryRun) return dryRunOf(path, options);
  const { resolved, holder } = prepare(path, options);
  const result = tryOnce(resolved, holder);
  if ('handle' in result) return result.handle;
  if ('held' in result) throw result.held;
  throw new Error('unreachable');
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Watches the lock file itself (inotify on its inode): `rename` comes when it
 * is moved or removed, the only change a waiter cares about. Temp files,
 * claims, the fence and heartbeats wake nobody.
 */
class LockWatch {
  private watcher: FSWatcher | undefined;
  private listener: (() => void) | undefined;
  /** False when the file was already gone (or inotify is unavailable: polling alone still works). */
  readonly watching: boolean;

  constructor(path: string) {
    try {
      this.watcher = watch(path, { persistent: false }, (event) => {
        if (event === 'rename') this.listener?.();
      });
      this.watcher.on('error', () => this.close());
    } catch {
      this.watcher = undefined;
    }
    this.watching = this.watcher !== undefined;
  }

  on(listener: () => void): void {
    this.listener = listener;
  }

  off(): void {
    this.listener = undefined;
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}

type Wake = 'timer' | 'probe' | 'released' | 'aborted';

function waitForChange(options: {
  delayMs: number;
  probe: (() => boolean) | undefined;
  pollMs: number;
  watch: LockWatch | undefined;
  signal: AbortSignal | undefined;
}): Promise<Wake> {
  return new Promise((resolveWait) => {
    let finished = false;
    const finish = (why: Wake) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (poller) clearInterval(poller);
      options.watch?.off();
      options.signal?.removeEventListener('abort', onAbort);
      resolveWait(why);
    };
    const onRelease = () => finish('released');
    const onAbort = () => finish('aborted');
    const timer = setTimeout(() => finish('timer'), Math.max(0, options.delayMs));
    const probe = options.probe;
    const poller = probe
      ? setInterval(() => {
          if (probe()) finish('probe');
        }, options.pollMs)
      : undefined;
    options.watch?.on(onRelease);
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Takes the lock, waiting up to `waitMs` for it: retries with exponential
 * backoff and jitter from `retryMs` to `maxRetryMs` (like proper-lockfile's
 * `retries`), wakes at once when the lock file is moved or removed (inotify on
 * the file), and checks a live holder's pid every `pollMs`, so a holder that
 * dies is replaced within about `pollMs`. With `dryRun: true` it touches
 * nothing and resolves to a {@link LockDryRun}.
 *
 * @param path - the lock file.
 * @param options - see {@link AcquireOptions}.
 * @returns a {@link LockHandle}.
 * @throws {LockHeldError} when still held after `waitMs`.
 * @throws {LockCorruptError} when the file holds garbage (never waited on).
 * @throws {LockError} `ERR_LOCK_UNSAFE_PATH` or `ERR_LOCK_IO`, as {@link tryAcquire}.
 * @throws the reason of `options.signal` when it aborts.
 */
export function acquire(
  path: string,
  options: AcquireOptions & { dryRun: true },
): Promise<LockDryRun>;
export function acquire(path: string, options?: AcquireOptions): Promise<LockHandle>;
export async function acquire(
  path: string,
  options: AcquireOptions = {},
): Promise<LockHandle | LockDryRun> {
  if (options.dryRun) return dryRunOf(path, options);
  const { resolved, holder } = prepare(path, options);
  const started = performance.now();
  const waitMs = options.waitMs ?? 0;
  const maxRetryMs = Math.max(1, options.maxRetryMs ?? 1000);
  const pollMs = Math.max(1, options.pollMs ?? 10);
  let delay = Math.max(1, options.retryMs ?? 25);
  let waited = false;
  for (;;) {
    options.signal?.throwIfAborted();
    const result = tryOnce(resolved, holder, waited);
    if ('handle' in result) return result.handle;
    if (!('held' in result)) continue;
    const remaining = started + waitMs - performance.now();
    if (remaining <= 0) throw result.held;
    let sleep = Math.min(delay * (0.5 + Math.random() / 2), remaining);
    if (result.changesAtMs !== undefined) {
      sleep = Math.min(sleep, Math.max(1, result.changesAtMs - resolved.now()));
    }
    const wakeBy = performance.now() + sleep;
    let probe = result.probe;
    for (;;) {
      const watcher = new LockWatch(resolved.path);
      let why: Wake;
      try {
        // Gone before the watch was set: try again at once.
        if (!watcher.watching && !exists(resolved.path)) break;
        why = await waitForChange({
          delayMs: wakeBy - performance.now(),
          probe,
          pollMs,
          watch: watcher,
          signal: options.signal,
        });
      } finally {
        watcher.close();
      }
      if (why !== 'released') break;
      // Every waiter is woken: spread them by up to 2 ms. One that finds the
      // lock taken again reads who has it (no judging, no temp file), watches
      // the new file and sleeps on; only a lock still gone is worth an attempt.
      await new Promise((resolveJitter) => setTimeout(resolveJitter, Math.random() * 2));
      let current: ReadLock | null;
      try {
        current = readLockFile(resolved.path);
      } catch {
        break;
      }
      if (!current || performance.now() >= wakeBy) break;
      probe = livenessProbe(current.content);
    }
    waited = true;
    delay = Math.min(delay * 2, maxRetryMs);
  }
}

/**
 * Runs `fn` while holding the lock and releases it afterwards, also on error.
 *
 * @param path - the lock file.
 * @param fn - the critical section; it gets the handle (pass `handle.fencingToken`
 *   with guarded writes, stop when `handle.signal` aborts).
 * @param options - see {@link AcquireOptions}.
 * @returns what `fn` returns.
 * @throws whatever {@link acquire} or `fn` throws.
 */
export async function withLock<T>(
  path: string,
  fn: (handle: LockHandle) => Promise<T> | T,
  options: AcquireOptions = {},
): Promise<T> {
  const handle = await acquire(path, { ...options, dryRun: false });
  try {
    return await fn(handle);
  } finally {
    await handle.release();
  }
}

function inspectResolved(resolved: Resolved): LockInspection {
  const context = {
    staleAfterMs: resolved.staleAfterMs,
    incompleteGraceMs: resolved.incompleteGraceMs,
  };
  let current: ReadLock | null;
  try {
    current = readLockFile(resolved.path);
  } catch (error) {
    if (LockCorruptError.isInstance(error)) {
      return {
        state: 'corrupt',
        path: resolved.path,
        reason: error.message,
        explanation: error.message,
        error,
      };
    }
    throw error;
  }
  if (!current) {
    return {
      state: 'free',
      path: resolved.path,
      reason: 'no-lock-file',
      explanation: explain({ state: 'free', reason: 'no-lock-file', ...context }),
    };
  }
  const facts = gatherFacts(current.content, resolved);
  const judgement = judge(current.content, facts, resolved.now());
  const result: LockInspection = {
    state: judgement.state,
    path: resolved.path,
    reason: judgement.reason,
    explanation: '',
  };
  if (current.content.kind === 'record') result.holder = current.content.record;
  if (current.content.kind === 'legacy') result.legacyHolder = current.content.record;
  if (facts.holder) result.holderVerdict = facts.holder;
  if (judgement.heartbeatAgeMs !== undefined) result.heartbeatAgeMs = judgement.heartbeatAgeMs;
  if (facts.orphanPids.length > 0) result.orphanPids = facts.orphanPids;
  if (facts.filesystem) result.filesystem = facts.filesystem;
  result.explanation = explain({ ...result, ...context });
  return result;
}

/**
 * Reports the lock's state without touching it: `free`, `held` (with why, in
 * `reason` and in a sentence in `explanation`, whenever the reason is not a
 * live holder), `stale` (a takeover would happen), or `corrupt`.
 *
 * @param path - the lock file.
 * @param options - `orphansOf`, `staleAfterMs`, `foreignHostTakeover`, `incompleteGraceMs`, `now`.
 * @returns the inspection.
 * @throws {LockError} `ERR_LOCK_UNSAFE_PATH` when the path is a symlink.
 */
export function inspect(path: string, options: LockOptions = {}): LockInspection {
  return inspectResolved(resolveOptions(path, options));
}

/** What {@link breakLock} did. */
export interface BreakLockResult {
  /** What was done. */
  action: 'none' | 'removed-stale' | 'moved-corrupt';
  /** Where a corrupt file was moved, so nothing is lost. */
  movedTo?: string;
  /** Why: the judgement's reason, `corrupt`, `no-lock-file`, `changed`, `takeover-in-progress` or `dry-run`. */
  reason: string;
  /** With `dryRun`: what a real call would have done. */
  wouldDo?: 'removed-stale' | 'moved-corrupt' | 'none';
}

/**
 * Clears a lock that no live holder has: a stale lock is removed (through the
 * same claim as a takeover, so exactly one breaker acts, and its fencing token
 * is kept in the fence), a corrupt one is moved aside to
 * `<path>.corrupt-<time>` (never deleted). A held lock is left alone.
 *
 * @param path - the lock file.
 * @param options - as {@link inspect}; `dryRun` reports `wouldDo` and touches nothing.
 * @returns what was done.
 * @throws {LockHeldError} when a live holder (or live orphans) still has it.
 */
export async function breakLock(path: string, options: LockOptions = {}): Promise<BreakLockResult> {
  const resolved = resolveOptions(path, options);
  let current: ReadLock | null;
  try {
    current = readLockFile(resolved.path);
  } catch (error) {
    if (LockCorruptError.isInstance(error)) {
      if (options.dryRun) return { action: 'none', reason: 'dry-run', wouldDo: 'moved-corrupt' };
      const movedTo = `${resolved.path}.corrupt-${new Date(resolved.now()).toISOString().replace(/[:.]/g, '-')}`;
      try {
        renameSync(resolved.path, movedTo);
      } catch (renameError) {
        if ((renameError as NodeJS.ErrnoException).code === 'ENOENT')
          return { action: 'none', reason: 'changed' };
        throw renameError;
      }
      // What we moved must be the garbage we read: a valid lock goes back.
      let valid = false;
      try {
        valid = readLockFile(movedTo) !== null;
      } catch {
        valid = false;
      }
      if (valid) {
        putBack(movedTo, resolved.path);
        return { action: 'none', reason: 'changed' };
      }
      return { action: 'moved-corrupt', movedTo, reason: 'corrupt' };
    }
    throw error;
  }
  if (!current) return { action: 'none', reason: 'no-lock-file', wouldDo: 'none' };
  const facts = gatherFacts(current.content, resolved);
  const judgement = judge(current.content, facts, resolved.now());
  if (judgement.state === 'held')
    throw heldError(resolved, current.content, judgement, facts.orphanPids);
  if (options.dryRun) return { action: 'none', reason: 'dry-run', wouldDo: 'removed-stale' };
  const holder = options.holder ?? ownIdentity();
  const me: ClaimRecord = { ...holder };
  const pidNamespace = ownPidNamespace();
  if (pidNamespace !== undefined) me.pidNamespace = pidNamespace;
  const claim = claimGeneration(resolved, current.key, me);
  if (claim === 'retry') return { action: 'none', reason: 'changed' };
  if (!claim.won) return { action: 'none', reason: 'takeover-in-progress' };
  try {
    const again = readLockFile(resolved.path);
    if (!again || again.key !== current.key) return { action: 'none', reason: 'changed' };
    const fence = openFence(resolved.path, true);
    const bootId = ownBootId();
    const floor = nextToken(fence.state, bootId, tokenOf(current.content)) - 1;
    if (!fence.state || floor > fence.state.fencingToken || fence.state.bootId !== bootId) {
      writeFence(resolved.path, fence, floor, bootId);
    } else {
      closeFence(fence);
    }
    const aside = moveAside(resolved.path, resolved.path);
    if (!aside) return { action: 'none', reason: 'changed' };
    let moved: ReadLock | null = null;
    try {
      moved = readLockFile(aside);
    } catch {
      moved = null;
    }
    if (!moved || moved.key !== current.key) {
      putBack(aside, resolved.path);
      return { action: 'none', reason: 'changed' };
    }
    unlinkSync(aside);
    return { action: 'removed-stale', reason: judgement.reason };
  } finally {
    removeQuietly(claim.claimPath);
    collectLeftovers(resolved.path, { nowMs: resolved.now(), ageMs: resolved.incompleteGraceMs });
  }
}
