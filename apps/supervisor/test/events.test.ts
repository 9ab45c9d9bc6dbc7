import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Supervisor } from '../src/supervisor.js';
import {
  agent,
  agentPids,
  killAll,
  runJournals,
  supervisorEvents,
  until,
  writeConfig,
} from './helpers.js';
import { connectSse, type SseMessage } from './sse-client.js';

let dir: string;
let supervisor: Supervisor | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'supervisor-events-'));
});
afterEach(async () => {
  await supervisor?.shutdown('INTERRUPTED', 'test over');
  supervisor = undefined;
  killAll(agentPids(join(dir, '.runtime'), 'crasher'));
  rmSync(dir, { recursive: true, force: true });
});

const numberOf = (message: SseMessage) =>
  Number(message.id!.slice(message.id!.lastIndexOf('-') + 1));

describe('GET /events', () => {
  it('streams every journal event with an id; a client that reconnects with Last-Event-ID misses none', async () => {
    // A loop that dies every 2 turns and is resumed at once: its watchdog writes events all the time.
    writeConfig(
      dir,
      `loops:
  crasher:
    command: ["${process.execPath}", "${agent}", "--turns", "100000", "--turn-ms", "30", "--crash-after", "2"]
    run: { maxResumes: 10000, resumeOn: always, killGrace: 500ms, backoff: { initial: 20ms, max: 20ms, jitter: 0 } }
`,
    );
    supervisor = await Supervisor.start({
      configFile: join(dir, 'runwarden.yaml'),
      handleSignals: false,
    });
    const url = JSON.parse(readFileSync(supervisor.paths.apiFile, 'utf8')).url;
    const first = await connectSse(`${url}/events`);
    await first.until((messages) => messages.length >= 15);
    first.close();
    const lastSeen = first.messages.at(-1)!;
    const seenUpTo = numberOf(lastSeen);
    // Meanwhile the loop goes on: at least 20 events the first client never saw.
    await until(() => supervisor!.feed.lastId >= seenUpTo + 20, 20_000, '20 more events');
    const target = supervisor.feed.lastId;
    const second = await connectSse(`${url}/events`, lastSeen.id);
    await second.until((messages) => messages.some((message) => numberOf(message) >= target));
    second.close();
    await supervisor.shutdown('INTERRUPTED', 'test over');

    const all = [...first.messages, ...second.messages];
    expect(all.every((message) => message.event === 'message')).toBe(true);
    expect(all.every((message) => message.id!.startsWith(`${supervisor!.feed.session}-`))).toBe(
      true,
    );
    // One id after the other across the reconnect: none missing, none twice.
    const numbers = all.map(numberOf);
    expect(numbers).toEqual(numbers.map((_, index) => index + 1));
    expect(numberOf(second.messages[0]!)).toBe(seenUpTo + 1);

    // And they are the journals' own events, in the journals' order.
    const events = all.map((message) => JSON.parse(message.data) as Record<string, unknown>);
    const stateDir = join(dir, '.runtime');
    const supervisorSide = events.filter((event) => event.source === 'supervisor');
    expect(supervisorSide.map(({ source: _source, ...event }) => event)).toEqual(
      supervisorEvents(stateDir).slice(0, supervisorSide.length),
    );
    const runs = runJournals(stateDir, 'crasher');
    const runSide = events.filter((event) => event.source === 'run');
    expect(runSide.length).toBeGreaterThan(10);
    for (const { runId, events: journal } of runs) {
      const streamed = runSide
        .filter((event) => event.runId === runId)
        .map(({ source: _source, loop, ...event }) => {
          expect(loop).toBe('crasher');
          return event;
        });
      expect(streamed).toEqual(journal.slice(0, streamed.length));
    }
  });

  it('starts a new client from the last ?tail=N events, and a foreign Last-Event-ID from the first', async () => {
    writeConfig(
      dir,
      `loops:
  crasher:
    command: "echo up; exec sleep 600"
    run: { killGrace: 500ms }
`,
    );
    supervisor = await Supervisor.start({
      configFile: join(dir, 'runwarden.yaml'),
      handleSignals: false,
    });
    const url = JSON.parse(readFileSync(supervisor.paths.apiFile, 'utf8')).url;
    await until(() => supervisor!.loops()[0]!.state === 'running', 10_000, 'running');
    const last = supervisor.feed.lastId;
    const tail = await connectSse(`${url}/events?tail=2`);
    await tail.until((messages) => messages.length >= 2);
    expect(tail.messages.map(numberOf)).toEqual([last - 1, last]);
    tail.close();
    const foreign = await connectSse(`${url}/events`, 'another-supervisor-99');
    await foreign.until((messages) => messages.length >= last);
    expect(foreign.messages.map(numberOf).slice(0, 3)).toEqual([1, 2, 3]);
    foreign.close();
  });
});
