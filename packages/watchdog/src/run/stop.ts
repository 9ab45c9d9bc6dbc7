/**
 * Stopping a run from outside its child: an interrupt (the caller's signal),
 * a failed service the caller names (`serviceFailure(…)`), the loss of the
 * run's lock, a sidecar's death, or the mission timeout. The first one wins;
 * none counts once the run is finishing.
 */
import type { LockHandle } from '@runwarden/lock-core';
import type { JournalEvent, JournalEventType } from '../journal-schema.js';
import type { ReasonCode } from '../reasons.js';
import { isServiceFailure, type ServiceFailureReason } from '../stop-reason.js';
import { callAt } from './clock.js';

/** What stopped a run. */
export type StopKind = 'interrupted' | 'lock-lost' | 'service-failed' | 'mission-timeout';

/** The run's stop: who asked first, and the signal every wait and attempt listens to. */
export class RunStop {
  private readonly controller = new AbortController();
  private finishing = false;
  private cancelDeadline: (() => void) | undefined;
  /** What stopped the run; `undefined` while nothing did. */
  kind: StopKind | undefined;
  /** The lost lock's message, or the dead service's name. */
  detail = '';
  /** The failure the caller named as its abort reason. */
  externalFailure: ServiceFailureReason | undefined;

  /** Aborted once the run must stop. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True once the run's result is being written: nothing stops it any more. */
  get isFinishing(): boolean {
    return this.finishing;
  }

  /**
   * Stops the run, unless something stopped it already or it is finishing.
   *
   * @param kind - what stops it.
   * @param detail - the lost lock's message, or the dead service's name. @default ''
   */
  request(kind: StopKind, detail = ''): void {
    if (this.kind || this.finishing) return;
    this.kind = kind;
    this.detail = detail;
    this.controller.abort();
  }

  /**
   * Stops the run `mission-timeout` once the monotonic clock reaches the deadline.
   *
   * @param deadlineMs - the mission deadline, on `monotonicNow`'s clock.
   * @param monotonicNow - the run's monotonic clock.
   */
  armDeadline(deadlineMs: number, monotonicNow: () => number): void {
    this.cancelDeadline = callAt(deadlineMs, () => this.request('mission-timeout'), monotonicNow);
  }

  /** Marks the run as finishing (its result is being written); the deadline no longer applies. */
  finish(): void {
    this.finishing = true;
    this.cancelDeadline?.();
  }
}

/**
 * Listens to the caller's signal and the lock's: an abort stops the run
 * `interrupted` (or `service-failed` when its reason is a
 * {@link ServiceFailureReason}, with an `interrupted` event naming the
 * service), a lost lock `lock-lost`.
 *
 * @param sources - the stop, the caller's signal, the lock, and where events go.
 * @returns a function that removes the listeners.
 */
export function listenForStops(sources: {
  stop: RunStop;
  signal: AbortSignal | undefined;
  lock: LockHandle | undefined;
  emit: (
    type: JournalEventType,
    data: Record<string, unknown>,
    reason: JournalEvent['reason'],
  ) => void;
}): () => void {
  const { stop, signal, lock } = sources;
  const onAbort = () => {
    const why = signal?.reason;
    if (!isServiceFailure(why)) return stop.request('interrupted');
    if (stop.kind || stop.isFinishing) return;
    sources.emit('interrupted', { service: why.service, message: why.message }, 'SERVICE_FAILED');
    stop.externalFailure = why;
    stop.request('service-failed', why.service);
  };
  const onLockLost = () =>
    stop.request(
      'lock-lost',
      (lock?.signal.reason as Error | undefined)?.message ?? 'the lock was lost',
    );
  signal?.addEventListener('abort', onAbort, { once: true });
  lock?.signal.addEventListener('abort', onLockLost, { once: true });
  if (signal?.aborted) onAbort();
  if (lock?.signal.aborted) onLockLost();
  return () => {
    signal?.removeEventListener('abort', onAbort);
    lock?.signal.removeEventListener('abort', onLockLost);
  };
}

/** A stopped run, as plain data. */
export interface StopFacts {
  /** What stopped the run; `undefined` for nothing (an interrupt is assumed). */
  kind: StopKind | undefined;
  /** The lost lock's message, or the dead service's name. */
  detail: string;
  /** The failure the caller named as its abort reason, if any. */
  externalFailure?: ServiceFailureReason | undefined;
  /** The mission timeout, in ms. */
  missionTimeoutMs: number;
}

/**
 * The journal event that says why a run stopped (a service's death has its
 * own `service-died` event, written when it died).
 *
 * @param stop - what stopped it.
 * @returns the event's type, data and reason, or `undefined` for none.
 */
export function stopEventOf(
  stop: StopFacts,
): { type: JournalEventType; data: Record<string, unknown>; reason: ReasonCode } | undefined {
  switch (stop.kind) {
    case 'interrupted':
      return { type: 'interrupted', data: {}, reason: 'INTERRUPTED' };
    case 'lock-lost':
      return { type: 'lock-lost', data: { message: stop.detail }, reason: 'LOCK_HELD' };
    case 'mission-timeout':
      return {
        type: 'timeout',
        data: {
          what: 'mission',
          limitMs: stop.missionTimeoutMs,
          missionTimeoutMs: stop.missionTimeoutMs,
        },
        reason: 'MISSION_TIMEOUT',
      };
    default:
      return undefined;
  }
}

/**
 * The reason and message a stopped run ends with.
 *
 * @param stop - what stopped it.
 * @returns the reason code and one line for people.
 */
export function stopOutcome(stop: StopFacts): { reason: ReasonCode; message: string } {
  switch (stop.kind) {
    case 'mission-timeout':
      return {
        reason: 'MISSION_TIMEOUT',
        message: `Mission timeout of ${stop.missionTimeoutMs} ms exceeded; the tree was ended.`,
      };
    case 'lock-lost':
      return {
        reason: 'LOCK_HELD',
        message: `Lost the run's lock (${stop.detail}); the tree was ended.`,
      };
    case 'service-failed':
      return {
        reason: 'SERVICE_FAILED',
        message: stop.externalFailure
          ? `${stop.externalFailure.service} failed mid-run (${stop.externalFailure.message}); the tree was ended.`
          : `Service ${stop.detail} died mid-run; the tree was ended.`,
      };
    default:
      return { reason: 'INTERRUPTED', message: 'Interrupted; the tree was ended.' };
  }
}
