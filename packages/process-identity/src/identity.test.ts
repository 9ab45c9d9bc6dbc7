import { describe, expect, it } from 'vitest';
import { judgeIdentity, type ObservedProcess, type ProcessIdentity } from './identity.js';

const host = { bootId: 'boot-a', machineId: 'machine-a', hostname: 'box' };
const identity: ProcessIdentity = {
  pid: 100,
  startTicks: 5000,
  startTimeMs: 1_700_000_000_000,
  bootId: 'boot-a',
  machineId: 'machine-a',
  hostname: 'box',
  comm: 'node',
};
const alive: ObservedProcess = { stat: { state: 'S', startTicks: 5000, comm: 'node' } };

describe('judgeIdentity', () => {
  it('is alive when pid, start ticks and executable match', () => {
    expect(judgeIdentity(identity, alive, host)).toEqual({
      status: 'alive',
      reason: 'identity-matches',
    });
  });

  it('is foreign-host when the machine id differs, whatever the hostname', () => {
    expect(judgeIdentity(identity, alive, { ...host, machineId: 'machine-b' }).status).toBe(
      'foreign-host',
    );
  });

  it('treats a renamed host with the same machine id as this machine', () => {
    expect(judgeIdentity(identity, alive, { ...host, hostname: 'renamed' }).status).toBe('alive');
  });

  it('falls back to the hostname only when a machine id is missing', () => {
    expect(
      judgeIdentity({ ...identity, machineId: '' }, alive, { ...host, hostname: 'other' }).status,
    ).toBe('foreign-host');
  });

  it('is dead after a reboot (boot id changed)', () => {
    expect(judgeIdentity(identity, alive, { ...host, bootId: 'boot-b' })).toEqual({
      status: 'dead',
      reason: 'boot-changed',
    });
  });

  it('is dead when the pid does not exist', () => {
    expect(judgeIdentity(identity, { stat: null }, host)).toEqual({
      status: 'dead',
      reason: 'no-such-process',
    });
  });

  it('is dead when the process is a zombie', () => {
    expect(
      judgeIdentity(identity, { stat: { state: 'Z', startTicks: 5000, comm: 'node' } }, host),
    ).toEqual({
      status: 'dead',
      reason: 'zombie',
    });
  });

  it('is reused when the start ticks differ', () => {
    expect(
      judgeIdentity(identity, { stat: { state: 'S', startTicks: 5001, comm: 'node' } }, host)
        .status,
    ).toBe('reused');
  });

  it('is reused when the executable differs at the same start tick', () => {
    expect(
      judgeIdentity(identity, { stat: { state: 'S', startTicks: 5000, comm: 'bash' } }, host),
    ).toEqual({
      status: 'reused',
      reason: 'executable-differs',
    });
  });

  describe('with the executable path recorded', () => {
    const withExe: ProcessIdentity = { ...identity, exe: '/usr/bin/node' };
    const renamed = { state: 'S', startTicks: 5000, comm: 'MainThread' };

    it('is alive when the process renamed itself but runs the same executable', () => {
      expect(judgeIdentity(withExe, { stat: renamed, exe: '/usr/bin/node' }, host)).toEqual({
        status: 'alive',
        reason: 'identity-matches',
      });
    });

    it('is reused when another executable runs under the pid at the same start tick', () => {
      expect(judgeIdentity(withExe, { stat: renamed, exe: '/usr/bin/bash' }, host)).toEqual({
        status: 'reused',
        reason: 'executable-differs',
      });
    });

    it('is unknown, never reused, when the name changed and the path cannot be read', () => {
      expect(judgeIdentity(withExe, { stat: renamed, exe: null }, host)).toEqual({
        status: 'unknown',
        reason: 'executable-unreadable',
      });
      expect(judgeIdentity(withExe, { stat: alive.stat, exe: null }, host).status).toBe('alive');
    });
  });

  it('is unknown when /proc cannot be read', () => {
    expect(judgeIdentity(identity, { stat: { unreadable: 'EACCES' } }, host).status).toBe(
      'unknown',
    );
  });

  describe('with an environment token', () => {
    const withToken: ProcessIdentity = { ...identity, token: 'run-1', tokenSource: 'env' };

    it('is alive when the token matches', () => {
      expect(
        judgeIdentity(withToken, { ...alive, environ: { status: 'found', value: 'run-1' } }, host)
          .status,
      ).toBe('alive');
    });

    it('is reused when the token differs or is absent (same start tick)', () => {
      expect(
        judgeIdentity(withToken, { ...alive, environ: { status: 'found', value: 'run-2' } }, host)
          .status,
      ).toBe('reused');
      expect(
        judgeIdentity(withToken, { ...alive, environ: { status: 'absent' } }, host).status,
      ).toBe('reused');
    });

    it('is alive when the token matches although the executable changed (the process ran exec)', () => {
      expect(
        judgeIdentity(
          withToken,
          {
            stat: { state: 'S', startTicks: 5000, comm: 'opencode' },
            environ: { status: 'found', value: 'run-1' },
          },
          host,
        ),
      ).toEqual({ status: 'alive', reason: 'identity-matches' });
    });

    it('is unknown, never reused, when the environment is unreadable or empty', () => {
      expect(
        judgeIdentity(
          withToken,
          { ...alive, environ: { status: 'unreadable', code: 'EACCES' } },
          host,
        ),
      ).toEqual({
        status: 'unknown',
        reason: 'environ-unreadable:EACCES',
      });
      expect(
        judgeIdentity(withToken, { ...alive, environ: { status: 'empty' } }, host).status,
      ).toBe('unknown');
    });
  });

  describe('with a command-line token', () => {
    const withToken: ProcessIdentity = {
      ...identity,
      token: 'opencode_ci_runner',
      tokenSource: 'cmdline',
    };

    it('is alive when the command line holds the token', () => {
      expect(
        judgeIdentity(withToken, { ...alive, cmdline: ['python', 'opencode_ci_runner.py'] }, host)
          .status,
      ).toBe('alive');
    });

    it('is reused when it does not', () => {
      expect(judgeIdentity(withToken, { ...alive, cmdline: ['vim'] }, host).status).toBe('reused');
    });

    it('is unknown when the command line reads empty (right after spawn)', () => {
      expect(judgeIdentity(withToken, { ...alive, cmdline: [] }, host)).toEqual({
        status: 'unknown',
        reason: 'cmdline-empty',
      });
    });

    it('is unknown when the command line is one empty argument (execve with argc 0)', () => {
      expect(judgeIdentity(withToken, { ...alive, cmdline: [''] }, host)).toEqual({
        status: 'unknown',
        reason: 'cmdline-empty',
      });
    });
  });
});
