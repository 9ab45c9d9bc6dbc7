import { getProcessInfoSync } from '@runwarden/process-identity';
import { type ApiClient, connect } from '../api/client.js';
import { loadConfig, type SupervisorConfig } from '../config.js';
import { SUPERVISOR_DEFAULTS } from '../defaults.js';
import { SupervisorError } from '../errors.js';
import { type GuardRow, unanswered } from '../guards.js';
import type { LoopStatus } from '../loop.js';
import { loopNames, offlineStatus } from '../offline.js';
import { colors, formatDuration, printJson, table } from '../output.js';
import { type StatePaths, statePaths } from '../state.js';

/** Flags of `status`. */
export interface StatusFlags {
  config?: string;
  json?: boolean;
}

type Loops = (LoopStatus & { orphanPids?: number[] })[];

/** The supervisor as `status` saw it. */
interface Seen {
  supervisor: { pid: number; url: string; answering: boolean; processState?: string } | null;
  loops: Loops;
  guards: GuardRow[];
}

/**
 * Reads the running supervisor's `/runs` and `/guards`; when it does not
 * answer within `answerWithinMs` (stopped with SIGSTOP, or stalled), the
 * loops come from the state files and every configured guard reads
 * `off-runtime-divergent`: a supervisor that cannot speak vouches for nothing.
 */
async function look(
  config: SupervisorConfig,
  paths: StatePaths,
  client: ApiClient | undefined,
): Promise<Seen> {
  const fromFiles = () => loopNames(config, paths).map((name) => offlineStatus(paths, name));
  if (!client)
    return {
      supervisor: null,
      loops: fromFiles(),
      guards: unanswered(
        config,
        'no supervisor',
        `no supervisor runs on ${paths.stateDir}: nothing enforces this guard`,
      ),
    };
  try {
    const [runs, posture] = await Promise.all([
      client.request('GET', '/runs', SUPERVISOR_DEFAULTS.answerWithinMs),
      client.request('GET', '/guards', SUPERVISOR_DEFAULTS.answerWithinMs),
    ]);
    return {
      supervisor: { pid: client.pid, url: client.url, answering: true },
      loops: runs.body.loops as Loops,
      guards: posture.body.guards as GuardRow[],
    };
  } catch (error) {
    if (!SupervisorError.isInstance(error) || error.code !== 'ERR_API') throw error;
    const state = getProcessInfoSync(client.pid, { cmdline: false })?.state;
    const stopped = state === 'T' || state === 't';
    const why = stopped
      ? `the supervisor (pid ${client.pid}) is stopped (SIGSTOP, process state ${state})`
      : `the supervisor (pid ${client.pid}) did not answer within ${formatDuration(SUPERVISOR_DEFAULTS.answerWithinMs)} (process state ${state ?? 'gone'})`;
    return {
      supervisor: {
        pid: client.pid,
        url: client.url,
        answering: false,
        ...(state ? { processState: state } : {}),
      },
      // Its runs are its own, not orphans: the process lives, it just does not answer.
      loops: fromFiles().map(({ orphanPids: _orphans, ...loop }) => loop),
      guards: unanswered(
        config,
        stopped ? 'supervisor stopped' : 'not answering',
        `${why}: none of its watchdogs ticks, nothing vouches for this guard`,
      ),
    };
  }
}

/**
 * `status`: every loop's state, pid, run, attempt, resumes, restarts and last
 * reason, and the guard posture (the rows of `GET /guards`): from the running
 * supervisor's API, else from the state files.
 *
 * @param flags - `--config`, `--json`.
 * @returns 0.
 * @throws {ConfigError} (64), {@link SupervisorError} `ERR_STATE` (7) for a corrupt state file.
 */
export async function statusCommand(flags: StatusFlags): Promise<number> {
  const config = loadConfig(flags.config);
  const paths = statePaths(config.stateDir);
  const { supervisor, loops, guards } = await look(config, paths, connect(paths));
  const divergent = guards.filter((row) => row.state === 'off-runtime-divergent').length;
  if (flags.json) {
    printJson('OK', { stateDir: paths.stateDir, supervisor, loops, divergent, guards });
    return 0;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(
    supervisor?.answering
      ? `supervisor pid ${supervisor.pid} on ${supervisor.url} (${paths.stateDir})`
      : supervisor
        ? colors.red(
            `supervisor pid ${supervisor.pid} does not answer (${supervisor.processState === 'T' ? 'stopped' : `state ${supervisor.processState ?? 'gone'}`}): from the state files`,
          )
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
  out('');
  out(
    divergent > 0
      ? colors.red(`guards: ${divergent} configured on but not in force`)
      : colors.green('guards: every configured guard is in force'),
  );
  const paint = (row: GuardRow, text: string) =>
    row.state === 'off-runtime-divergent'
      ? colors.red(text)
      : row.state === 'off-by-config'
        ? colors.dim(text)
        : text;
  const lines = table(
    ['loop', 'guard', 'configured', 'effective', 'state', 'reason'],
    guards.map((row) => [
      row.loop ?? '(supervisor)',
      row.guard,
      row.configured,
      row.effective,
      row.state,
      row.reason,
    ]),
  );
  out(lines[0]!);
  for (const [index, line] of lines.slice(1).entries()) out(paint(guards[index]!, line));
  return 0;
}
