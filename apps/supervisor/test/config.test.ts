import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WATCHDOG_DEFAULTS } from '@runwarden/watchdog';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import { cli, writeConfig } from './helpers.js';

const fixture = (name: string) => join('test', 'fixtures', 'config', `${name}.yaml`);
const messageOf = (name: string) => {
  try {
    loadConfig(fixture(name));
  } catch (error) {
    expect(ConfigError.isInstance(error)).toBe(true);
    return (error as ConfigError).message;
  }
  throw new Error(`${name} loaded`);
};

describe('loadConfig', () => {
  it('names the file, line and key of an unknown key', () => {
    expect(messageOf('unknown-key')).toBe(
      'test/fixtures/config/unknown-key.yaml:5: loops.builder.run.idleTimout: unknown key',
    );
  });

  it('names a bad duration, with the formats it takes', () => {
    expect(messageOf('bad-duration')).toBe(
      "test/fixtures/config/bad-duration.yaml:6: loops.builder.run.idleTimeout: '15 mn' is not a duration (use e.g. 150s, 15m, 2h, or milliseconds)",
    );
  });

  it('refuses a loop name that is not a safe file name', () => {
    expect(messageOf('unsafe-name')).toBe(
      "test/fixtures/config/unsafe-name.yaml:4: loops.../reviewer: '../reviewer' is not a safe loop name (letters, digits, '.', '_' or '-', starting with a letter or digit, at most 64)",
    );
  });

  it('refuses two loops on the same target', () => {
    expect(messageOf('same-target')).toBe(
      "test/fixtures/config/same-target.yaml:7: loops.reviewer.target: 'owner/repo#12' is already the target of loop builder; two loops never share a target",
    );
  });

  it('reports YAML that does not parse at its line', () => {
    expect(messageOf('not-yaml')).toMatch(
      /^test\/fixtures\/config\/not-yaml\.yaml:3: not valid YAML: /,
    );
  });

  it('names an unknown restart policy', () => {
    expect(messageOf('bad-policy')).toBe(
      'test/fixtures/config/bad-policy.yaml:5: loops.builder.restart.policy: must be on-failure, always or never',
    );
  });

  it('names a missing command', () => {
    expect(messageOf('no-command')).toBe(
      'test/fixtures/config/no-command.yaml:3: loops.builder.command: is required',
    );
  });

  it("applies the watchdog's own rules, named by the config key", () => {
    expect(messageOf('watchdog-rule')).toBe(
      'test/fixtures/config/watchdog-rule.yaml:5: loops.builder.run.progressTimeout: needs a progress source (watch or heartbeatFile)',
    );
  });

  it('names a bad action-claims expiry', () => {
    expect(messageOf('bad-claims-expiry')).toBe(
      "test/fixtures/config/bad-claims-expiry.yaml:6: loops.builder.actionClaims.expiry: 'soon' is not a duration (use e.g. 150s, 15m, 2h, or milliseconds)",
    );
  });

  it('refuses a FIFO or a directory as the config, without blocking', () => {
    const dir = mkdtempSync(join(tmpdir(), 'supervisor-config-'));
    try {
      execFileSync('mkfifo', [join(dir, 'fifo.yaml')]);
      expect(() => loadConfig(join(dir, 'fifo.yaml'))).toThrow(
        `${join(dir, 'fifo.yaml')}: is not a regular file (a FIFO)`,
      );
      expect(() => loadConfig(dir)).toThrow(`${dir}: is not a regular file (a directory)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names a missing file', () => {
    expect(() => loadConfig('nowhere.yaml')).toThrow(
      'nowhere.yaml: no such config file (give one with --config FILE)',
    );
  });
});

describe('parseConfig', () => {
  it("resolves paths against the config's directory and takes every default from the watchdog", () => {
    const config = parseConfig(
      'loops:\n  builder:\n    command: claude -p "$(cat prompts/builder.md)"\n    cwd: work\n',
      '/srv/agents/runwarden.yaml',
    );
    expect(config.stateDir).toBe('/srv/agents/.runtime');
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 0 });
    const [builder] = config.loops;
    expect(builder!.run).toMatchObject({
      command: '/bin/sh',
      args: ['-c', 'claude -p "$(cat prompts/builder.md)"'],
      cwd: '/srv/agents/work',
      idleTimeoutMs: WATCHDOG_DEFAULTS.idleTimeoutMs,
      maxResumes: WATCHDOG_DEFAULTS.maxResumes,
      killGraceMs: WATCHDOG_DEFAULTS.killGraceMs,
      logs: WATCHDOG_DEFAULTS.logs,
      output: 'file',
    });
    expect(builder!.actionClaims).toBeUndefined();
    expect(builder!.restart).toEqual({
      policy: 'on-failure',
      backoff: WATCHDOG_DEFAULTS.backoff,
      resetAfterMs: WATCHDOG_DEFAULTS.backoffResetMs,
      giveUp: { restarts: 5, withinMs: 1_800_000 },
    });
  });

  it('takes resumeOn as the CLI takes --resume-on: rules, always or none; none given leaves the watchdog its default', () => {
    const rulesOf = (value: string) =>
      parseConfig(
        `loops:\n  builder:\n    command: agent\n${value ? `    run: { resumeOn: ${value} }\n` : ''}`,
        '/srv/runwarden.yaml',
      ).loops[0]!.run.resumeOn;
    expect(rulesOf('[hang, failure]')).toEqual(['hang', 'failure']);
    expect(rulesOf('always')).toEqual(['hang', 'signal', 'exit-0', 'failure']);
    expect(rulesOf('none')).toEqual([]);
    expect(rulesOf('')).toBeUndefined();
    expect(() => rulesOf('[hang, crash]')).toThrow(
      '/srv/runwarden.yaml:4: loops.builder.run.resumeOn: must be always, none, or a list of hang, signal, exit-0, failure',
    );
  });

  it('takes actionClaims: off unless enabled; the repository defaults to the cwd, expiry and cap to the store', () => {
    const claimsOf = (value: string) =>
      parseConfig(
        `loops:\n  builder:\n    command: agent\n    cwd: work\n    actionClaims: ${value}\n`,
        '/srv/agents/runwarden.yaml',
      ).loops[0]!.actionClaims;
    expect(claimsOf('{ enabled: false, expiry: 1h }')).toBeUndefined();
    expect(claimsOf('{ enabled: true }')).toEqual({
      repository: '/srv/agents/work',
      expiryMs: 6 * 60 * 60 * 1000,
      capPerTopic: 5,
    });
    expect(claimsOf('{ enabled: true, repository: ../repo, expiry: 90m, cap: 2 }')).toEqual({
      repository: '/srv/repo',
      expiryMs: 5_400_000,
      capPerTopic: 2,
    });
  });

  it('takes the durations and sizes of the CLI', () => {
    const config = parseConfig(
      `loops:
  builder:
    command: [opencode, run, go]
    run: { missionTimeout: 9h, idleTimeout: 150s, startupTimeout: 120000, logMaxSize: 10MB, resumeCommand: "opencode run --continue", quotaPattern: true }
    restart: { resetAfter: 1.5h, giveUp: { restarts: 3, within: 10m } }
`,
      'runwarden.yaml',
    );
    const [builder] = config.loops;
    expect(builder!.run).toMatchObject({
      command: 'opencode',
      args: ['run', 'go'],
      missionTimeoutMs: 32_400_000,
      idleTimeoutMs: 150_000,
      startupIdleMs: 120_000,
      logs: { maxBytes: 10 * 1024 * 1024 },
      resume: { command: '/bin/sh', args: ['-c', 'opencode run --continue'] },
    });
    expect(builder!.run.quota?.pattern).toBeTypeOf('string');
    expect(builder!.restart).toMatchObject({
      resetAfterMs: 5_400_000,
      giveUp: { restarts: 3, withinMs: 600_000 },
    });
  });
});

describe('runwarden-supervisor with a bad config', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'supervisor-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 64 with one line naming the file, line and key, on every command', async () => {
    writeConfig(
      dir,
      'loops:\n  builder:\n    command: sleep 1\n    restart: { giveUp: { restarts: -1 } }\n',
    );
    for (const args of [['start'], ['status'], ['stop'], ['logs', 'builder']]) {
      const result = await cli(dir, args);
      expect(result.code).toBe(64);
      expect(result.stderr).toBe(
        'runwarden-supervisor: runwarden.yaml:4: loops.builder.restart.giveUp.restarts: must not be negative\n',
      );
    }
    const json = await cli(dir, ['status', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      reason: 'USAGE',
      exitCode: 64,
      line: 4,
      key: 'loops.builder.restart.giveUp.restarts',
    });
  });
});
