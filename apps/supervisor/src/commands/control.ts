import { type ApiClient, connect } from '../api/client.js';
import { loadConfig } from '../config.js';
import { SupervisorError } from '../errors.js';
import type { LoopStatus } from '../loop.js';
import { loopNames, stopOffline } from '../offline.js';
import { printJson, say } from '../output.js';
import { statePaths } from '../state-paths.js';

/** Flags of `stop` and `restart`. */
export interface ControlFlags {
  config?: string;
  json?: boolean;
}

function unknownLoop(name: string, known: string[]): SupervisorError {
  return new SupervisorError({
    code: 'ERR_UNKNOWN_LOOP',
    reason: 'USAGE',
    message: `No loop named ${name} (loops: ${known.join(', ') || 'none'}).`,
  });
}

/**
 * POSTs to the running supervisor's API.
 *
 * @param client - the API client.
 * @param path - e.g. `/stop`.
 * @returns the answer's body.
 * @throws {SupervisorError} `ERR_API` (`INTERNAL`, 70) when it answers 4xx/5xx, with its message.
 */
async function post(client: ApiClient, path: string): Promise<Record<string, unknown>> {
  const { status, body } = await client.request('POST', path);
  if (status >= 400)
    throw new SupervisorError({
      code: 'ERR_API',
      reason: 'INTERNAL',
      message: String(body.message ?? `HTTP ${status}`),
    });
  return body;
}

/**
 * `stop [LOOP]`: through the running supervisor's API, stops one loop (`POST
 * /runs/:loop/stop`) or the whole supervisor (`POST /stop`); with none
 * running, ends what lives on of the loops' runs from the state files.
 *
 * @param loop - the loop; every loop and the supervisor when absent.
 * @param flags - `--config`, `--json`.
 * @returns the exit code.
 * @throws {ConfigError} (64), {@link SupervisorError} for an unknown loop (64) or an unreachable API.
 */
export async function stopCommand(loop: string | undefined, flags: ControlFlags): Promise<number> {
  const config = loadConfig(flags.config);
  const paths = statePaths(config.stateDir);
  const names = loopNames(config, paths);
  if (loop !== undefined && !names.includes(loop)) throw unknownLoop(loop, names);
  const client = connect(paths);
  if (client) {
    const body = await post(client, loop ? `/runs/${encodeURIComponent(loop)}/stop` : '/stop');
    if (flags.json) printJson('OK', { supervisor: { pid: client.pid, url: client.url }, ...body });
    else
      say(
        loop
          ? `stopped loop ${loop} (${(body.loop as LoopStatus).state})`
          : `stopping the supervisor (pid ${client.pid}) and every loop`,
      );
    return 0;
  }
  const results = await stopOffline({ config, paths, names: loop ? [loop] : names });
  const survivors = results.flatMap((result) => result.survivors);
  const reason = survivors.length > 0 ? 'UNKILLABLE' : 'OK';
  if (flags.json) printJson(reason, { supervisor: null, loops: results });
  else
    for (const result of results)
      say(
        `${result.name}: ${result.killed.length ? `ended ${result.killed.join(' ')}` : 'nothing was running'}${result.survivors.length ? `; survivors: ${result.survivors.join(' ')}` : ''}`,
      );
  return survivors.length > 0 ? 8 : 0;
}

/**
 * `restart LOOP`: through the running supervisor's API (`POST /runs/:loop/restart`).
 *
 * @param loop - the loop.
 * @param flags - `--config`, `--json`.
 * @returns the exit code.
 * @throws {SupervisorError} `ERR_NO_SUPERVISOR` (7) when none runs; an unknown loop (64).
 */
export async function restartCommand(loop: string, flags: ControlFlags): Promise<number> {
  const config = loadConfig(flags.config);
  const paths = statePaths(config.stateDir);
  const names = loopNames(config, paths);
  if (!names.includes(loop)) throw unknownLoop(loop, names);
  const client = connect(paths);
  if (!client)
    throw new SupervisorError({
      code: 'ERR_NO_SUPERVISOR',
      reason: 'INVALID_STATE',
      message: `No supervisor runs on ${paths.stateDir}.`,
      hint: 'Start it: runwarden-supervisor start --detach',
    });
  const body = await post(client, `/runs/${encodeURIComponent(loop)}/restart`);
  if (flags.json) printJson('OK', { supervisor: { pid: client.pid, url: client.url }, ...body });
  else say(`restarted loop ${loop} (${(body.loop as LoopStatus).state})`);
  return 0;
}
