import { readdirSync, readFileSync, realpathSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  captureIdentity,
  getProcessInfoSync,
  type IdentityVerdict,
  type ProcessIdentity,
  processIdentitySchema,
  verifyIdentity,
} from '@runwarden/process-identity';
import writeFileAtomic from 'write-file-atomic';
import { LockCompromisedError, LockCorruptError, type LockError, LockHeldError } from './errors.js';
import { filesystemOf } from './filesystem.js';
import { type JudgeFacts, type Judgement, judge, type LockContent } from './judge.js';
import {
  createExclusive,
  ensurePrivateDir,
  type ReadLock,
  randomId,
  readLockFile,
  replaceFile,
} from './lock-file.js';
import { type LegacyLockRecord, LOCK_SCHEMA_VERSION, type LockRecord } from './schema.js';

/** Options shared by {@link acquire}, {@link tryAcquire}, {@link inspect} and {@link withLock}. */
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
  /** The run that takes the lock; recorded so its orphans can be found by `RUNWARDEN_RUN_ID`. */
  runId?: string;
  /**
   * Heartbeat age in ms after which a foreign host's lock may be taken over
   * (with `foreignHostTakeover`), and after which a late heartbeat compromises
   * our own handle.
   * @default 30000
   */
  staleAfterMs?: number;
  /**
   * Heartbeat interval in ms; `0` turns the heartbeat off.
   * @default staleAfterMs / 3
   */
  heartbeatMs?: number;
  /**
   * How long an empty or cut-short lock file is given to be written before it
   * is judged abandoned, in ms.
   * @default 2000
   */
  incompleteGraceMs?: number;
  /**
   * Take over a lock held by another machine when its heartbeat is older than
   * `staleAfterMs` (never on a network filesystem).
   * @default false
   */
  foreignHostTakeover?: boolean;
  /**
   * Extra liveness: pids of processes still working for the recorded holder
   * (the CLI passes the processes carrying the holder's run id). A dead holder
   * with live orphans still holds the lock (`orphaned-run`).
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
}

/** Options for {@link acquire}. */
export interface AcquireOptions extends LockOptions {
  /**
   * How long to wait for a held lock, in ms; `0` fails at once with `LockHeldError`.
   * @default 0
   */
  waitMs?: number;
  /**
   * First retry delay in ms while waiting; doubles up to 1000 ms.
   * @default 25
   */
  retryMs?: number;
}

/** What {@link LockHandle.release} did. */
export interface ReleaseResult {
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
  /** Writes a fresh `heartbeatAt` now. @throws {LockCompromisedError} when the lock is no longer ours. */
  refresh(): Promise<void>;
  /** Removes the lock file when it is still ours; a second call is a no-op that says so. */
  release(): Promise<ReleaseResult>;
}

/** The result of {@link inspect}. */
export interface LockInspection {
  state: 'free' | 'held' | 'stale' | 'corrupt';
  /** Absolute path of the lock file. */
  path: string;
  /** Why: the judgement's reason, `no-lock-file`, or the corrupt detail. */
  reason: string;
  /** The runwarden body, when it is one. */
  holder?: LockRecord;
  /** The LifeOS `runner_lock.py` body, when it is one. */
  legacyHolder?: LegacyLockRecord;
  /** The holder's identity verdict. */
  holderVerdict?: IdentityVerdict;
  heartbeatAgeMs?: number;
  /** Processes still carrying the holder's run id. */
  orphanPids?: number[];
  /** The corrupt error, when `state` is `corrupt`. */
  error?: LockCorruptError;
}

const DEFAULT_STALE_MS = 30_000;
const MAX_CLAIM_CHAIN = 64;

const claimSchema = processIdentitySchema;

function fencePath(path: string): string {
  return `${path}.fence`;
}

function claimPrefix(path: string, key: string): string {
  return `${basename(path)}.claim.${key}.`;
}

function readCounter(path: string): number {
  let raw: string;
  try {
    raw = readFileSync(fencePath(path), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  const value = (() => {
    try {
      return (JSON.parse(raw) as { fencingToken?: unknown }).fencingToken;
    } catch {
      return undefined;
    }
  })();
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new LockCorruptError(
      fencePath(path),
      `Fencing counter ${fencePath(path)} is not valid. It was left as it was.`,
      {
        hint: 'Write {"fencingToken": N} into it with N at least the highest token ever issued, or remove it if no holder relies on tokens.',
      },
    );
  }
  return value;
}

async function writeCounter(path: string, value: number): Promise<void> {
  await writeFileAtomic(fencePath(path), `${JSON.stringify({ fencingToken: value })}\n`, {
    mode: 0o600,
    fsync: true,
  });
}

function verifyLegacyHolder(record: LegacyLockRecord): IdentityVerdict {
  const info = getProcessInfoSync(record.pid);
  if (!info) return { status: 'dead', reason: 'no-such-process' };
  if (info.state === 'Z' || info.state === 'X') return { status: 'dead', reason: 'zombie' };
  if (info.cmdline.length === 0) return { status: 'unknown', reason: 'cmdline-empty' };
  return info.cmdline.join(' ').includes(record.runner_token)
    ? { status: 'alive', reason: 'runner-token-in-cmdline' }
    : { status: 'reused', reason: 'runner-token-not-in-cmdline' };
}

interface Resolved {
  path: string;
  staleAfterMs: number;
  heartbeatMs: number;
  incompleteGraceMs: number;
  now: () => number;
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
    options,
  };
}

function networkFilesystem(path: string): boolean {
  let real = dirname(path);
  try {
    real = realpathSync(real);
  } catch {
    // not there yet: classify the nearest path as given
  }
  return filesystemOf(real).kind !== 'local';
}

function gatherFacts(
  content: LockContent,
  resolved: Resolved,
): JudgeFacts & { orphanPids: number[] } {
  let holder: IdentityVerdict | undefined;
  let orphanPids: number[] = [];
  if (content.kind === 'record') {
    holder = verifyIdentity(content.record.holder);
    if ((holder.status === 'dead' || holder.status === 'reused') && resolved.options.orphansOf) {
      orphanPids = resolved.options.orphansOf(content.record);
    }
  } else if (content.kind === 'legacy') {
    holder = verifyLegacyHolder(content.record);
  }
  return {
    holder,
    orphanPids,
    networkFilesystem:
      content.kind === 'record' && holder?.status === 'foreign-host'
        ? networkFilesystem(resolved.path)
        : false,
    foreignHostTakeover: resolved.options.foreignHostTakeover ?? false,
    staleAfterMs: resolved.staleAfterMs,
    incompleteGraceMs: resolved.incompleteGraceMs,
  };
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
  return new LockHeldError(
    resolved.path,
    judgement.reason,
    content.kind === 'record' ? content.record : undefined,
    `Lock ${resolved.path} is held by ${describeHolder(content)} (${judgement.reason}${orphans}).`,
    judgement.reason === 'orphaned-run'
      ? 'End the orphaned processes (runwarden kill --force) before starting another run.'
      : 'Wait for it to finish, or stop it with `runwarden kill`.',
  );
}

function buildRecord(
  resolved: Resolved,
  holder: ProcessIdentity,
  nonce: string,
  fencingToken: number,
  acquiredAt: string,
): LockRecord {
  const record: LockRecord = {
    schemaVersion: LOCK_SCHEMA_VERSION,
    runnerToken: resolved.options.runnerToken ?? 'runwarden',
    repoMarker: resolved.options.repoMarker ?? dirname(resolved.path),
    holder,
    acquiredAt,
    heartbeatAt: new Date(resolved.now()).toISOString(),
    nonce,
    fencingToken,
    staleAfterMs: resolved.staleAfterMs,
  };
  if (resolved.options.runId !== undefined) record.runId = resolved.options.runId;
  return record;
}

const serialize = (record: LockRecord) => `${JSON.stringify(record, null, 2)}\n`;

/**
 * Removes claim files of generations that are no longer current. The claim
 * list is read before the lock, so a key that differs from the lock's key was
 * current once and never will be again (keys are nonces).
 */
function collectObsoleteClaims(path: string): void {
  const directory = dirname(path);
  const prefix = `${basename(path)}.claim.`;
  let names: string[];
  try {
    names = readdirSync(directory).filter((name) => name.startsWith(prefix));
  } catch {
    return;
  }
  if (names.length === 0) return;
  let currentKey: string | undefined;
  try {
    currentKey = readLockFile(path)?.key;
  } catch {
    return;
  }
  for (const name of names) {
    const key = name.slice(prefix.length).split('.')[0];
    if (key !== currentKey) {
      try {
        unlinkSync(join(directory, name));
      } catch {
        // another contender removed it
      }
    }
  }
}

type ClaimOutcome = { won: true; claimPath: string } | { won: false; claimant?: ProcessIdentity };

/**
 * Wins the right to replace generation `key` of the lock, or learns that a
 * live contender has it. Claim `k` is created exclusively; claim `k + 1` may be
 * created only when claim `k`'s owner is proven dead, so at most one live
 * process ever holds a claim for a generation.
 */
function claimGeneration(path: string, key: string, me: ProcessIdentity): ClaimOutcome {
  const prefix = join(dirname(path), claimPrefix(path, key));
  for (let k = 1; k <= MAX_CLAIM_CHAIN; k++) {
    const claimPath = `${prefix}${k}`;
    if (createExclusive(claimPath, `${JSON.stringify(me)}\n`)) return { won: true, claimPath };
    let claimant: ProcessIdentity | undefined;
    try {
      const parsed = claimSchema.safeParse(JSON.parse(readFileSync(claimPath, 'utf8')));
      if (parsed.success) claimant = parsed.data;
    } catch {
      // removed meanwhile (generation done) or unreadable: treat as busy
    }
    if (!claimant) return { won: false };
    const verdict = verifyIdentity(claimant);
    if (verdict.status !== 'dead' && verdict.status !== 'reused') return { won: false, claimant };
  }
  return { won: false };
}

class Handle implements LockHandle {
  readonly path: string;
  fencingToken: number;
  readonly nonce: string;
  record: LockRecord;
  readonly takeover: { reason: string; previous: LockContent } | undefined;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private released = false;
  private lastBeatMs: number;

  constructor(
    private readonly resolved: Resolved,
    record: LockRecord,
    takeover: { reason: string; previous: LockContent } | undefined,
  ) {
    this.path = resolved.path;
    this.record = record;
    this.nonce = record.nonce;
    this.fencingToken = record.fencingToken;
    this.takeover = takeover;
    this.lastBeatMs = resolved.now();
    if (resolved.heartbeatMs > 0) {
      this.timer = setInterval(() => {
        this.beat();
      }, resolved.heartbeatMs);
      this.timer.unref();
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private compromise(message: string): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.controller.signal.aborted)
      this.controller.abort(new LockCompromisedError(this.path, message));
  }

  private beat(): void {
    try {
      this.writeHeartbeat();
    } catch (error) {
      if (!LockCompromisedError.isInstance(error)) {
        this.compromise(`Heartbeat of ${this.path} failed: ${(error as Error).message}`);
      }
    }
  }

  private writeHeartbeat(): void {
    if (this.released) return;
    const now = this.resolved.now();
    let current: ReadLock | null;
    try {
      current = readLockFile(this.path);
    } catch (error) {
      this.compromise(`Lock ${this.path} became unreadable: ${(error as Error).message}`);
      throw this.signal.reason;
    }
    if (!current || current.key !== this.nonce) {
      this.compromise(
        current
          ? `Lock ${this.path} was taken over by ${describeHolder(current.content)}.`
          : `Lock ${this.path} was removed.`,
      );
      throw this.signal.reason;
    }
    if (
      (this.resolved.options.abortOnLateHeartbeat ?? true) &&
      now - this.lastBeatMs > this.resolved.staleAfterMs
    ) {
      this.compromise(
        `Heartbeat of ${this.path} came ${now - this.lastBeatMs} ms late (stale window ${this.resolved.staleAfterMs} ms).`,
      );
      throw this.signal.reason;
    }
    this.record = { ...this.record, heartbeatAt: new Date(now).toISOString() };
    replaceFile(this.path, serialize(this.record));
    this.lastBeatMs = now;
  }

  async refresh(): Promise<void> {
    if (this.signal.aborted) throw this.signal.reason;
    this.writeHeartbeat();
  }

  /** Rewrites the body with a higher fencing token (only right after acquisition). */
  rewriteToken(token: number): void {
    this.fencingToken = token;
    this.record = { ...this.record, fencingToken: token };
    replaceFile(this.path, serialize(this.record));
  }

  async release(): Promise<ReleaseResult> {
    if (this.released) return { released: false, reason: 'already-released' };
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    let current: ReadLock | null;
    try {
      current = readLockFile(this.path);
    } catch {
      return { released: false, reason: 'not-ours' };
    }
    if (!current) return { released: false, reason: 'missing' };
    if (current.key !== this.nonce) return { released: false, reason: 'not-ours' };
    try {
      unlinkSync(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return { released: false, reason: 'missing' };
      throw error;
    }
    return { released: true, reason: 'released' };
  }
}

async function finalize(
  resolved: Resolved,
  record: LockRecord,
  takeover: { reason: string; previous: LockContent } | undefined,
): Promise<Handle> {
  const handle = new Handle(resolved, record, takeover);
  try {
    // A concurrent holder may have issued this token and released since we
    // read the counter: the counter, read now that we hold the lock, decides.
    const counter = readCounter(resolved.path);
    if (counter >= handle.fencingToken) handle.rewriteToken(counter + 1);
    await writeCounter(resolved.path, handle.fencingToken);
  } catch (error) {
    await handle.release();
    throw error;
  }
  return handle;
}

type Attempt = { handle: Handle } | { held: LockHeldError } | { retry: true };

async function attempt(resolved: Resolved, holder: ProcessIdentity): Promise<Attempt> {
  const { path } = resolved;
  const current = readLockFile(path);
  const nonce = randomId();
  const acquiredAt = new Date(resolved.now()).toISOString();
  if (!current) {
    const record = buildRecord(resolved, holder, nonce, readCounter(path) + 1, acquiredAt);
    if (createExclusive(path, serialize(record)))
      return { handle: await finalize(resolved, record, undefined) };
    return { retry: true };
  }
  const facts = gatherFacts(current.content, resolved);
  const judgement = judge(current.content, facts, resolved.now());
  if (judgement.state === 'held')
    return { held: heldError(resolved, current.content, judgement, facts.orphanPids) };

  const claim = claimGeneration(path, current.key, holder);
  if (!claim.won) {
    return {
      held: new LockHeldError(
        path,
        'takeover-in-progress',
        undefined,
        `Lock ${path} is stale (${judgement.reason}) and another process is taking it over${claim.claimant ? ` (pid ${claim.claimant.pid})` : ''}.`,
        'Retry in a moment.',
      ),
    };
  }
  try {
    const again = readLockFile(path);
    if (!again || again.key !== current.key) return { retry: true };
    const previousToken =
      current.content.kind === 'record' ? current.content.record.fencingToken : 0;
    const record = buildRecord(
      resolved,
      holder,
      nonce,
      Math.max(readCounter(path), previousToken) + 1,
      acquiredAt,
    );
    // Only the one live claimant of this generation may replace it, and its
    // holder is proven gone: the rename cannot clobber a live lock.
    replaceFile(path, serialize(record));
    return {
      handle: await finalize(resolved, record, {
        reason: judgement.reason,
        previous: current.content,
      }),
    };
  } finally {
    try {
      unlinkSync(claim.claimPath);
    } catch {
      // already collected
    }
    collectObsoleteClaims(path);
  }
}

function ownIdentity(options: LockOptions): ProcessIdentity {
  if (options.holder) return options.holder;
  const identity = captureIdentity(process.pid, { tokenSource: 'cmdline', token: undefined });
  if (!identity) throw new Error('Cannot read this process from /proc');
  return identity;
}

/**
 * Takes the lock at once or throws: creates `path` exclusively, or takes over a
 * lock whose holder is proven gone (see {@link judge}). Never waits.
 *
 * @param path - the lock file, e.g. `.runtime/RUN.lock`; its directory is created with mode 0700.
 * @returns a {@link LockHandle} with the fencing token and an AbortSignal.
 * @throws {LockHeldError} when a live (or unprovably dead) holder has it.
 * @throws {LockCorruptError} when the file holds garbage; it is left untouched.
 * @throws {LockError} `ERR_LOCK_UNSAFE_PATH` when the path or its directory is a symlink.
 */
export async function tryAcquire(path: string, options: LockOptions = {}): Promise<LockHandle> {
  const resolved = resolveOptions(path, options);
  ensurePrivateDir(dirname(resolved.path), resolved.path);
  const holder = ownIdentity(options);
  for (let spin = 0; spin < 32; spin++) {
    const result = await attempt(resolved, holder);
    if ('handle' in result) return result.handle;
    if ('held' in result) throw result.held;
  }
  throw new LockHeldError(
    resolved.path,
    'contended',
    undefined,
    `Lock ${resolved.path} changed hands too often to take.`,
    'Retry.',
  );
}

/**
 * Takes the lock, waiting up to `waitMs` for a live holder to let go (polling
 * with exponential backoff from `retryMs` to 1 s, like proper-lockfile's
 * `retries`).
 *
 * @throws {LockHeldError} when still held after `waitMs`.
 * @throws {LockCorruptError} when the file holds garbage (never waited on).
 */
export async function acquire(path: string, options: AcquireOptions = {}): Promise<LockHandle> {
  const waitMs = options.waitMs ?? 0;
  const deadline = Date.now() + waitMs;
  let delay = options.retryMs ?? 25;
  for (;;) {
    try {
      return await tryAcquire(path, options);
    } catch (error) {
      if (
        !LockHeldError.isInstance(error) ||
        error.code !== 'ERR_LOCK_HELD' ||
        Date.now() + delay > deadline
      )
        throw error;
    }
    await new Promise((resolveDelay) => setTimeout(resolveDelay, delay));
    delay = Math.min(delay * 2, 1000);
  }
}

/**
 * Runs `fn` while holding the lock and releases it afterwards, also on error.
 *
 * @throws whatever {@link acquire} or `fn` throws.
 */
export async function withLock<T>(
  path: string,
  fn: (handle: LockHandle) => Promise<T> | T,
  options: AcquireOptions = {},
): Promise<T> {
  const handle = await acquire(path, options);
  try {
    return await fn(handle);
  } finally {
    await handle.release();
  }
}

/**
 * Reports the lock's state without touching it: `free`, `held` (with why),
 * `stale` (a takeover would happen: the dry run), or `corrupt`.
 *
 * @throws {LockError} `ERR_LOCK_UNSAFE_PATH` when the path is a symlink.
 */
export function inspect(path: string, options: LockOptions = {}): LockInspection {
  const resolved = resolveOptions(path, options);
  let current: ReadLock | null;
  try {
    current = readLockFile(resolved.path);
  } catch (error) {
    if (LockCorruptError.isInstance(error) && error.code === 'ERR_LOCK_CORRUPT') {
      return {
        state: 'corrupt',
        path: resolved.path,
        reason: error.message,
        error: error as LockCorruptError,
      };
    }
    throw error;
  }
  if (!current) return { state: 'free', path: resolved.path, reason: 'no-lock-file' };
  const facts = gatherFacts(current.content, resolved);
  const judgement = judge(current.content, facts, resolved.now());
  const result: LockInspection = {
    state: judgement.state,
    path: resolved.path,
    reason: judgement.reason,
  };
  if (current.content.kind === 'record') result.holder = current.content.record;
  if (current.content.kind === 'legacy') result.legacyHolder = current.content.record;
  if (facts.holder) result.holderVerdict = facts.holder;
  if (judgement.heartbeatAgeMs !== undefined) result.heartbeatAgeMs = judgement.heartbeatAgeMs;
  if (facts.orphanPids.length > 0) result.orphanPids = facts.orphanPids;
  return result;
}

/** What {@link breakLock} did. */
export interface BreakLockResult {
  action: 'none' | 'removed-stale' | 'moved-corrupt';
  /** Where a corrupt file was moved, so nothing is lost. */
  movedTo?: string;
  reason: string;
}

/**
 * Clears a lock that no live holder has: a stale lock is removed (through the
 * same claim as a takeover, so exactly one breaker acts), a corrupt one is
 * moved aside to `<path>.corrupt-<time>` (never deleted). A held lock is left
 * alone.
 *
 * @throws {LockHeldError} when a live holder (or live orphans) still has it.
 */
export async function breakLock(path: string, options: LockOptions = {}): Promise<BreakLockResult> {
  const resolved = resolveOptions(path, options);
  let current: ReadLock | null;
  try {
    current = readLockFile(resolved.path);
  } catch (error) {
    if (LockCorruptError.isInstance(error) && (error as LockError).code === 'ERR_LOCK_CORRUPT') {
      const movedTo = `${resolved.path}.corrupt-${new Date(resolved.now()).toISOString().replace(/[:.]/g, '-')}`;
      const { renameSync } = await import('node:fs');
      renameSync(resolved.path, movedTo);
      return { action: 'moved-corrupt', movedTo, reason: 'corrupt' };
    }
    throw error;
  }
  if (!current) return { action: 'none', reason: 'no-lock-file' };
  const facts = gatherFacts(current.content, resolved);
  const judgement = judge(current.content, facts, resolved.now());
  if (judgement.state === 'held')
    throw heldError(resolved, current.content, judgement, facts.orphanPids);
  const claim = claimGeneration(resolved.path, current.key, ownIdentity(options));
  if (!claim.won) return { action: 'none', reason: 'takeover-in-progress' };
  try {
    const again = readLockFile(resolved.path);
    if (!again || again.key !== current.key) return { action: 'none', reason: 'changed' };
    unlinkSync(resolved.path);
    return { action: 'removed-stale', reason: judgement.reason };
  } finally {
    try {
      unlinkSync(claim.claimPath);
    } catch {
      // already collected
    }
    collectObsoleteClaims(resolved.path);
  }
}
