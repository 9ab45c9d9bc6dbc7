import { killTree } from '@runwarden/kill-tree';
import { LockError, type LockHandle, tryAcquire } from '@runwarden/lock-core';
import {
  type JournalEvent,
  newRunId,
  type ReasonCode,
  type RunResult,
  superviseRun,
  WatchdogError,
} from '@runwarden/watchdog';
import type { LoopRecovery } from './adoption.js';
import type { LoopConfig } from './config.js';
import { SUPERVISOR_DEFAULTS } from './defaults.js';
import type { GuardRow } from './guards.js';
import { judgeLoopGuards, type LiveRun, LoopWitness } from './loop-guards.js';
import type { LoopContext, LoopStatus } from './loop-status.js';
import { decideRestart, type RestartLedger } from './restart-policy.js';
import { runPredicate, writeRunEvidence } from './run-evidence.js';
import { runOptions } from './run-options.js';
import { ensurePrivateDir, type LoopState, readLoopState, writeLoopState } from './state.js';
import { claimTarget, type TargetLease } from './target-lease.js';

export type { LoopContext, LoopStatus } from './loop-status.js';

interface RunEnd {
  reason: ReasonCode;
  message: string;
  uptimeMs: number;
}

/**
 * One loop: runs its command under the watchdog (`superviseRun`, in this
 * process, holding the loop's `RUN.lock`), and once that watchdog has
 * returned, applies the loop's restart policy ({@link decideRestart}). The
 * watchdog alone resumes its run; this class never acts while a run's
 * watchdog is running, so the two never both resume one run.
 */
export class LoopRunner {
  private stateValue: LoopState = 'stopped';
  private ledger: RestartLedger = { restarts: [], backoffStep: 0 };
  private controller: AbortController | undefined;
  private cancelWait: (() => void) | undefined;
  private cycle: Promise<void> | undefined;
  private stopping: LoopState | undefined;
  private pending: LoopConfig | undefined;
  private reconfigured = false;
  private run = {
    runId: null as string | null,
    pid: null as number | null,
    attempt: 0,
    resumes: 0,
    budgetSpent: 0,
    lastProgressAt: null as string | null,
    startedAt: null as string | null,
  };
  private lastReason: ReasonCode | null = null;
  private lastMessage: string | null = null;
  private nextStartAt: string | null = null;
  /** What the running machinery says of the loop's guards. */
  private readonly witness = new LoopWitness();
  /** The current run's lock and lease, while it holds them. */
  private live: LiveRun | undefined;

  /**
   * @param config - the loop's config.
   * @param context - what the loops share.
   * @throws {SupervisorError} `ERR_STATE` when the loop's `loop.json` is corrupt (it is kept).
   */
  constructor(
    private config: LoopConfig,
    private readonly context: LoopContext,
  ) {
    const saved = readLoopState(context.paths.loopState(config.name));
    if (saved) {
      this.ledger = {
        restarts: saved.restarts.map((at) => Date.parse(at)).filter(Number.isFinite),
        backoffStep: saved.backoffStep,
      };
      this.lastReason = saved.lastReason ?? null;
      this.lastMessage = saved.lastMessage ?? null;
      this.run.runId = saved.runId ?? null;
    }
  }

  /** The loop's name. */
  get name(): string {
    return this.config.name;
  }

  /** The loop's state now. */
  get state(): LoopState {
    return this.stateValue;
  }

  /** The loop's config digest (a SIGHUP compares it). */
  get digest(): string {
    return (this.pending ?? this.config).digest;
  }

  /** The loop as `status --json` shows it. */
  status(): LoopStatus {
    const { self } = this.context;
    const pulse = this.witness.pulse;
    const iso = (ms: number | null | undefined) =>
      ms === null || ms === undefined ? null : new Date(ms).toISOString();
    return {
      name: this.config.name,
      state: this.stateValue,
      pid: this.run.pid,
      runId: this.run.runId,
      attempt: this.run.attempt,
      resumesUsed: this.run.resumes,
      budgetSpent: this.run.budgetSpent,
      restarts: this.ledger.restarts.length,
      lastReason: this.lastReason,
      lastMessage: this.lastMessage,
      lastProgressAt: this.run.lastProgressAt,
      runStartedAt: this.run.startedAt,
      nextStartAt: this.nextStartAt,
      owner: self
        ? { pid: self.pid, hostname: self.hostname, startTimeMs: self.startTimeMs }
        : null,
      lastOutputAt: iso(pulse?.lastOutputAtMs),
      missionDeadlineAt: iso(pulse?.missionDeadlineAtMs),
    };
  }

  /**
   * The loop's guard rows, read from its running machinery ({@link judgeLoopGuards}).
   *
   * @returns one row per guard of the loop.
   */
  guards(): Promise<GuardRow[]> {
    return judgeLoopGuards({
      config: this.pending ?? this.config,
      running: this.config,
      state: this.stateValue,
      lastReason: this.lastReason,
      lastMessage: this.lastMessage,
      restarts: this.ledger.restarts.length,
      witness: this.witness,
      live: this.live,
      lockPath: this.context.paths.loopLock(this.config.name),
    });
  }

  /**
   * Starts the loop's cycle: a run (adopted when `recovery` says so), then the restart policy, until stopped.
   *
   * @param recovery - what the supervisor found of the loop's last run. @default a fresh run
   */
  start(recovery: LoopRecovery = { kind: 'fresh' }): void {
    if (this.cycle) return;
    this.stopping = undefined;
    this.cycle = this.loop(recovery).finally(() => {
      this.cycle = undefined;
    });
  }

  /**
   * Stops the loop: ends the run's tree (the watchdog's kill, with its grace
   * period) or cancels the backoff, and waits until the lock is released.
   *
   * @param final - the state to end in: `stopped`, or `done` when the global done condition held. @default 'stopped'
   */
  async stop(final: 'stopped' | 'done' = 'stopped'): Promise<void> {
    this.stopping = final;
    if (this.cycle) {
      this.setState('stopping');
      this.controller?.abort();
      this.cancelWait?.();
      await this.cycle;
    }
    this.nextStartAt = null;
    this.setState(final);
  }

  /** Restarts the loop now: stops the run (or leaves `fatal`/`stopped`), forgets the give-up budget, starts a new run. */
  async restart(): Promise<void> {
    await this.stop('stopped');
    this.ledger = { restarts: [], backoffStep: 0 };
    this.start({ kind: 'fresh' });
  }

  /**
   * Takes a changed config (SIGHUP): it applies from the next run; a loop
   * between runs (backoff, stopped, fatal) starts that run now.
   *
   * @param config - the loop's new config.
   */
  reconfigure(config: LoopConfig): void {
    if (config.digest === this.digest) return;
    this.pending = config;
    if (this.stateValue === 'backoff') this.cancelWait?.();
    else if (this.stateValue === 'running' || this.stateValue === 'starting')
      this.reconfigured = true;
    else if (!this.cycle && this.stopping === undefined) {
      this.ledger = { restarts: [], backoffStep: 0 };
      this.start({ kind: 'fresh' });
    }
  }

  private setState(state: LoopState): void {
    if (state === this.stateValue) return;
    const from = this.stateValue;
    this.stateValue = state;
    this.context.journal.append('loop-state', this.config.name, {
      from,
      to: state,
      runId: this.run.runId,
      reason: this.lastReason,
    });
    this.persist();
  }

  private persist(): void {
    writeLoopState(this.context.paths.loopState(this.config.name), {
      name: this.config.name,
      state: this.stateValue,
      ...(this.run.runId ? { runId: this.run.runId } : {}),
      restarts: this.ledger.restarts.map((at) => new Date(at).toISOString()),
      backoffStep: this.ledger.backoffStep,
      ...(this.lastReason ? { lastReason: this.lastReason } : {}),
      ...(this.lastMessage ? { lastMessage: this.lastMessage } : {}),
      ...(this.nextStartAt ? { nextStartAt: this.nextStartAt } : {}),
      supervisorPid: process.pid,
      digest: this.config.digest,
    });
  }

  private async loop(first: LoopRecovery): Promise<void> {
    let recovery = first;
    while (this.stopping === undefined) {
      if (this.pending) {
        this.config = this.pending;
        this.pending = undefined;
      }
      this.reconfigured = false;
      const end = await this.runOnce(recovery);
      recovery = { kind: 'fresh' };
      this.lastReason = end.reason;
      this.lastMessage = end.message;
      if (this.stopping !== undefined) return;
      if (this.reconfigured || this.pending) continue;
      if (end.reason === 'INVALID_STATE') {
        this.setState('fatal');
        return;
      }
      const decision = decideRestart(
        this.ledger,
        { reason: end.reason, uptimeMs: end.uptimeMs, nowMs: Date.now() },
        this.config.restart,
        this.context.random,
      );
      this.ledger = decision.ledger;
      if (decision.action === 'stop') {
        this.setState('stopped');
        return;
      }
      this.witness.fired('restart-policy');
      if (decision.action === 'fatal') {
        this.context.journal.append('handoff', this.config.name, {
          why: decision.why,
          runId: this.run.runId,
          lastReason: end.reason,
          lastMessage: end.message,
          restarts: this.ledger.restarts.length,
          giveUp: this.config.restart.giveUp,
          hint: `runwarden-supervisor restart ${this.config.name} (after fixing what ${end.reason} says)`,
        });
        this.setState('fatal');
        return;
      }
      this.nextStartAt = new Date(Date.now() + decision.delayMs).toISOString();
      this.context.journal.append('restart-scheduled', this.config.name, {
        delayMs: decision.delayMs,
        restarts: this.ledger.restarts.length,
        backoffReset: decision.backoffReset,
        lastReason: end.reason,
      });
      this.setState('backoff');
      await this.wait(decision.delayMs);
      this.nextStartAt = null;
    }
  }

  /** Waits out a backoff; {@link LoopRunner.stop} or a reconfigure cuts it short. */
  private async wait(delayMs: number): Promise<void> {
    await new Promise<void>((settle) => {
      const timer = setTimeout(settle, delayMs);
      this.cancelWait = () => {
        clearTimeout(timer);
        settle();
      };
    });
    this.cancelWait = undefined;
  }

  /** One run of the loop, start to end, under its lock. */
  private async runOnce(recovery: LoopRecovery): Promise<RunEnd> {
    const { paths, journal } = this.context;
    const config = this.config;
    this.setState('starting');
    const startedPerf = performance.now();
    const ended = (reason: ReasonCode, message: string): RunEnd => ({
      reason,
      message,
      uptimeMs: performance.now() - startedPerf,
    });
    if (recovery.kind === 'corrupt') return ended('INVALID_STATE', recovery.message);
    if (recovery.kind === 'held')
      return ended('LOCK_HELD', `pid ${recovery.holderPid} holds ${paths.loopLock(config.name)}`);
    if (recovery.kind === 'orphans') {
      const killed = await killTree(
        { token: recovery.runId },
        { graceMs: config.run.killGraceMs },
      ).catch(() => null);
      journal.append('orphans-ended', config.name, {
        runId: recovery.runId,
        pids: recovery.pids,
        killed: killed?.killed ?? [],
        survivors: killed?.survivors ?? [],
      });
    }
    const adopting = recovery.kind === 'adopt' ? recovery : undefined;
    const runId = adopting?.runId ?? newRunId();
    const runDir = paths.runDir(config.name, runId);
    ensurePrivateDir(paths.stateDir, runDir);
    this.run = {
      runId,
      pid: adopting?.pid ?? null,
      attempt: adopting?.continueFrom.attempt ?? 0,
      resumes: adopting?.continueFrom.resumes ?? 0,
      budgetSpent: adopting?.continueFrom.budgetSpent ?? 0,
      lastProgressAt: null,
      startedAt: new Date(adopting?.startedAtMs ?? Date.now()).toISOString(),
    };
    let lock: LockHandle;
    try {
      // Only the one supervisor of this state dir (it holds SUPERVISOR.lock) touches the
      // loops' locks, and it has ended or adopted every run it found: nothing else to wait for.
      lock = await tryAcquire(paths.loopLock(config.name), {
        runId,
        runnerToken: 'runwarden-supervisor',
        repoMarker: paths.loopDir(config.name),
        staleAfterMs: SUPERVISOR_DEFAULTS.lockStaleAfterMs,
        abortOnLateHeartbeat: false,
        orphansOf: () => [],
      });
    } catch (error) {
      if (!LockError.isInstance(error)) throw error;
      return ended(error.code === 'ERR_LOCK_HELD' ? 'LOCK_HELD' : 'INVALID_STATE', error.message);
    }
    const controller = new AbortController();
    this.controller = controller;
    if (this.stopping !== undefined) controller.abort();
    let lease: TargetLease | undefined;
    let lostTarget: string | undefined;
    let result: RunResult | undefined;
    let end: RunEnd | undefined;
    try {
      if (config.target) {
        try {
          lease = await claimTarget({
            directory: paths.coordination,
            target: config.target,
            runId,
            onLost: (message) => {
              lostTarget = message;
              this.witness.fired('target-lease');
              controller.abort();
            },
          });
        } catch (error) {
          end = ended('LOCK_HELD', `target ${config.target}: ${(error as Error).message}`);
          return end;
        }
      }
      this.live = { runId, lock, ...(lease ? { lease } : {}) };
      journal.append('run-started', config.name, {
        runId,
        runDir,
        ...(adopting ? { adoptedPid: adopting.pid, attempt: adopting.continueFrom.attempt } : {}),
      });
      this.persist();
      result = await superviseRun(
        runOptions({
          config,
          runId,
          runDir,
          lock,
          signal: controller.signal,
          adopting,
          onEvent: (event) => this.onRunEvent(event),
          onPulse: (pulse) => this.witness.onPulse(pulse),
        }),
      );
      const reason = result.reason === 'INTERRUPTED' && lostTarget ? 'LOCK_HELD' : result.reason;
      end = ended(reason, lostTarget ?? result.message);
    } catch (error) {
      const reason =
        WatchdogError.isInstance(error) && error.code === 'ERR_UNSAFE_PATH'
          ? 'INVALID_STATE'
          : 'CHILD_FAILED';
      end = ended(reason, (error as Error).message);
    } finally {
      this.controller = undefined;
      this.live = undefined;
      this.witness.runEnded();
      await lease?.end(end?.reason ?? 'INTERRUPTED', end?.message);
      if (result) {
        const evidence = await writeRunEvidence(
          runDir,
          runPredicate({
            loop: config,
            runDir,
            result,
            startedAt: this.run.startedAt!,
            self: this.context.self,
          }),
        );
        if ('error' in evidence)
          journal.append('error', config.name, {
            runId,
            what: 'evidence',
            message: evidence.error,
          });
      }
      await lock.release().catch(() => undefined);
      this.run.pid = null;
    }
    end ??= ended('INTERNAL', 'the run ended without a result');
    journal.append('run-ended', config.name, {
      runId,
      reason: end.reason,
      message: end.message,
      attempts: result?.attempts,
      resumes: result?.resumes,
      durationMs: result?.durationMs,
    });
    return end;
  }

  private onRunEvent(event: JournalEvent): void {
    this.witness.onRunEvent(event);
    this.run.attempt = Math.max(this.run.attempt, event.attempt);
    switch (event.type) {
      case 'spawned':
      case 'resumed':
      case 'adopted':
        this.run.pid = event.pid as number;
        if (event.type === 'resumed') this.run.resumes += 1;
        if (event.type === 'adopted')
          this.context.journal.append('adopted', this.config.name, {
            runId: this.run.runId,
            pid: event.pid,
            attempt: event.attempt,
          });
        if (this.stateValue === 'starting') this.setState('running');
        break;
      case 'resume-scheduled':
        this.run.budgetSpent = event.budgetSpent as number;
        break;
      case 'progress':
        this.run.lastProgressAt = event.ts;
        break;
      case 'exited':
      case 'died':
        this.run.pid = null;
        break;
      default:
        break;
    }
    this.context.onRunEvent?.(this.config.name, event);
  }
}
