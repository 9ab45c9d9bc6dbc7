import { describe, expect, it } from 'vitest';
import { WatchdogError } from './errors.js';
import type { SuperviseOptions } from './options.js';
import { validateOptions } from './options-schema.js';

const base: SuperviseOptions = { command: 'true', runDir: '/tmp/x' };
const messageOf = (options: Partial<SuperviseOptions> | Record<string, unknown>) => {
  try {
    validateOptions({ ...base, ...options } as SuperviseOptions);
  } catch (error) {
    if (!WatchdogError.isInstance(error)) throw error;
    return { code: error.code, option: error.option, message: error.message };
  }
  return undefined;
};

describe('validateOptions', () => {
  it('accepts a full set of options', () => {
    expect(
      messageOf({
        idleTimeoutMs: 1000,
        startupIdleMs: 500,
        progressIdleMs: 60_000,
        watch: ['.git/logs/HEAD'],
        quota: { pattern: 'usage limit', fallbackPauseMs: 1000 },
        services: [{ command: 'opencode', args: ['serve'], readyUrl: 'http://127.0.0.1:4096/' }],
        logs: { maxBytes: 1024, backups: 2, chain: false },
        signal: new AbortController().signal,
        now: () => 0,
        monotonicNow: () => 0,
      }),
    ).toBeUndefined();
  });

  it.each([
    [{ idleTimeoutMs: -1 }, 'idleTimeoutMs', 'idleTimeoutMs: idleTimeoutMs must not be negative'],
    [
      { idleTimeoutMs: 1.5 },
      'idleTimeoutMs',
      'idleTimeoutMs: idleTimeoutMs must be a whole number of ms',
    ],
    [{ command: '' }, 'command', 'command: must not be empty'],
    [{ maxResumes: 'many' }, 'maxResumes', 'maxResumes: maxResumes must be a number'],
    [
      { quota: { pattern: '(' } },
      'quota.pattern',
      'quota.pattern: is not a valid regular expression: Invalid regular expression: /(/i: Unterminated group',
    ],
    [
      { services: [{ command: 'x', readyUrl: 'not a url' }] },
      'services.0.readyUrl',
      'services.0.readyUrl: must be an http:// or https:// URL',
    ],
    [
      { services: [{ command: 'x', readyPort: 70_000 }] },
      'services.0.readyPort',
      'services.0.readyPort: must be a port from 1 to 65535',
    ],
    [{ backoff: { jitter: 2 } }, 'backoff.jitter', 'backoff.jitter: must be between 0 and 1'],
    [
      { progressIdleMs: 1000 },
      'progressIdleMs',
      'progressIdleMs: needs a progress source (watch or heartbeatFile)',
    ],
    [{ runId: '../escape' }, 'runId', 'runId: must be letters, digits, `.`, `_` or `-`'],
    [{ logs: { chain: 'yes' } }, 'logs.chain', 'logs.chain: must be true or false'],
    [{ monotonicNow: 5 }, 'monotonicNow', 'monotonicNow: must be a function'],
    [
      { resumeOn: ['hang', 'on-failure'] },
      'resumeOn.1',
      'resumeOn.1: must be one of hang, signal, exit-0, failure',
    ],
    // No message of the schema's own: zod's English one (zod/mini loads no locale; validateOptions asks for English).
    [{ args: 'a b' }, 'args', 'args: Invalid input: expected array, received string'],
    [
      { adopt: { pid: 3, startTicks: -1 } },
      'adopt.startTicks',
      'adopt.startTicks: Too small: expected number to be >=0',
    ],
  ])('rejects %j naming the option', (options, option, message) => {
    expect(messageOf(options)).toEqual({ code: 'ERR_INVALID_OPTION', option, message });
  });
});
