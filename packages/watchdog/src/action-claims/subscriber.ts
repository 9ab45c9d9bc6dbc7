/**
 * The action-claim listener of a supervised run: an {@link OutputSubscriber}
 * that cuts the output into lines and classifies them, so enabling claims on
 * a run is one line (`subscribers: [createActionClaimSubscriber({onClaim})]`).
 */
import { WATCHDOG_DEFAULTS } from '../defaults.js';
import type { ChunkInfo, OutputStreamName, OutputSubscriber } from '../output-stream.js';
import { type ActionClaimVerdict, classifyActionClaim } from './classify.js';
import { CLAIM_GATE } from './phrases.js';
import { isFence } from './text.js';
import { VERB_STEM } from './verbs.js';

/** A claim heard in a run's output. */
export type HeardActionClaim = Extract<ActionClaimVerdict, { claim: true }> & {
  /** The whole output line, as printed (without its line break). */
  line: string;
  /** The stream it came on. */
  stream: OutputStreamName;
  /** The attempt (1-based) that printed it. */
  attempt: number;
};

/** Options for {@link createActionClaimSubscriber}. */
export interface ActionClaimSubscriberOptions {
  /** Called with each claim, in output order; what it throws is ignored (a claim is a signal, never an authority). */
  onClaim: (claim: HeardActionClaim) => void;
  /** The streams listened to. @default ['stdout', 'stderr'] */
  streams?: readonly OutputStreamName[];
  /**
   * Longest line read, in bytes: a longer line is classified on its first
   * `maxLineBytes` only (claims are sentences, not log dumps).
   * @default WATCHDOG_DEFAULTS.actionClaims.maxLineBytes (4096)
   */
  maxLineBytes?: number;
  /**
   * Turns a line into the text to classify, or `null` to skip it: e.g. the
   * `text` field of an agent's JSON event lines (`claude -p --output-format
   * stream-json`), whose words are otherwise inside JSON quotes and so never a
   * claim. With it every line is decoded (no fast gate).
   * @default the line itself
   */
  toText?: (line: string) => string | null;
}

/** An {@link OutputSubscriber} that also reads a last line left without a line break. */
export interface ActionClaimSubscriber extends OutputSubscriber {
  /** Classifies each stream's unfinished last line, and forgets code-fence state (call when a run ends). */
  flush(): void;
}

interface StreamState {
  partial: Buffer[];
  partialBytes: number;
  inFence: boolean;
}

/**
 * Creates the output subscriber that hears action claims. Each chunk is first
 * searched as latin1 text (one byte, one character, no decoding) for the fast
 * gate ({@link CLAIM_GATE}: a first-person scope, a time marker or a code
 * fence, which every claim and fence line contains); a line with a match that
 * also holds a verb of the set ({@link ACTION_VERBS}) is decoded and
 * classified with {@link classifyActionClaim}.
 * The claims heard are exactly those of classifying every line (lines inside
 * a fenced code block are code, never claims), whatever the chunk boundaries.
 * A new attempt flushes the previous attempt's unfinished lines.
 *
 * @param options - the callback, the streams, the longest line, a text extractor.
 * @returns the subscriber, with `flush()` for the end of the run.
 * @example
 * ```ts
 * const claims = createActionClaimSubscriber({ onClaim: (claim) => console.log(claim.verb, claim.line) });
 * await superviseRun({ command: 'claude', args: ['-p', prompt], subscribers: [claims], onFinish: () => claims.flush() });
 * ```
 */
export function createActionClaimSubscriber(
  options: ActionClaimSubscriberOptions,
): ActionClaimSubscriber {
  const streams = new Set<OutputStreamName>(options.streams ?? ['stdout', 'stderr']);
  const maxLineBytes = options.maxLineBytes ?? WATCHDOG_DEFAULTS.actionClaims.maxLineBytes;
  const gate = new RegExp(CLAIM_GATE.source, 'gi');
  const states: Record<OutputStreamName, StreamState> = {
    stdout: { partial: [], partialBytes: 0, inFence: false },
    stderr: { partial: [], partialBytes: 0, inFence: false },
  };
  let currentAttempt: number | undefined;

  const hear = (bytes: Buffer, info: ChunkInfo) => {
    const state = states[info.stream];
    let line = bytes.toString('utf8');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (isFence(line)) {
      state.inFence = !state.inFence;
      return;
    }
    if (state.inFence) return;
    const text = options.toText ? options.toText(line) : line;
    if (!text) return;
    const verdict = classifyActionClaim(text);
    if (!verdict.claim) return;
    try {
      options.onClaim({ ...verdict, line, stream: info.stream, attempt: info.attempt });
    } catch {
      // The listener's failure must not stop the hearing of later lines.
    }
  };
  const gated = (text: string) => {
    gate.lastIndex = 0;
    return gate.test(text);
  };
  // A claim has a verb of the set; Markdown emphasis (`**`, `__`) is the only
  // decoration the classifier drops from inside words, so drop it here too.
  const mayClaim = (line: string) =>
    isFence(line) ||
    VERB_STEM.test(line.includes('*') || line.includes('_') ? line.replace(/[*_]/g, '') : line);
  const keep = (state: StreamState, bytes: Buffer) => {
    const room = maxLineBytes - state.partialBytes;
    if (room <= 0 || bytes.length === 0) return;
    const kept = Buffer.from(bytes.subarray(0, room));
    state.partial.push(kept);
    state.partialBytes += kept.length;
  };
  const finishPartial = (state: StreamState, info: ChunkInfo) => {
    const line = Buffer.concat(state.partial);
    state.partial = [];
    state.partialBytes = 0;
    if (options.toText) hear(line, info);
    else {
      const text = line.toString('latin1');
      if (gated(text) && mayClaim(text)) hear(line, info);
    }
  };
  const flushAll = (attempt: number) => {
    for (const stream of ['stdout', 'stderr'] as const) {
      const state = states[stream];
      if (state.partialBytes > 0) finishPartial(state, { stream, attempt });
      state.inFence = false;
    }
  };

  const subscriber = (chunk: Buffer, info: ChunkInfo) => {
    if (!streams.has(info.stream)) return;
    if (currentAttempt !== undefined && info.attempt !== currentAttempt) flushAll(currentAttempt);
    currentAttempt = info.attempt;
    const state = states[info.stream];
    let start = 0;
    if (state.partialBytes > 0) {
      const newline = chunk.indexOf(10);
      if (newline < 0) {
        keep(state, chunk);
        return;
      }
      keep(state, chunk.subarray(0, newline));
      finishPartial(state, info);
      start = newline + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last >= start) {
      const text = chunk.toString('latin1', start, last);
      if (options.toText) {
        let lineStart = 0;
        for (let end = text.indexOf('\n'); ; end = text.indexOf('\n', lineStart)) {
          const stop = end < 0 ? text.length : end;
          hear(
            chunk.subarray(start + lineStart, start + Math.min(stop, lineStart + maxLineBytes)),
            info,
          );
          if (end < 0) break;
          lineStart = end + 1;
        }
      } else {
        gate.lastIndex = 0;
        for (let match = gate.exec(text); match; match = gate.exec(text)) {
          const lineStart = text.lastIndexOf('\n', match.index) + 1;
          const newline = text.indexOf('\n', match.index);
          const lineEnd = Math.min(newline < 0 ? text.length : newline, lineStart + maxLineBytes);
          if (mayClaim(text.slice(lineStart, lineEnd)))
            hear(chunk.subarray(start + lineStart, start + lineEnd), info);
          if (newline < 0) break;
          gate.lastIndex = newline + 1;
        }
      }
      start = last + 1;
    }
    keep(state, chunk.subarray(start));
  };
  return Object.assign(subscriber, {
    flush: () => {
      if (currentAttempt !== undefined) flushAll(currentAttempt);
    },
  });
}
