import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Supervisor } from '../src/supervisor.js';
import { alive, until, writeConfig } from './helpers.js';

let dir: string;
let supervisor: Supervisor | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'supervisor-api-'));
});
afterEach(async () => {
  await supervisor?.shutdown('INTERRUPTED', 'test over');
  supervisor = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function startOn(listen: string) {
  const file = writeConfig(
    dir,
    `listen: "${listen}"
loops:
  sleeper:
    command: "echo up; exec sleep 600"
    run: { killGrace: 500ms }
`,
  );
  supervisor = await Supervisor.start({ configFile: file, handleSignals: false });
  const paths = supervisor.paths;
  const api = JSON.parse(readFileSync(paths.apiFile, 'utf8')) as { url: string; pid: number };
  const token = readFileSync(paths.tokenFile, 'utf8').trim();
  await until(() => supervisor!.loops()[0]!.state === 'running', 10_000, 'sleeper running');
  return { api, token, paths };
}

const call = (url: string, method: string, token?: string) =>
  fetch(url, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('the HTTP API', () => {
  it('on a non-loopback bind, answers 401 to every route without the token, and a refused stop changes nothing', async () => {
    const { api, token, paths } = await startOn('0.0.0.0:0');
    expect(api.pid).toBe(process.pid);
    expect(statSync(paths.tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(paths.apiFile).mode & 0o777).toBe(0o600);
    const routes: [string, string][] = [
      ['GET', '/healthz'],
      ['GET', '/runs'],
      ['GET', '/runs/sleeper'],
      ['GET', '/guards'],
      ['GET', '/events'],
      ['GET', '/'],
      ['GET', '/dashboard.js'],
      ['GET', '/dashboard.css'],
      ['POST', '/runs/sleeper/stop'],
      ['POST', '/runs/sleeper/restart'],
      ['POST', '/stop'],
    ];
    for (const [method, path] of routes) {
      const response = await call(`${api.url}${path}`, method);
      expect({ path, status: response.status }).toEqual({ path, status: 401 });
      expect(await response.json()).toMatchObject({ ok: false, reason: 'USAGE' });
    }
    const wrong = await call(`${api.url}/runs/sleeper/stop`, 'POST', `${token.slice(0, -1)}x`);
    expect(wrong.status).toBe(401);
    const pid = supervisor!.loops()[0]!.pid!;
    expect(supervisor!.loops()[0]!.state).toBe('running');
    expect(alive(pid)).toBe(true);

    const runs = await call(`${api.url}/runs`, 'GET', token);
    expect(runs.status).toBe(200);
    expect(await runs.json()).toMatchObject({
      ok: true,
      reason: 'OK',
      exitCode: 0,
      loops: [{ name: 'sleeper', state: 'running', pid, attempt: 1, resumesUsed: 0, restarts: 0 }],
    });
    const stopped = await call(`${api.url}/runs/sleeper/stop`, 'POST', token);
    expect(stopped.status).toBe(200);
    expect(await stopped.json()).toMatchObject({
      ok: true,
      loop: { name: 'sleeper', state: 'stopped', pid: null },
    });
    expect(alive(pid)).toBe(false);
  });

  it('on loopback, lets a GET omit the token but never a POST, and refuses a foreign Host', async () => {
    const { api, token } = await startOn('127.0.0.1:0');
    const health = await call(`${api.url}/healthz`, 'GET');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, healthy: true });
    expect((await call(`${api.url}/runs/sleeper`, 'GET')).status).toBe(200);
    expect((await call(`${api.url}/runs/nobody`, 'GET')).status).toBe(404);
    expect((await call(`${api.url}/runs/sleeper/restart`, 'POST')).status).toBe(401);
    // A page whose name was rebound to 127.0.0.1 sends its own Host (fetch cannot set one: node:http).
    const rebound = await new Promise<number>((settle, fail) => {
      const url = new URL(`${api.url}/runs`);
      request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          headers: { host: 'evil.example' },
        },
        (response) => {
          response.resume();
          settle(response.statusCode ?? 0);
        },
      )
        .on('error', fail)
        .end();
    });
    expect(rebound).toBe(403);
    const before = supervisor!.loops()[0]!;
    const restarted = await call(`${api.url}/runs/sleeper/restart`, 'POST', token);
    expect(restarted.status).toBe(200);
    const after = await until(
      () => supervisor!.loops()[0]!.state === 'running' && supervisor!.loops()[0]!,
      10_000,
      'restarted',
    );
    expect(after.runId).not.toBe(before.runId);
    expect(alive(before.pid!)).toBe(false);
  });

  it('the dashboard takes ?token= once, then an HttpOnly SameSite=Strict cookie; a wrong token or a foreign Origin changes nothing', async () => {
    const { api, token } = await startOn('0.0.0.0:0');
    const port = new URL(api.url).port;
    const wrong = await fetch(`${api.url}/?token=nope`, { redirect: 'manual' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const login = await fetch(`${api.url}/?token=${encodeURIComponent(token)}`, {
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/');
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toBe(`runwarden-supervisor-${port}=${token}; Path=/; HttpOnly; SameSite=Strict`);
    const jar = { cookie: cookie.split(';')[0]! };
    const page = await fetch(`${api.url}/`, { headers: jar });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('<body data-control="yes">');
    expect((await fetch(`${api.url}/guards`, { headers: jar })).status).toBe(200);
    const script = await fetch(`${api.url}/dashboard.js`, { headers: jar });
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toContain('new EventSource');

    const pid = supervisor!.loops()[0]!.pid!;
    const foreign = await fetch(`${api.url}/runs/sleeper/stop`, {
      method: 'POST',
      headers: { ...jar, origin: 'http://evil.example' },
    });
    expect(foreign.status).toBe(403);
    expect(supervisor!.loops()[0]!.state).toBe('running');
    expect(alive(pid)).toBe(true);
    const own = await fetch(`${api.url}/runs/sleeper/stop`, {
      method: 'POST',
      headers: { ...jar, origin: `http://${new URL(api.url).host}` },
    });
    expect(own.status).toBe(200);
    expect(alive(pid)).toBe(false);
  });

  it('GET /healthz is 503 as soon as SUPERVISOR.lock is lost, and the supervisor then stops (exit 5)', async () => {
    const { api, paths } = await startOn('127.0.0.1:0');
    expect((await call(`${api.url}/healthz`, 'GET')).status).toBe(200);
    unlinkSync(paths.supervisorLock);
    const health = await call(`${api.url}/healthz`, 'GET');
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({
      ok: false,
      healthy: false,
      detail: `SUPERVISOR.lock was lost: ${paths.supervisorLock} was removed`,
    });
    // lock-core's heartbeat (a third of the 60 s stale window) finds it too; the supervisor stops.
    const outcome = await supervisor!.finished;
    expect(outcome).toMatchObject({ reason: 'LOCK_HELD', exitCode: 5 });
    expect(outcome.loops[0]!.state).toBe('stopped');
  }, 40_000);
});
