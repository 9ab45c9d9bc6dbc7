import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  agent,
  agentPids,
  cli,
  cliPath,
  killAll,
  type RunningSupervisor,
  startSupervisor,
  supervisorEvents,
  until,
  writeConfig,
} from './helpers.js';

let dir: string;
let stateDir: string;
let running: RunningSupervisor | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'supervisor-claims-'));
  stateDir = join(dir, '.runtime');
});
afterEach(() => {
  if (running) killAll([running.pid]);
  running = undefined;
  killAll([...agentPids(stateDir, 'talker'), ...agentPids(stateDir, 'pusher')]);
  rmSync(dir, { recursive: true, force: true });
});

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=runwarden', '-c', 'user.email=t@example.com', ...args], {
    cwd,
    stdio: 'pipe',
  });

/** A work tree with `origin` a local bare repository, pushed once, and one commit not pushed yet. */
function repository(): string {
  const work = join(dir, 'work');
  const remote = join(dir, 'remote.git');
  mkdirSync(work);
  git(dir, 'init', '-q', '--bare', '-b', 'main', remote);
  git(work, 'init', '-q', '-b', 'main');
  writeFileSync(join(work, 'app.txt'), 'one\n');
  git(work, 'add', '.');
  git(work, 'commit', '-q', '-m', 'one');
  git(work, 'remote', 'add', 'origin', remote);
  git(work, 'push', '-q', '-u', 'origin', 'main');
  writeFileSync(join(work, 'app.txt'), 'one\nthe fix\n');
  git(work, 'commit', '-q', '-am', 'the fix');
  return work;
}

/** A loop that says `words` (one `echo` each, then whatever `then` does) and then runs fake-agent, idle but alive. */
const talkingLoop = (name: string, words: string[], then: string, expiry: string) => {
  const said = words.map((line) => `echo "${line}"`);
  const script = `${[...said, ...(then ? [then] : [])].join('; ')}; exec '${process.execPath}' '${agent}' --turns 100000 --turn-ms 500`;
  return `  ${name}:
    command: ["sh", "-c", ${JSON.stringify(script)}]
    cwd: work
    run: { idleTimeout: 1m, killGrace: 500ms }
    actionClaims: { enabled: true, expiry: ${expiry} }`;
};

describe('action claims through the real supervisor', () => {
  it('raises exactly one attention item for a restart said twice and not done; a push said and done is fulfilled', async () => {
    repository();
    writeConfig(
      dir,
      `loops:
${talkingLoop('talker', ['Restarting the server now.', "I'll restart the server."], '', '2s')}
${talkingLoop('pusher', [], "sleep 3; echo 'Pushing the fix now.'; git push -q origin main", '1m')}
`,
    );
    running = startSupervisor(dir);
    const ofType = (type: string, loop: string) =>
      supervisorEvents(stateDir).filter((event) => event.type === type && event.loop === loop);

    // The restart expires at its deadline (2 s); the push, said 3 s in, is seen on the next tick.
    await until(
      () => ofType('commitment-expired', 'talker').length > 0,
      30_000,
      'the restart expired',
    );
    await until(
      () => ofType('commitment-fulfilled', 'pusher').length > 0,
      30_000,
      'the push fulfilled',
    );
    expect(ofType('commitment-recorded', 'talker').map((event) => event.status)).toEqual([
      'opened',
      'restated',
    ]);
    const [fulfilled] = ofType('commitment-fulfilled', 'pusher');
    expect(fulfilled).toMatchObject({
      verb: 'push',
      text: 'Pushing the fix now.',
      evidence: {
        kind: 'git-push',
        detail: expect.stringMatching(/^refs\/remotes\/origin\/main: update by push/),
      },
    });

    // The push was said and done after the restart expired, so the tick that fulfilled it came
    // after the expiry: still exactly one attention item, and none for the push.
    expect(fulfilled!.seq).toBeGreaterThan(ofType('commitment-expired', 'talker')[0]!.seq);
    const expired = supervisorEvents(stateDir).filter(
      (event) => event.type === 'commitment-expired',
    );
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({
      loop: 'talker',
      verb: 'restart',
      text: "I'll restart the server.",
      restatements: 1,
      attention: true,
      closeReason: expect.stringMatching(/^No evidence that "restart" was done by /),
    });

    const { url } = JSON.parse(readFileSync(join(stateDir, 'supervisor', 'api.json'), 'utf8')) as {
      url: string;
    };
    const response = await fetch(`${url}/commitments`);
    expect(response.status).toBe(200);
    const listed = (await response.json()) as {
      open: number;
      attention: number;
      commitments: { topic: string; state: string; verb: string }[];
    };
    expect(listed).toMatchObject({ ok: true, open: 0, attention: 1 });
    expect(listed.commitments.map((entry) => [entry.topic, entry.verb, entry.state])).toEqual([
      ['talker', 'restart', 'expired'],
      ['pusher', 'push', 'fulfilled'],
    ]);
    const onlyOpen = (await (await fetch(`${url}/commitments?state=open`)).json()) as {
      commitments: unknown[];
    };
    expect(onlyOpen.commitments).toEqual([]);
    expect((await fetch(`${url}/commitments?state=maybe`)).status).toBe(400);

    const status = await cli(dir, ['status', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ open: 0, attention: 1 });
    const human = await cli(dir, ['status']);
    expect(human.stdout).toContain(
      'commitments: 1 expired with nothing to show it was done, 0 open',
    );

    process.kill(running.pid, 'SIGTERM');
    expect(await running.exited).toBe(130);
    // From the store, with no supervisor running.
    const offline = JSON.parse((await cli(dir, ['status', '--json'])).stdout) as {
      attention: number;
    };
    expect(offline.attention).toBe(1);
  }, 90_000);

  it('a commitments file it cannot read is named: GET /commitments answers 500 with the file, status exits 7', async () => {
    repository();
    writeConfig(
      dir,
      `loops:\n${talkingLoop('talker', ['Restarting the server now.'], '', '1h')}\n`,
    );
    running = startSupervisor(dir);
    await until(
      () => supervisorEvents(stateDir).some((event) => event.type === 'commitment-recorded'),
      30_000,
      'the claim recorded',
    );
    const file = join(stateDir, 'coordination', 'commitments', 'talker.json');
    writeFileSync(file, '{ not json');
    const { url } = JSON.parse(readFileSync(join(stateDir, 'supervisor', 'api.json'), 'utf8')) as {
      url: string;
    };
    const response = await fetch(`${url}/commitments`);
    expect(response.status).toBe(500);
    const body = (await response.json()) as { reason: string; message: string };
    expect(body.reason).toBe('INVALID_STATE');
    expect(body.message).toContain(file);
    const status = await cli(dir, ['status']);
    expect(status.code).toBe(7);
    expect(status.stderr).toContain(file);
    process.kill(running.pid, 'SIGTERM');
    expect(await running.exited).toBe(130);
    const offline = await cli(dir, ['status']);
    expect(offline.code).toBe(7);
    expect(offline.stderr).toContain(file);
    expect(readFileSync(file, 'utf8')).toBe('{ not json');
  }, 60_000);

  it('claims check prints one verdict a line and exits 0', async () => {
    const child = execFileSync(process.execPath, [cliPath, 'claims', 'check'], {
      input: 'Restarting the server now.\nDid you restart it?\n\nPlease merge the PR.\n',
    }).toString();
    const verdicts = child
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { claim: boolean; verb?: string; reason: string });
    expect(
      verdicts.map((verdict) => [verdict.claim, verdict.verb ?? null, verdict.reason]),
    ).toEqual([
      [true, 'restart', 'sentence-initial-participle'],
      [false, null, 'question'],
      [false, null, 'empty'],
      [false, null, 'imperative'],
    ]);
    const help = await cli(dir, ['claims', 'check', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Example:');
  });
});
