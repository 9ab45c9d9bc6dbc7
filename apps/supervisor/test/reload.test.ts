import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  agentPids,
  alive,
  killAll,
  type RunningSupervisor,
  startSupervisor,
  supervisorEvents,
  until,
  writeConfig,
} from './helpers.js';

let dir: string;
let stateDir: string;
let supervisor: RunningSupervisor | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'supervisor-reload-'));
  stateDir = join(dir, '.runtime');
});
afterEach(() => {
  if (supervisor) killAll([supervisor.pid]);
  killAll([...agentPids(stateDir, 'first'), ...agentPids(stateDir, 'second')]);
  rmSync(dir, { recursive: true, force: true });
});
const loop = (name: string) =>
  `  ${name}:\n    command: "echo ${name}; exec sleep 600"\n    run: { killGrace: 500ms }\n`;
const running = (name: string) =>
  supervisorEvents(stateDir).some(
    (event) => event.type === 'loop-state' && event.loop === name && event.to === 'running',
  );

describe('SIGHUP', () => {
  it('reloads the config: an added loop starts, a removed one stops; a bad config changes nothing', async () => {
    writeConfig(dir, `loops:\n${loop('first')}`);
    supervisor = startSupervisor(dir);
    await until(() => running('first'), 20_000, 'first running');
    const firstPid = agentPids(stateDir, 'first')[0]!;

    writeConfig(dir, 'loops:\n  first: { command: "sleep 1", unknown: 1 }\n');
    process.kill(supervisor.pid, 'SIGHUP');
    const refused = await until(
      () => supervisorEvents(stateDir).find((event) => event.type === 'reload-failed'),
      10_000,
      'reload-failed',
    );
    expect(String(refused.message)).toBe(
      'runwarden.yaml:2: loops.first.unknown: unknown key'.replace(
        'runwarden.yaml',
        join(dir, 'runwarden.yaml'),
      ),
    );
    expect(alive(firstPid)).toBe(true);

    writeConfig(dir, `loops:\n${loop('second')}`);
    process.kill(supervisor.pid, 'SIGHUP');
    const reload = await until(
      () => supervisorEvents(stateDir).find((event) => event.type === 'reload'),
      10_000,
      'reload',
    );
    expect(reload).toMatchObject({ added: ['second'], removed: ['first'], changed: [] });
    await until(() => running('second'), 20_000, 'second running');
    await until(() => !alive(firstPid), 10_000, 'first stopped');
    process.kill(supervisor.pid, 'SIGTERM');
    expect(await supervisor.exited).toBe(130);
    expect(agentPids(stateDir, 'second').filter(alive)).toEqual([]);
  });
});
