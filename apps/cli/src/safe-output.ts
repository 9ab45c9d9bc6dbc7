import { closeSync } from 'node:fs';

/** Why the CLI's own output stopped: the reader left (`EPIPE`) or the terminal hung up (`EIO`). */
export type OutputLoss = 'reader-gone' | 'hung-up';

type HangupListener = () => void;

const state = {
  installed: false,
  hungUp: false,
  /** Which of fds 0, 1, 2 were terminals when the CLI started (node resets them at exit). */
  ttys: [false, false, false],
  listeners: new Set<HangupListener>(),
  lost: {
    stdout: undefined as OutputLoss | undefined,
    stderr: undefined as OutputLoss | undefined,
  },
};

/**
 * Marks the terminal as hung up (a SIGHUP, or EIO on a write) and tells the
 * listeners once. At exit the terminal's descriptors are then closed first:
 * Node.js restores a terminal's mode on exit (`ResetStdio`) and aborts when
 * that fails, which it does on a hung-up terminal (EIO), so the process
 * would die by SIGABRT instead of with its exit code.
 */
export function markHungUp(): void {
  if (state.hungUp) return;
  state.hungUp = true;
  for (const listener of [...state.listeners]) {
    try {
      listener();
    } catch {
      // a listener's bug must not stop the others
    }
  }
}

/**
 * Calls `listener` once when the terminal hangs up (see {@link markHungUp}).
 *
 * @param listener - what to do (the run ends its tree, like on SIGHUP).
 * @returns a function that removes it.
 */
export function onHangup(listener: HangupListener): () => void {
  state.listeners.add(listener);
  return () => state.listeners.delete(listener);
}

/** How each of the CLI's own streams stopped, if it did. */
export function outputLoss(): { stdout?: OutputLoss; stderr?: OutputLoss } {
  return { ...state.lost };
}

/**
 * Makes the CLI's own writes to stdout and stderr never throw, whatever the
 * reader does (as a `grep -q` or `head -1` after it, or a closed terminal):
 * an `error` on either stream (EPIPE, EIO, a write after the stream was
 * destroyed) is heard instead of crashing the process with a stack trace.
 * EPIPE stops that stream only (writes after it are dropped); EIO is the
 * terminal hanging up and is handled like SIGHUP ({@link markHungUp}). The
 * exit code stays the command's (Node.js ignores SIGPIPE, so a reader that
 * left is not a failure of ours). Installed once, at the start of `main`.
 */
export function guardOutput(): void {
  if (state.installed) return;
  state.installed = true;
  state.ttys = [process.stdin, process.stdout, process.stderr].map((stream) =>
    Boolean((stream as { isTTY?: boolean }).isTTY),
  );
  for (const name of ['stdout', 'stderr'] as const) {
    process[name].on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EIO') {
        state.lost[name] ??= 'hung-up';
        markHungUp();
      } else {
        state.lost[name] ??= 'reader-gone';
      }
    });
  }
  process.on('exit', () => {
    if (!state.hungUp) return;
    for (const [fd, tty] of state.ttys.entries()) {
      if (!tty) continue;
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
  });
}
