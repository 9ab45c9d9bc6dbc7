import { type FSWatcher, lstatSync, watch } from 'node:fs';
import { livenessProbe } from './liveness-probe.js';
import { type ReadLock, readLockFile } from './lock-file.js';

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
 * Sleeps until `wakeBy` (performance.now ms), or sooner: when the lock file
 * is moved or removed (inotify on it; every waiter is woken and spread by up
 * to 2 ms, and one that finds the lock taken again reads who has it, watches
 * the new file and sleeps on), when `probe` says the holder may be gone
 * (checked every `pollMs`), or when `signal` aborts (README, "Waiting").
 *
 * @param path - the lock file.
 * @param options - `wakeBy`, the holder's `probe`, `pollMs` and `signal`.
 * @returns once it is worth another attempt.
 */
export async function waitForTurn(
  path: string,
  options: {
    wakeBy: number;
    probe: (() => boolean) | undefined;
    pollMs: number;
    signal: AbortSignal | undefined;
  },
): Promise<void> {
  const { wakeBy, pollMs, signal } = options;
  let probe = options.probe;
  for (;;) {
    const watcher = new LockWatch(path);
    let why: Wake;
    try {
      // Gone before the watch was set: try again at once.
      if (!watcher.watching && !exists(path)) return;
      why = await waitForChange({
        delayMs: wakeBy - performance.now(),
        probe,
        pollMs,
        watch: watcher,
        signal,
      });
    } finally {
      watcher.close();
    }
    if (why !== 'released') return;
    // Every waiter is woken: spread them by up to 2 ms. One that finds the
    // lock taken again reads who has it (no judging, no temp file), watches
    // the new file and sleeps on; only a lock still gone is worth an attempt.
    await new Promise((resolveJitter) => setTimeout(resolveJitter, Math.random() * 2));
    let current: ReadLock | null;
    try {
      current = readLockFile(path);
    } catch {
      return;
    }
    if (!current || performance.now() >= wakeBy) return;
    probe = livenessProbe(current.content);
  }
}
