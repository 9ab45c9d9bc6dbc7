import { fileURLToPath } from 'node:url';

/** fake-agent's built entry (`tools/fake-agent/dist/fake-agent.js`; `pnpm build` makes it). */
export const fakeAgentPath = fileURLToPath(
  new URL('../../fake-agent/dist/fake-agent.js', import.meta.url),
);

/**
 * fake-agent's flags (see `tools/fake-agent/src/fake-agent.ts`), in camel
 * case: `turnMs: 20` is `--turn-ms 20`, `grandchild: true` is `--grandchild`.
 * Durations in ms.
 */
export interface FakeAgentOptions {
  turns?: number;
  turnMs?: number;
  state?: string;
  doneFile?: string;
  doneAfter?: number;
  hangAfter?: number;
  hangOnLife?: number;
  crashAfter?: number;
  crashCode?: number;
  crashLives?: number;
  ignoreSigterm?: boolean;
  grandchild?: boolean;
  setsidGrandchild?: boolean;
  clearEnv?: boolean;
  silentStartMs?: number;
  resultThenHang?: boolean;
  quotaMessage?: string;
  quotaLives?: number;
  pauseAfter?: number;
  pauseMs?: number;
  crashAtStart?: boolean;
  echoPrompt?: boolean;
  checkpointLog?: string;
  outputBytes?: number;
  servePort?: number;
  serveDelayMs?: number;
  dieAfterMs?: number;
  readStdin?: boolean;
  heartbeat?: string;
  pidFile?: string;
  forkLoop?: boolean;
  role?: string;
}

/**
 * fake-agent's arguments for `options`, in the order they are given (a flag
 * set to `false` or `undefined` is left out).
 *
 * @param options - the behaviour wanted.
 * @returns e.g. `['--turns', '100', '--turn-ms', '20', '--hang-after', '2']`.
 */
export function fakeAgentArgs(options: FakeAgentOptions): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || value === false) continue;
    const flag = `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
    if (value === true) args.push(flag);
    else args.push(flag, String(value));
  }
  return args;
}

/**
 * fake-agent as a command to run: this Node.js, its entry and its arguments.
 *
 * @param options - the behaviour wanted. @default {} (3 turns of 100 ms, then exit 0)
 * @returns `{ command, args }`, e.g. for `superviseRun`.
 */
export function fakeAgent(options: FakeAgentOptions = {}): { command: string; args: string[] } {
  return { command: process.execPath, args: [fakeAgentPath, ...fakeAgentArgs(options)] };
}
