import type { ReasonCode } from '../reasons.js';
import type { RunEnd } from './finish.js';
import type { RunContext } from './run-context.js';

/** How many of the run's last output lines the hand-off carries. */
export const HANDOFF_LINES = 50;

/**
 * Shell-quotes a command line (POSIX `sh`: a word of safe characters as it
 * is, any other in single quotes).
 *
 * @param parts - the command and its arguments.
 * @returns one line to paste into a shell.
 */
export function shellQuote(parts: string[]): string {
  return parts
    .map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : `'${part.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

/**
 * Hands the run over to a person once the resume budget is spent: a
 * `handoff` event with the last lines, the command to resume by hand, the
 * working directory, the last cause and checkpoint.
 *
 * @param context - the run.
 * @param cause - the reason of the last death.
 * @returns the `RESUME_BUDGET_EXHAUSTED` end.
 */
export function handoffEnd(context: RunContext, cause: ReasonCode): RunEnd {
  const next = context.specFor(context.state.attempt + 1);
  const manual = shellQuote([next.command, ...(next.args ?? [])]);
  context.emit(
    'handoff',
    {
      lastLines: context.tee.runTail.lines(HANDOFF_LINES),
      resumeCommand: manual,
      cwd: context.settings.cwd,
      lastCause: cause,
      checkpoint: context.watcher.lastCheckpoint(),
    },
    'RESUME_BUDGET_EXHAUSTED',
  );
  return {
    reason: 'RESUME_BUDGET_EXHAUSTED',
    message: `Died ${context.state.attempt} time(s); the budget of ${context.settings.policy.maxResumes} resume(s) without progress is spent. Resume by hand: ${manual}`,
  };
}
