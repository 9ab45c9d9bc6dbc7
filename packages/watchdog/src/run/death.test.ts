import { describe, expect, it } from 'vitest';
import {
  classifyDeath,
  type DeathEnd,
  describeCause,
  failureMessage,
  type ProcessExit,
} from './death.js';

const exited = (code: number): ProcessExit => ({ code, signal: null });
const killed = (signal: NodeJS.Signals): ProcessExit => ({ code: null, signal });
const gone: ProcessExit = { code: null, signal: null };

describe('classifyDeath', () => {
  it.each<[string, DeathEnd, ProcessExit | null, ReturnType<typeof classifyDeath>]>([
    [
      'exit 0 without completion is a false success',
      'exit',
      exited(0),
      { cause: 'FALSE_SUCCESS', rule: 'exit-0', retryable: true, label: 'exited 0' },
    ],
    [
      'exit 1 is a failure',
      'exit',
      exited(1),
      { cause: 'CHILD_FAILED', rule: 'failure', retryable: true, label: 'exited 1' },
    ],
    [
      'exit 126 (not executable) is not retried',
      'exit',
      exited(126),
      { cause: 'CHILD_FAILED', rule: 'failure', retryable: false, label: 'exited 126' },
    ],
    [
      'exit 127 (not found) is not retried',
      'exit',
      exited(127),
      { cause: 'CHILD_FAILED', rule: 'failure', retryable: false, label: 'exited 127' },
    ],
    [
      'a kill by a signal is the signal rule',
      'exit',
      killed('SIGKILL'),
      { cause: 'CHILD_FAILED', rule: 'signal', retryable: true, label: 'killed by SIGKILL' },
    ],
    [
      'an adopted process whose end cannot be read is the signal rule',
      'exit',
      gone,
      { cause: 'CHILD_FAILED', rule: 'signal', retryable: true, label: 'gone' },
    ],
    [
      'an exit with nothing known of it is the signal rule',
      'exit',
      null,
      { cause: 'CHILD_FAILED', rule: 'signal', retryable: true, label: 'gone' },
    ],
    [
      'output idle is a hang, whatever the kill left',
      'output-idle',
      killed('SIGTERM'),
      { cause: 'IDLE_TIMEOUT', rule: 'hang', retryable: true, label: 'output-idle' },
    ],
    [
      'progress idle is a hang',
      'progress-idle',
      exited(0),
      { cause: 'IDLE_TIMEOUT', rule: 'hang', retryable: true, label: 'progress-idle' },
    ],
    [
      'startup idle is a hang with its own reason',
      'startup-idle',
      killed('SIGKILL'),
      { cause: 'STARTUP_TIMEOUT', rule: 'hang', retryable: true, label: 'startup-idle' },
    ],
    [
      'completion seen and the process lingering is a false success',
      'completed-alive',
      killed('SIGTERM'),
      { cause: 'FALSE_SUCCESS', rule: 'exit-0', retryable: true, label: 'completed-alive' },
    ],
    [
      'a verdict ends an attempt retryably even when the kill left exit code 127',
      'output-idle',
      exited(127),
      { cause: 'IDLE_TIMEOUT', rule: 'hang', retryable: true, label: 'output-idle' },
    ],
  ])('%s', (_title, end, exit, verdict) => {
    expect(classifyDeath({ end, exit })).toEqual(verdict);
  });
});

describe('describeCause', () => {
  it.each<[Parameters<typeof describeCause>[0], ProcessExit | null, string]>([
    ['IDLE_TIMEOUT', killed('SIGTERM'), 'went idle'],
    ['STARTUP_TIMEOUT', null, 'never printed'],
    ['FALSE_SUCCESS', exited(0), 'exited 0 without completing'],
    ['FALSE_SUCCESS', killed('SIGTERM'), 'killed by SIGTERM without completing'],
    ['FALSE_SUCCESS', null, 'exited 0 without completing'],
    ['CHILD_FAILED', exited(3), 'exited 3'],
    ['CHILD_FAILED', killed('SIGKILL'), 'killed by SIGKILL'],
    ['CHILD_FAILED', gone, 'gone'],
  ])('%s after %j reads "%s"', (cause, exit, words) => {
    expect(describeCause(cause, exit)).toBe(words);
  });
});

describe('failureMessage', () => {
  const base = {
    command: 'agent',
    cause: 'CHILD_FAILED' as const,
    exit: exited(1),
    rule: 'failure' as const,
    resumeOn: ['hang', 'signal'] as const,
  };
  it.each<[Parameters<typeof failureMessage>[0]['why'], readonly string[], string]>([
    ['not-retryable', ['hang'], 'agent exited 1: the command could not be run; not retried.'],
    [
      'not-in-resume-on',
      ['hang', 'signal'],
      'agent exited 1; not resumed (failure is not in resume-on: hang,signal).',
    ],
    ['not-in-resume-on', [], 'agent exited 1; not resumed (failure is not in resume-on: none).'],
    ['resumes-disabled', ['hang'], 'agent exited 1; no resumes allowed.'],
  ])('%s with resume-on %j', (why, resumeOn, message) => {
    expect(failureMessage({ ...base, why, resumeOn: resumeOn as typeof base.resumeOn })).toBe(
      message,
    );
  });
});
