import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  agent,
  agentPids,
  alive,
  killAll,
  type RunningSupervisor,
  startSupervisor,
  until,
  writeConfig,
} from './helpers.js';

/** Debian's chromium (the `chromium` package; `.ci/run` installs it). */
const CHROMIUM = process.env.RUNWARDEN_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.RUNWARDEN_TEST_REQUIRE_CHROMIUM)
  throw new Error(
    `RUNWARDEN_TEST_REQUIRE_CHROMIUM is set but ${CHROMIUM} does not exist (apt-get install chromium)`,
  );
/** Where the screenshots are kept (`.gitignore`d). */
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));

let dir: string;
let stateDir: string;
let context: BrowserContext | undefined;
let running: RunningSupervisor | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'supervisor-dashboard-'));
  stateDir = join(dir, '.runtime');
  mkdirSync(join(dir, 'work'));
});
afterEach(async () => {
  await context?.close();
  context = undefined;
  if (running) {
    try {
      process.kill(running.pid, 'SIGCONT');
    } catch {
      // gone
    }
    killAll([running.pid]);
  }
  running = undefined;
  killAll([...agentPids(stateDir, 'builder'), ...agentPids(stateDir, 'reviewer')]);
  rmSync(dir, { recursive: true, force: true });
});

const loop = (name: string, turnMs: number) => `  ${name}:
    command: ["${process.execPath}", "${agent}", "--turns", "100000", "--turn-ms", "${turnMs}"]
    run: { missionTimeout: 2h, idleTimeout: 1m, killGrace: 500ms, backoff: { initial: 100ms, max: 100ms } }`;

describe('the dashboard in a real headless Chromium', () => {
  it.skipIf(!haveChromium)(
    haveChromium
      ? 'shows both loops running, a new event without a reload, a guard turning divergent (and every guard when the supervisor is SIGSTOPped), and stops a loop with its button'
      : `is skipped: no chromium at ${CHROMIUM} (set RUNWARDEN_TEST_REQUIRE_CHROMIUM=1 to fail instead)`,
    async () => {
      writeConfig(
        dir,
        `done: { file: work/plan.md, line: "## DONE", every: 500ms }\nloops:\n${loop('builder', 300)}\n${loop('reviewer', 400)}\n`,
      );
      running = startSupervisor(dir);
      const apiFile = join(stateDir, 'supervisor', 'api.json');
      await until(
        () => existsSync(apiFile) && readFileSync(apiFile, 'utf8').includes('url'),
        20_000,
        'the API',
      );
      const { url } = JSON.parse(readFileSync(apiFile, 'utf8')) as { url: string };
      const token = readFileSync(join(stateDir, 'supervisor', 'api.token'), 'utf8').trim();

      context = await chromium.launchPersistentContext(mkdtempSync(join(dir, 'chromium-')), {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1400, height: 1000 },
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      const page = context.pages()[0] ?? (await context.newPage());
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));

      // ?token= once: the server sets the cookie and sends the page back to / without it.
      await page.goto(`${url}/?token=${encodeURIComponent(token)}`);
      expect(new URL(page.url()).search).toBe('');
      const cookies = await context.cookies(url);
      expect(cookies).toHaveLength(1);
      expect(cookies[0]).toMatchObject({ value: token, httpOnly: true, sameSite: 'Strict' });

      const stateOf = (name: string) => page.locator(`tr[data-loop="${name}"] td:nth-child(2)`);
      await page.waitForFunction(
        () =>
          ['builder', 'reviewer'].every(
            (name) =>
              document.querySelector(`tr[data-loop="${name}"] td:nth-child(2)`)?.textContent ===
              'running',
          ),
        undefined,
        { timeout: 20_000 },
      );
      expect(await stateOf('builder').textContent()).toBe('running');
      expect(await stateOf('reviewer').textContent()).toBe('running');
      await page.waitForFunction(
        () =>
          document
            .querySelector('tr[data-loop="builder"] td:nth-child(7)')
            ?.textContent?.endsWith('ago'),
        undefined,
        { timeout: 10_000 },
      );

      // A new event, live: the builder's agent is killed, its watchdog resumes it; the page is not reloaded.
      await page.evaluate(() => {
        (window as unknown as { marker: string }).marker = 'same page';
      });
      const newestBefore = Number(
        (await page.locator('#events li').first().getAttribute('data-id'))?.split('-').pop(),
      );
      const builderPid = Number(
        await page.locator('tr[data-loop="builder"] td:nth-child(3)').textContent(),
      );
      expect(alive(builderPid)).toBe(true);
      process.kill(builderPid, 'SIGKILL');
      await page.waitForFunction(
        (before) =>
          Array.from(document.querySelectorAll('#events li[data-type="resumed"]')).some(
            (item) => Number(item.getAttribute('data-id')?.split('-').pop()) > before,
          ),
        newestBefore,
        { timeout: 20_000 },
      );
      expect(await page.evaluate(() => (window as unknown as { marker: string }).marker)).toBe(
        'same page',
      );

      // A guard made divergent: the done file's directory is removed, the done watcher's row turns.
      const doneRow = page.locator('tr[data-guard="*/done-watcher"]');
      expect(await doneRow.getAttribute('class')).toBe('on');
      rmSync(join(dir, 'work'), { recursive: true });
      await page.waitForFunction(
        () =>
          document.querySelector('tr[data-guard="*/done-watcher"]')?.className ===
          'off-runtime-divergent',
        undefined,
        { timeout: 10_000 },
      );
      expect(await doneRow.locator('td:nth-child(4)').textContent()).toBe('directory gone');
      expect(await page.locator('#posture-summary').textContent()).toBe(
        '1 guard(s) configured on but not in force',
      );
      mkdirSync(ARTIFACTS, { recursive: true });
      const divergentShot = join(ARTIFACTS, 'dashboard-divergent.png');
      await page.screenshot({ path: divergentShot, fullPage: true });
      mkdirSync(join(dir, 'work'));
      await page.waitForFunction(
        () => document.querySelector('tr[data-guard="*/done-watcher"]')?.className === 'on',
        undefined,
        { timeout: 10_000 },
      );

      // The supervisor stopped (SIGSTOP): it cannot answer, so the page, not it, turns every configured row.
      process.kill(running.pid, 'SIGSTOP');
      await page.waitForFunction(
        () =>
          Array.from(document.querySelectorAll('#guards-body tr')).every(
            (row) => row.className === 'off-runtime-divergent' || row.className === 'off-by-config',
          ) && document.querySelector('#connection')?.className === 'connection down',
        undefined,
        { timeout: 10_000 },
      );
      const stoppedShot = join(ARTIFACTS, 'dashboard-supervisor-stopped.png');
      await page.screenshot({ path: stoppedShot, fullPage: true });
      process.kill(running.pid, 'SIGCONT');
      await page.waitForFunction(
        () =>
          document.querySelector('#connection')?.className === 'connection live' &&
          Array.from(document.querySelectorAll('#guards-body tr')).every(
            (row) => row.className === 'on' || row.className === 'off-by-config',
          ),
        undefined,
        { timeout: 10_000 },
      );

      // The reviewer stopped with the page's own button.
      const reviewerPid = Number(
        await page.locator('tr[data-loop="reviewer"] td:nth-child(3)').textContent(),
      );
      expect(alive(reviewerPid)).toBe(true);
      await page.locator('button[data-stop="reviewer"]').click();
      await page.waitForFunction(
        () =>
          document.querySelector('tr[data-loop="reviewer"] td:nth-child(2)')?.textContent ===
          'stopped',
        undefined,
        { timeout: 20_000 },
      );
      expect(await page.locator('#control-note').textContent()).toBe('stopped reviewer (stopped)');
      expect(alive(reviewerPid)).toBe(false);
      expect(await stateOf('builder').textContent()).toBe('running');
      expect(await page.locator('button[data-stop="reviewer"]').isDisabled()).toBe(true);

      const shot = join(ARTIFACTS, 'dashboard.png');
      await page.screenshot({ path: shot, fullPage: true });
      process.stdout.write(`dashboard screenshots: ${shot}, ${divergentShot}, ${stoppedShot}\n`);
      expect(errors).toEqual([]);

      await context.close();
      context = undefined;
      process.kill(running.pid, 'SIGTERM');
      expect(await running.exited).toBe(130);
    },
    90_000,
  );
});
