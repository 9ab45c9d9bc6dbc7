import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeEvidenceAsync } from '@runwarden/evidence-hasher';
import { type LockHandle, LockHeldError, tryAcquire } from '@runwarden/lock-core';
import { captureIdentity, type ProcessIdentity } from '@runwarden/process-identity';
import { EXIT_CODES, newRunId, type ReasonCode } from '@runwarden/watchdog';
import { recoverLoop } from './adoption.js';
import { type RunningApi, type SupervisorControl, startApi } from './api/server.js';
import { type LoopConfig, loadConfig, type SupervisorConfig } from './config.js';
import { SUPERVISOR_DEFAULTS } from './defaults.js';
import { DoneWatcher } from './done-watcher.js';
import { SupervisorError } from './errors.js';
import { EventFeed } from './event-feed.js';
import { type GuardRow, judgeDoneWatcher } from './guards.js';
import { LoopRunner, type LoopStatus } from './loop.js';
import { lockLoss } from './loop-guards.js';
import { ensurePrivateDir, type StatePaths, statePaths, writePrivateFile } from './state.js';
import { type SupervisorEvent, SupervisorJournal } from './supervisor-journal.js';

/** How a supervisor ended. */
export interface SupervisorOutcome {
  reason: ReasonCode;
  exitCode: number;
  /** One line: why it ended. */
  message: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Every loop at the end, with how many runs it started in this period. */
  loops: (LoopStatus & { runs: number })[];
  /** The evidence of the whole supervised period (written when the done condition held). */
  evidence?: { sumsPath: string; checkFrom: string; rootDigest: string };
}

/** Options for {@link Supervisor.start}. */
export interface SupervisorOptions {
  /** The config file. @default 'runwarden.yaml' */
  configFile?: string;
  /** Where one-line notes for people go (reloads, a loop gone fatal). @default none */
  note?: (line: string) => void;
  /** Handle SIGTERM, SIGINT (stop) and SIGHUP (reload) in this process. @default true */
  handleSignals?: boolean;
}

/**
 * The supervisor: every loop of one config in this process, one supervisor per
 * state directory (`SUPERVISOR.lock`), the HTTP API, the global `done`
 * condition, SIGTERM/SIGINT (stop everything, exit 130) and SIGHUP (reload:
 * added loops start, removed loops stop, changed loops restart after their
 * current run), as supervisord does.
 */
export class Supervisor implements SupervisorControl {
  private readonly runners = new Map<string, LoopRunner>();
  private readonly runsStarted = new Map<string, number>();
  private readonly startedAt = new Date();
  private readonly startedPerf = performance.now();
  private readonly sessionId = newRunId();
  /** Every journal event of every loop and of the supervisor, for `GET /events`. */
  readonly feed = new EventFeed(this.sessionId);
  private doneFiredAt: string | null = null;
  private doneWatcher: DoneWatcher | undefined;
  private api: RunningApi | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private lastTick = performance.now();
  private finishing: Promise<SupervisorOutcome> | undefined;
  private settle!: (outcome: SupervisorOutcome) => void;
  private readonly signalHandlers: [NodeJS.Signals, () => void][] = [];
  /** Resolves once the supervisor has stopped every loop and released its lock. */
  readonly finished: Promise<SupervisorOutcome>;

  private constructor(
    private config: SupervisorConfig,
    readonly paths: StatePaths,
    private readonly lock: LockHandle,
    private readonly journal: SupervisorJournal,
    private readonly self: ProcessIdentity | null,
    private readonly options: SupervisorOptions,
  ) {
    this.finished = new Promise((settle) => {
      this.settle = settle;
    });
  }

  /**
   * Loads the config, takes `SUPERVISOR.lock`, starts the API and every loop
   * (adopting the live runs a dead supervisor left), and watches `done`.
   *
   * @param options - the config file, notes, signals.
   * @returns the running supervisor; await {@link Supervisor.finished} for its end.
   * @throws {ConfigError} for an invalid config (exit 64).
   * @throws {SupervisorError} `ERR_HELD` (exit 5) naming the running supervisor; `ERR_STATE` (exit 7) for a corrupt state file.
   */
  static async start(options: SupervisorOptions = {}): Promise<Supervisor> {
    const config = loadConfig(options.configFile);
    const paths = statePaths(config.stateDir);
    ensurePrivateDir(paths.stateDir);
    ensurePrivateDir(paths.stateDir, paths.supervisorDir);
    ensurePrivateDir(paths.stateDir, paths.loopsDir);
    let lock: LockHandle;
    try {
      lock = await tryAcquire(paths.supervisorLock, {
        runnerToken: 'runwarden-supervisor',
        repoMarker: config.file,
        staleAfterMs: SUPERVISOR_DEFAULTS.lockStaleAfterMs,
        abortOnLateHeartbeat: false,
      });
    } catch (error) {
      if (!LockHeldError.isInstance(error) || error.code !== 'ERR_LOCK_HELD') throw error;
      const held = error as LockHeldError;
      const pid = held.holder?.holder.pid;
      let url: string | undefined;
      try {
        url = JSON.parse(readFileSync(paths.apiFile, 'utf8')).url;
      } catch {
        url = undefined;
      }
      throw new SupervisorError(
        'ERR_HELD',
        'LOCK_HELD',
        `Another supervisor (pid ${pid ?? '?'}, since ${held.holder?.acquiredAt ?? '?'}) runs on ${paths.stateDir}${url ? `; its API is ${url}` : ''}.`,
        {
          hint: 'Use runwarden-supervisor status / stop, or give another stateDir.',
          data: { holderPid: pid, url, lockPath: paths.supervisorLock },
        },
      );
    }
    let supervisor: Supervisor | undefined;
    const journal = new SupervisorJournal(paths.journal, (event) => supervisor?.onEvent(event));
    supervisor = new Supervisor(
      config,
      paths,
      lock,
      journal,
      captureIdentity(process.pid),
      options,
    );
    try {
      await supervisor.begin();
    } catch (error) {
      await supervisor.abandon();
      throw error;
    }
    return supervisor;
  }

  private onEvent(event: SupervisorEvent): void {
    this.feed.publish('supervisor', event.loop, event);
    if (event.type === 'done') this.doneFiredAt = event.ts;
    if (event.type === 'run-started' && event.loop)
      this.runsStarted.set(event.loop, (this.runsStarted.get(event.loop) ?? 0) + 1);
    if (event.type === 'handoff')
      this.options.note?.(
        `loop ${event.loop} is fatal: ${String(event.lastReason)} (${String(event.lastMessage)})`,
      );
  }

  private runnerOf(config: LoopConfig): LoopRunner {
    return new LoopRunner(config, {
      paths: this.paths,
      journal: this.journal,
      self: this.self,
      onRunEvent: (loop, event) => this.feed.publish('run', loop, event),
    });
  }

  private async begin(): Promise<void> {
    for (const loop of this.config.loops) this.runners.set(loop.name, this.runnerOf(loop));
    const token = randomBytes(32).toString('base64url');
    writePrivateFile(this.paths.tokenFile, `${token}\n`);
    this.api = await startApi({
      host: this.config.listen.host,
      port: this.config.listen.port,
      token,
      control: this,
    });
    writePrivateFile(
      this.paths.apiFile,
      `${JSON.stringify({ url: this.api.url, pid: process.pid, startedAt: this.startedAt.toISOString() })}\n`,
    );
    this.journal.append('supervisor-started', null, {
      config: this.config.file,
      stateDir: this.paths.stateDir,
      url: this.api.url,
      sessionId: this.sessionId,
      loops: this.config.loops.map((loop) => loop.name),
      fencingToken: this.lock.fencingToken,
    });
    this.ticker = setInterval(() => {
      const now = performance.now();
      // Late by more than the stall limit: the process was stopped (SIGSTOP) or its event loop stalled.
      const lateMs = now - this.lastTick - 1000;
      if (lateMs > SUPERVISOR_DEFAULTS.healthStallMs)
        this.journal.append('supervisor-stalled', null, { stalledMs: Math.round(lateMs) });
      this.lastTick = now;
    }, 1000);
    this.lock.signal.addEventListener(
      'abort',
      () => void this.shutdown('LOCK_HELD', 'SUPERVISOR.lock was lost'),
      { once: true },
    );
    for (const runner of this.runners.values()) runner.start(recoverLoop(this.paths, runner.name));
    this.watchDone();
    if (this.options.handleSignals ?? true) {
      const on = (signal: NodeJS.Signals, handler: () => void) => {
        process.on(signal, handler);
        this.signalHandlers.push([signal, handler]);
      };
      on('SIGTERM', () => void this.shutdown('INTERRUPTED', 'stopped by SIGTERM'));
      on('SIGINT', () => void this.shutdown('INTERRUPTED', 'stopped by SIGINT'));
      on('SIGHUP', () => this.reload());
    }
  }

  private watchDone(): void {
    const done = this.config.done;
    if (!done) {
      this.doneWatcher?.close();
      this.doneWatcher = undefined;
      return;
    }
    if (this.doneWatcher) this.doneWatcher.replace(done);
    else {
      this.doneWatcher = new DoneWatcher(done, () => {
        const what =
          done.kind === 'file' ? `${done.file} holds "${done.line}"` : `\`${done.command}\` passed`;
        this.journal.append('done', null, { condition: done.kind, what });
        void this.shutdown('OK', `done: ${what}`);
      });
      this.doneWatcher.start();
    }
  }

  /** Releases what `begin` took, after it failed. */
  private async abandon(): Promise<void> {
    await Promise.all([...this.runners.values()].map((runner) => runner.stop('stopped')));
    await this.api?.close();
    if (this.ticker) clearInterval(this.ticker);
    this.journal.close();
    await this.lock.release().catch(() => undefined);
  }

  /** {@inheritDoc SupervisorControl.loops} */
  loops(): LoopStatus[] {
    return [...this.runners.values()].map((runner) => runner.status());
  }

  /** {@inheritDoc SupervisorControl.stopLoop} */
  async stopLoop(name: string): Promise<LoopStatus | undefined> {
    const runner = this.runners.get(name);
    if (!runner) return undefined;
    await runner.stop('stopped');
    return runner.status();
  }

  /** {@inheritDoc SupervisorControl.restartLoop} */
  async restartLoop(name: string): Promise<LoopStatus | undefined> {
    const runner = this.runners.get(name);
    if (!runner || this.finishing) return runner?.status();
    await runner.restart();
    return runner.status();
  }

  /** {@inheritDoc SupervisorControl.stop} */
  stop(): void {
    void this.shutdown('INTERRUPTED', 'stopped by request (POST /stop)');
  }

  /**
   * {@inheritDoc SupervisorControl.guards}
   *
   * Every timer already due runs first: a watchdog merely delayed by a busy
   * event loop ticks before it is judged, and only one that is really stopped
   * or wedged stays silent.
   */
  async guards(): Promise<GuardRow[]> {
    await new Promise((settle) => setTimeout(settle, 1));
    const rows = (
      await Promise.all([...this.runners.values()].map((runner) => runner.guards()))
    ).flat();
    rows.push(
      judgeDoneWatcher({
        done: this.config.done,
        watcher: this.doneWatcher?.facts(),
        lastFiredAt: this.doneFiredAt,
      }),
    );
    return rows;
  }

  /** {@inheritDoc SupervisorControl.about} */
  about(): { pid: number; stateDir: string; config: string; startedAt: string; now: string } {
    return {
      pid: process.pid,
      stateDir: this.paths.stateDir,
      config: this.config.file,
      startedAt: this.startedAt.toISOString(),
      now: new Date().toISOString(),
    };
  }

  /** {@inheritDoc SupervisorControl.health} */
  health(): { ok: boolean; detail: string; lastTickAgoMs: number } {
    const lastTickAgoMs = Math.round(performance.now() - this.lastTick);
    const loss = lockLoss(this.paths.supervisorLock, this.lock);
    if (loss) return { ok: false, detail: `SUPERVISOR.lock was lost: ${loss.why}`, lastTickAgoMs };
    if (lastTickAgoMs > SUPERVISOR_DEFAULTS.healthStallMs + 1000)
      return { ok: false, detail: `the event loop stalled for ${lastTickAgoMs} ms`, lastTickAgoMs };
    if (this.finishing) return { ok: false, detail: 'stopping', lastTickAgoMs };
    return { ok: true, detail: 'ticking', lastTickAgoMs };
  }

  /**
   * Reloads the config (SIGHUP): added loops start, removed loops stop,
   * changed loops take their new config from their next run (a loop between
   * runs starts it now). A config that does not load changes nothing.
   */
  reload(): void {
    if (this.finishing) return;
    let next: SupervisorConfig;
    try {
      next = loadConfig(this.config.file);
    } catch (error) {
      this.journal.append('reload-failed', null, { message: (error as Error).message });
      this.options.note?.(`reload refused: ${(error as Error).message}`);
      return;
    }
    if (next.stateDir !== this.config.stateDir) {
      const message = `stateDir changed (${this.config.stateDir} → ${next.stateDir}); restart the supervisor to move it`;
      this.journal.append('reload-failed', null, { message });
      this.options.note?.(`reload refused: ${message}`);
      return;
    }
    const added: string[] = [];
    const removed: string[] = [];
    const changed: string[] = [];
    const names = new Set(next.loops.map((loop) => loop.name));
    for (const [name, runner] of this.runners) {
      if (names.has(name)) continue;
      removed.push(name);
      this.runners.delete(name);
      void runner.stop('stopped');
    }
    for (const loop of next.loops) {
      const runner = this.runners.get(loop.name);
      if (!runner) {
        added.push(loop.name);
        const created = this.runnerOf(loop);
        this.runners.set(loop.name, created);
        created.start(recoverLoop(this.paths, loop.name));
      } else if (runner.digest !== loop.digest) {
        changed.push(loop.name);
        runner.reconfigure(loop);
      }
    }
    this.config = next;
    this.watchDone();
    this.journal.append('reload', null, { added, removed, changed });
    this.options.note?.(
      `reloaded ${next.file}: ${added.length} added, ${removed.length} removed, ${changed.length} changed`,
    );
  }

  /**
   * Stops every loop (each tree ended with its grace period), writes the
   * evidence of the supervised period when the work is done, closes the API
   * and releases `SUPERVISOR.lock`. Calling it again returns the same end.
   *
   * @param reason - `OK` (done), `INTERRUPTED` (a signal or `POST /stop`), `LOCK_HELD` (lock lost).
   * @param message - why, for people.
   * @returns the outcome.
   */
  shutdown(reason: ReasonCode, message: string): Promise<SupervisorOutcome> {
    this.finishing ??= this.finish(reason, message);
    return this.finishing;
  }

  private async finish(reason: ReasonCode, message: string): Promise<SupervisorOutcome> {
    this.journal.append('supervisor-stopping', null, { reason, message });
    this.doneWatcher?.close();
    const final = reason === 'OK' ? 'done' : 'stopped';
    await Promise.all([...this.runners.values()].map((runner) => runner.stop(final)));
    let evidence: SupervisorOutcome['evidence'];
    const outcomeReason = reason;
    let outcomeMessage = message;
    if (reason === 'OK') {
      try {
        evidence = await this.writePeriodEvidence(reason);
        this.journal.append('evidence', null, evidence);
      } catch (error) {
        this.journal.append('error', null, { what: 'evidence', message: (error as Error).message });
        outcomeMessage = `${message}; the evidence could not be written: ${(error as Error).message}`;
      }
    }
    for (const [signal, handler] of this.signalHandlers) process.off(signal, handler);
    if (this.ticker) clearInterval(this.ticker);
    await this.api?.close();
    for (const file of [this.paths.apiFile, this.paths.tokenFile]) {
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    }
    const finishedAt = new Date();
    const outcome: SupervisorOutcome = {
      reason: outcomeReason,
      exitCode: EXIT_CODES[outcomeReason],
      message: outcomeMessage,
      startedAt: this.startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: Math.round(performance.now() - this.startedPerf),
      loops: this.loops().map((loop) => ({ ...loop, runs: this.runsStarted.get(loop.name) ?? 0 })),
      ...(evidence ? { evidence } : {}),
    };
    this.journal.append('supervisor-stopped', null, {
      reason: outcome.reason,
      exitCode: outcome.exitCode,
      message: outcome.message,
      durationMs: outcome.durationMs,
    });
    this.journal.close();
    await this.lock.release().catch(() => undefined);
    this.settle(outcome);
    return outcome;
  }

  /** One manifest over every loop's run directories (`<stateDir>/loops`, locks left out). */
  private async writePeriodEvidence(
    reason: ReasonCode,
  ): Promise<NonNullable<SupervisorOutcome['evidence']>> {
    const root = this.paths.loopsDir;
    const exclude: string[] = [];
    for (const name of readdirSync(root)) {
      let entries: string[] = [];
      try {
        entries = readdirSync(join(root, name));
      } catch {
        continue;
      }
      for (const entry of entries)
        if (entry.startsWith('RUN.lock')) exclude.push(`${name}/${entry}`);
    }
    const outDir = this.paths.evidenceDir(this.sessionId);
    ensurePrivateDir(this.paths.stateDir, outDir);
    const self = this.self;
    const written = await writeEvidenceAsync(root, {
      outDir,
      exclude,
      predicate: {
        runId: this.sessionId,
        kind: 'supervised-period',
        command: ['runwarden-supervisor', 'start', '--config', this.config.file],
        cwd: process.cwd(),
        reason,
        exitCode: EXIT_CODES[reason],
        startedAt: this.startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        durationMs: Math.round(performance.now() - this.startedPerf),
        loops: this.loops().map((loop) => ({
          name: loop.name,
          state: loop.state,
          runs: this.runsStarted.get(loop.name) ?? 0,
          restarts: loop.restarts,
          lastReason: loop.lastReason,
        })),
        processes: self
          ? [
              {
                role: 'runwarden-supervisor',
                pid: self.pid,
                startTimeMs: self.startTimeMs,
                bootId: self.bootId,
                machineId: self.machineId,
                hostname: self.hostname,
              },
            ]
          : [],
      },
    });
    return {
      sumsPath: written.sumsPath,
      checkFrom: written.checkFrom,
      rootDigest: written.manifest.rootDigest,
    };
  }
}
