import { connect } from '../api/client.js';
import { loadConfig } from '../config.js';
import type { LoopStatus } from '../loop.js';
import { loopNames, offlineStatus } from '../offline.js';
import { colors, formatDuration, printJson, table } from '../output.js';
import { statePaths } from '../state.js';

/** Flags of `status`. */
export interface StatusFlags {
  config?: string;
  json?: boolean;
}

/**
 * `status`: every loop's state, pid, run, attempt, resumes, restarts and last
 * reason: from the running supervisor's API, else from the state files.
 *
 * @param flags - `--config`, `--json`.
 * @returns 0.
 * @throws {ConfigError} (64), {@link SupervisorError} `ERR_STATE` (7) for a corrupt state file.
 */
export async function statusCommand(flags: StatusFlags): Promise<number> {
  const config = loadConfig(flags.config);
  const paths = statePaths(config.stateDir);
  const client = connect(paths);
  let loops: (LoopStatus & { orphanPids?: number[] })[];
  if (client) {
    const { body } = await client.request('GET', '/runs');
    loops = body.loops as LoopStatus[];
  } else {
    loops = loopNames(config, paths).map((name) => offlineStatus(paths, name));
  }
  const supervisor = client ? { pid: client.pid, url: client.url } : null;
  if (flags.json) {
    printJson('OK', { stateDir: paths.stateDir, supervisor, loops });
    return 0;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(
    supervisor
      ? `supervisor pid ${supervisor.pid} on ${supervisor.url} (${paths.stateDir})`
      : colors.yellow(`no supervisor running on ${paths.stateDir}: from the state files`),
  );
  const rows = loops.map((loop) => [
    loop.name,
    loop.state,
    loop.pid === null ? '-' : String(loop.pid),
    loop.runId ?? '-',
    String(loop.attempt),
    String(loop.resumesUsed),
    String(loop.restarts),
    loop.lastReason ?? '-',
    loop.orphanPids?.length
      ? `orphaned: ${loop.orphanPids.join(' ')}`
      : loop.nextStartAt
        ? `next run in ${formatDuration(Math.max(0, Date.parse(loop.nextStartAt) - Date.now()))}`
        : '',
  ]);
  for (const line of table(
    ['loop', 'state', 'pid', 'run', 'attempt', 'resumes', 'restarts', 'last reason', ''],
    rows,
  ))
    out(line);
  return 0;
}
