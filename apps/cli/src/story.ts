import { formatDuration } from '@runwarden/cli-kit';
import type { JournalEvent } from '@runwarden/watchdog';
import { colors, say } from './output.js';

/**
 * One journal event as a line of the run's story, for people; `undefined` for
 * events that tell nothing new (e.g. `ended`, printed by the caller).
 *
 * @param event - a journal event.
 * @param settings - the run's budget, for "resume n of N".
 * @returns the line, without the `runwarden ▸` prefix.
 */
export function storyLine(
  event: JournalEvent,
  settings: { maxResumes: number },
): string | undefined {
  const data = event as Record<string, unknown>;
  const ms = (value: unknown) => formatDuration(Number(value));
  switch (event.type) {
    case 'started':
      return `run ${colors.bold(event.runId)} started: ${[data.command, ...((data.args as string[]) ?? [])].join(' ')}`;
    case 'service-started':
      return `service ${String(data.name)} started (pid ${String(data.pid)}): waiting until it is ready`;
    case 'service-ready':
      return colors.green(
        `service ${String(data.name)} ready after ${ms(data.waitedMs)} (${String(data.via)})`,
      );
    case 'service-died':
      return colors.red(
        `service ${String(data.name)} died (${data.signal ? String(data.signal) : `exit ${String(data.code)}`}): ending the run`,
      );
    case 'spawned':
      return `attempt ${event.attempt} running (pid ${String(data.pid)})`;
    case 'adopted':
      return `adopted pid ${String(data.pid)} as attempt ${event.attempt}: watching its identity`;
    case 'progress':
      return colors.dim(`progress: ${String(data.source)} changed`);
    case 'output-idle':
      return colors.yellow(
        `no output for ${ms(data.idleTimeoutMs)}: idle detected, ending the attempt`,
      );
    case 'startup-idle':
      return colors.yellow(`no first output within ${ms(data.startupIdleMs)}: ending the attempt`);
    case 'progress-idle':
      return colors.yellow(
        `no progress for ${ms(data.progressIdleMs)} (output alone is not progress): ending the attempt`,
      );
    case 'timeout':
      return data.what === 'service-startup'
        ? colors.red(`service ${String(data.service)} not ready within ${ms(data.limitMs)}`)
        : colors.red(`mission timeout of ${ms(data.limitMs)} reached: ending the tree`);
    case 'lock-lost':
      return colors.red(`lost the lock: ${String(data.message)}`);
    case 'exited':
      return `attempt ${event.attempt} exited (${data.signal ? String(data.signal) : `code ${String(data.code)}`}) after ${ms(data.uptimeMs)}`;
    case 'kill': {
      const killed = (data.killed as number[]) ?? [];
      const survivors = (data.survivors as unknown[]) ?? [];
      return `ended ${killed.length} process(es) (${String(data.why)})${data.escalated ? ' (SIGKILL needed)' : ''}${survivors.length ? colors.red(`, ${survivors.length} survived`) : ''}`;
    }
    case 'check':
      return data.passed
        ? colors.green(`completion check passed (${ms(data.durationMs)})`)
        : colors.yellow(
            `completion check failed (exit ${String(data.exitCode)}${data.timedOut ? ', timed out' : ''})`,
          );
    case 'died':
      return colors.yellow(
        `attempt ${event.attempt} ended before completion (${event.reason}, ${String(data.cause)}${data.progressed ? ', with progress' : ''}${data.rule ? `, rule ${String(data.rule)}` : ''})`,
      );
    case 'resume-scheduled':
      return `resuming in ${ms(data.delayMs)}${data.rule ? ` (resume-on ${String(data.rule)})` : ''} (${data.countsAgainstBudget ? `budget ${String(data.budgetSpent)}/${settings.maxResumes}` : 'progress was made: budget not spent'})`;
    case 'quota-pause':
      return colors.yellow(
        `quota hit ("${String(data.line)}"): pausing ${ms(data.delayMs)} until ${String(data.until)}${data.resetParsed ? '' : ' (no reset time given)'}; budget not spent`,
      );
    case 'resumed':
      return colors.cyan(`resumed: attempt ${event.attempt} (pid ${String(data.pid)})`);
    case 'completed':
      return colors.green(`DONE after ${event.attempt} attempt(s) (${String(data.by)})`);
    case 'handoff':
      return colors.red(
        `resume budget spent; resume by hand: ${String(data.resumeCommand)}${data.checkpoint ? ` with RUNWARDEN_CHECKPOINT='${JSON.stringify(data.checkpoint)}'` : ''}`,
      );
    case 'interrupted':
      return colors.yellow('interrupted: ending the tree');
    case 'warning':
      return colors.yellow(`warning: ${String(data.message)}`);
    default:
      return undefined;
  }
}

/**
 * Prints one journal event as a line of the run's story on stderr.
 *
 * @param event - a journal event.
 * @param settings - the run's budget.
 */
export function describeEvent(event: JournalEvent, settings: { maxResumes: number }): void {
  const line = storyLine(event, settings);
  if (line !== undefined) say(line);
}
