import type { HashProgress } from '@runwarden/evidence-hasher';
import type { SingleBar } from 'cli-progress';
import { CLI_DEFAULTS } from '../../defaults.js';
import { colors } from '../../output.js';

/**
 * Whether to draw a progress bar: only on a terminal, never with `--json`,
 * in CI, or on a dumb terminal (the bar itself waits
 * `CLI_DEFAULTS.progressDelayMs` before it appears, so quick hashes print nothing).
 *
 * @param facts - what the process knows about its output.
 * @returns true to draw.
 */
export function shouldShowProgress(facts: {
  isTTY: boolean;
  json: boolean;
  ci: boolean;
  term: string | undefined;
}): boolean {
  return facts.isTTY && !facts.json && !facts.ci && facts.term !== 'dumb';
}

/** A progress bar's two ends: feed it reports, stop it at the end. */
export interface Progress {
  onProgress: (progress: HashProgress) => void;
  stop: () => void;
}

/**
 * A progress bar (cli-progress) on stderr that appears once hashing has taken
 * `CLI_DEFAULTS.progressDelayMs`; cli-progress loads only then, on a terminal.
 */
function startProgress(enabled: boolean): Progress {
  if (!enabled) return { onProgress: () => undefined, stop: () => undefined };
  let Bar: typeof SingleBar | undefined;
  import('cli-progress').then(
    (module) => {
      Bar = module.SingleBar;
    },
    () => undefined, // no bar, the hashing goes on
  );
  const MiB = 1024 * 1024;
  const delayMs = CLI_DEFAULTS.progressDelayMs;
  let latest: HashProgress | undefined;
  let bar: SingleBar | undefined;
  const started = Date.now();
  // Shown from a timer, or from a progress report once the delay has passed
  // (a report may arrive while the event loop is busy hashing).
  const show = () => {
    if (bar || !Bar) return;
    bar = new Bar({
      stream: process.stderr,
      format: `${colors.dim('runwarden ▸')} hashing {bar} {percentage}% | {value}/{total} MiB | {files}/{filesTotal} files | {speed} MiB/s | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
      barsize: 24,
    });
    bar.start(latest ? Math.ceil(latest.bytesTotal / MiB) : 0, 0, {
      files: 0,
      filesTotal: latest?.filesTotal ?? 0,
      speed: 0,
    });
  };
  const timer = setTimeout(show, delayMs);
  timer.unref();
  return {
    onProgress(progress) {
      latest = progress;
      if (!bar && Date.now() - started >= delayMs) show();
      if (!bar) return;
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      bar.setTotal(Math.ceil(progress.bytesTotal / MiB));
      bar.update(Math.floor(progress.bytesDone / MiB), {
        files: progress.filesDone,
        filesTotal: progress.filesTotal,
        speed: Math.round(progress.bytesDone / MiB / seconds),
      });
    },
    stop() {
      clearTimeout(timer);
      bar?.stop();
    },
  };
}

/**
 * A progress bar on a terminal only: never with `--json`, in CI, or on a dumb terminal.
 *
 * @param json - whether `--json` was given.
 * @returns the bar (a no-op when it is not drawn).
 */
export function progressFor(json: boolean): Progress {
  return startProgress(
    shouldShowProgress({
      isTTY: Boolean(process.stderr.isTTY),
      json,
      ci: Boolean(process.env.CI),
      term: process.env.TERM,
    }),
  );
}
