import type { CommandSpec } from './command.js';
import type { ProcessInfo } from './process-info.js';

/** `ps` of macOS, by absolute path so a `ps` earlier in `PATH` is never run. */
export const PS_PATH = '/bin/ps';

/**
 * The columns read from macOS `ps` (ps(1)): `stat` is there so a zombie can be
 * told (`Z`); `args` comes last because it holds spaces. Headers are empty
 * (`=`), so `ps` prints no header line.
 */
export const PS_COLUMNS = 'pid=,ppid=,pgid=,stat=,lstart=,args=';

/**
 * The one `ps` call that lists the whole table on macOS (or one pid with
 * `pid`): `ps -A -ww -o pid=,ppid=,pgid=,stat=,lstart=,args=`, started with an
 * argument array. `-ww` lifts the column width limit so `args` is never cut;
 * `LC_ALL=C` and `TZ=UTC` make `lstart` (`strftime("%c")` in the local time
 * zone, ps(1)) the same English UTC text everywhere.
 *
 * @param options - `pid`: list only this process (`-p <pid>` instead of `-A`).
 * @returns the command to run.
 */
export function psCommand(options: { pid?: number } = {}): CommandSpec {
  const select = options.pid === undefined ? ['-A'] : ['-p', String(options.pid)];
  return {
    file: PS_PATH,
    args: [...select, '-ww', '-o', PS_COLUMNS],
    env: { LC_ALL: 'C', LANG: 'C', TZ: 'UTC' },
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// pid ppid pgid stat  Www Mmm dd hh:mm:ss yyyy  args
const LINE =
  /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+[A-Z][a-z]{2} ([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})(?:\s(.*))?$/;

/**
 * Parses the output of {@link psCommand} (macOS `ps`, started with `LC_ALL=C`
 * and `TZ=UTC`). A line that does not parse is skipped, never guessed at.
 *
 * `args` that `ps` could not read (another user's process, a zombie) are
 * printed as `(comm)`: the row then has that `comm` and an empty `cmdline`.
 * `startTicks` is the start time in centiseconds since the Unix epoch, at the
 * one-second resolution of `lstart`.
 *
 * @param stdout - what `ps` printed.
 * @returns one row per process.
 */
export function parsePsTable(stdout: string): ProcessInfo[] {
  const rows: ProcessInfo[] = [];
  for (const line of stdout.split('\n')) {
    const match = LINE.exec(line.replace(/\r$/, ''));
    if (!match) continue;
    const [, pid, ppid, pgid, stat, month, day, hours, minutes, seconds, year, rawArgs] = match;
    const monthIndex = MONTHS.indexOf(month!);
    if (monthIndex < 0) continue;
    const startSeconds =
      Date.UTC(
        Number(year),
        monthIndex,
        Number(day),
        Number(hours),
        Number(minutes),
        Number(seconds),
      ) / 1000;
    const args = (rawArgs ?? '').trim();
    const unreadable = /^\((.*)\)$/.exec(args);
    const cmdline = unreadable || args.length === 0 ? [] : args.split(' ');
    const argv0 = cmdline[0] ?? '';
    rows.push({
      pid: Number(pid),
      ppid: Number(ppid),
      pgid: Number(pgid),
      sid: -1,
      state: stat!.charAt(0),
      comm: unreadable ? unreadable[1]! : argv0.slice(argv0.lastIndexOf('/') + 1),
      startTicks: startSeconds * 100,
      startTimeMs: startSeconds * 1000,
      cmdline,
    });
  }
  return rows;
}
