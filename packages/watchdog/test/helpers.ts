/**
 * What the watchdog's process tests share: fake-agent, a fast backoff, the
 * journal's event types, whether a pid lives, and one supervised fake-agent run.
 */
import { join } from 'node:path';
import { getProcessInfoSync } from '@runwarden/process-identity';
import { type FakeAgentOptions, fakeAgentArgs, fakeAgentPath } from '@runwarden/test-utils';
import {
  type JournalEvent,
  type RunResult,
  readJournal,
  type SuperviseOptions,
  superviseRun,
} from '../src/index.js';

/** fake-agent's entry. */
export const agent = fakeAgentPath;

/** Backoff short enough for tests: 10 ms doubling to 40 ms, no jitter. */
export const fast = { initialMs: 10, maxMs: 40, jitter: 0 };

/** The event types of a journal, in order. */
export const typesOf = (events: JournalEvent[]) => events.map((event) => event.type);

/** True while the pid runs (a zombie is dead). */
export const alive = (pid: number) => {
  const info = getProcessInfoSync(pid, { cmdline: false });
  return info !== null && info.state !== 'Z';
};

/**
 * Supervises fake-agent with `agent` (its flags, or its arguments as they are)
 * in `<dir>/run` (cwd `dir`, 1 s kill grace, fast backoff, then `options`),
 * and reads the journal it left.
 */
export async function runAgent(
  dir: string,
  agentFlags: FakeAgentOptions | string[],
  options: Partial<SuperviseOptions> = {},
): Promise<{ result: RunResult; events: JournalEvent[] }> {
  const runDir = join(dir, 'run');
  const result = await superviseRun({
    command: process.execPath,
    args: [agent, ...(Array.isArray(agentFlags) ? agentFlags : fakeAgentArgs(agentFlags))],
    runDir,
    cwd: dir,
    killGraceMs: 1000,
    backoff: fast,
    ...options,
  });
  return { result, events: readJournal(join(runDir, 'journal.jsonl')) };
}
