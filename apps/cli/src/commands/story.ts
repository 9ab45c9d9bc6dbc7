import type { JournalEvent } from '@runwarden/watchdog';
import { formatDuration } from '../durations.js';
import { colors, say } from '../output.js';

/** Prints one journal event as a line of the run's story, for people. */
export function describeEvent(event: JournalEvent, settings: { maxResumes: number }): void {
  const data = event as Record<string, unknown>;
  switch (event.type) {
    case 'started':
      say(
        `run ${colors.bold(event.runId)} started: ${[data.command, ...((data.args as string[]) ?? [])].join(' ')}`,
      );
      break;
    case 'spawned':
      say(`attempt ${event.attempt} running (pid ${String(data.pid)})`);
      break;
    case 'output-idle':
      say(
        colors.yellow(
          `no output for ${formatDuration(Number(data.idleTimeoutMs))}: idle detected, ending the attempt`,
        ),
      );
      break;
    case 'startup-idle':
      say(
        colors.yellow(
          `no first output within ${formatDuration(Number(data.startupTimeoutMs))}: ending the attempt`,
        ),
      );
      break;
    case 'timeout':
      say(
        colors.red(
          `mission timeout of ${formatDuration(Number(data.missionTimeoutMs))} reached: ending the tree`,
        ),
      );
      break;
    case 'kill': {
      const killed = (data.killed as number[]) ?? [];
      const survivors = (data.survivors as unknown[]) ?? [];
      say(
        `ended ${killed.length} process(es)${data.escalated ? ' (SIGKILL needed)' : ''}${survivors.length ? colors.red(`, ${survivors.length} survived`) : ''}`,
      );
      break;
    }
    case 'died':
      say(
        colors.yellow(
          `attempt ${event.attempt} ended before completion (${event.reason}${data.code !== undefined && data.code !== null ? `, exit ${String(data.code)}` : ''}${data.signal ? `, ${String(data.signal)}` : ''})`,
        ),
      );
      break;
    case 'resume-scheduled':
      say(
        `resuming in ${formatDuration(Number(data.delayMs))} (resume ${event.attempt} of ${settings.maxResumes})`,
      );
      break;
    case 'resumed':
      say(colors.cyan(`resumed: attempt ${event.attempt} (pid ${String(data.pid)})`));
      break;
    case 'completed':
      say(colors.green(`DONE after ${event.attempt} attempt(s)`));
      break;
    case 'handoff':
      say(colors.red(`resume budget spent; resume by hand: ${String(data.resumeCommand)}`));
      break;
    case 'interrupted':
      say(colors.yellow('interrupted: ending the tree'));
      break;
    default:
      break;
  }
}
