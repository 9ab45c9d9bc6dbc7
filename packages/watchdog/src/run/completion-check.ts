import { runCheckCommand } from '../check-command.js';
import { judgeCompletion } from './completion.js';
import type { RunContext } from './run-context.js';

/** What {@link checkCompletion} found. */
export interface CompletionCheck {
  complete: boolean;
  /** What proved completion, when it is complete. */
  by?: string;
  /** The check command's output changed since its previous run (progress). */
  checkAdvanced: boolean;
}

/**
 * Whether the run is complete after an attempt ended: gathers the facts of
 * {@link judgeCompletion}, running the check command (its `check` event
 * written) and asking `isComplete` only when the verdict needs them.
 *
 * @param context - the run.
 * @param attempt - whether the attempt exited 0, and whether it printed a quota message.
 * @returns complete or not, by what, and whether the check advanced.
 */
export async function checkCompletion(
  context: RunContext,
  attempt: { exitedZero: boolean; quotaHit: boolean },
): Promise<CompletionCheck> {
  const { options, settings, state } = context;
  const facts: Parameters<typeof judgeCompletion>[0] = {
    predicates: {
      doneSignal: options.doneFile !== undefined || options.doneMarker !== undefined,
      checkCommand: options.checkCommand !== undefined,
      isComplete: options.isComplete !== undefined,
    },
    ...attempt,
    doneFileFresh: context.doneFileWatch?.isFresh() ?? false,
    markerSeen: state.markerThisAttempt,
  };
  let checkAdvanced = false;
  for (;;) {
    const verdict = judgeCompletion(facts);
    if (verdict.state === 'complete') return { complete: true, by: verdict.by, checkAdvanced };
    if (verdict.state === 'incomplete') return { complete: false, checkAdvanced };
    if (verdict.needs === 'is-complete') {
      facts.isComplete = Boolean(await options.isComplete?.());
      continue;
    }
    const check = await runCheckCommand({
      command: options.checkCommand!,
      cwd: settings.cwd,
      env: settings.baseEnv,
      token: `${settings.runId}~check`,
      timeoutMs: options.checkTimeoutMs,
      signal: context.stop.signal,
    });
    checkAdvanced = state.lastCheckOutput !== undefined && check.output !== state.lastCheckOutput;
    state.lastCheckOutput = check.output;
    context.emit('check', {
      passed: check.passed,
      exitCode: check.exitCode,
      durationMs: check.durationMs,
      timedOut: check.timedOut,
      advanced: checkAdvanced,
      output: check.output.split('\n').slice(-10),
    });
    facts.check = { passed: check.passed };
  }
}
