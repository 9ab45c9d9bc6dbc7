import { describe, expect, it } from 'vitest';
import { ConfigError, SupervisorError } from './errors.js';

describe('the supervisor errors', () => {
  it('a base SupervisorError is not a ConfigError; a ConfigError is both', () => {
    const base = new SupervisorError({ code: 'ERR_STATE', reason: 'INVALID_STATE', message: 'x' });
    expect(SupervisorError.isInstance(base)).toBe(true);
    expect(ConfigError.isInstance(base)).toBe(false);
    const config = new ConfigError({
      file: 'runwarden.yaml',
      line: 3,
      key: 'loops',
      detail: 'bad',
    });
    expect(SupervisorError.isInstance(config)).toBe(true);
    expect(ConfigError.isInstance(config)).toBe(true);
    expect(config).toMatchObject({
      name: 'ConfigError',
      code: 'ERR_CONFIG',
      reason: 'USAGE',
      message: 'runwarden.yaml:3: loops: bad',
      data: { file: 'runwarden.yaml', line: 3, key: 'loops' },
    });
    expect(base.name).toBe('SupervisorError');
    expect(Object.keys(base)).not.toContain('runwarden.supervisor.error.SupervisorError');
    expect(SupervisorError.isInstance(new Error('x'))).toBe(false);
  });

  it('keeps the options it was given: hint, cause and data', () => {
    const cause = new Error('inner');
    const error = new SupervisorError({
      code: 'ERR_API',
      reason: 'INTERNAL',
      message: 'no answer',
      hint: 'look',
      cause,
      data: { pid: 1 },
    });
    expect(error).toMatchObject({ hint: 'look', cause, data: { pid: 1 }, message: 'no answer' });
  });
});
