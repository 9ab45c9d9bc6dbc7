/**
 * One row of the process table, the same shape on every platform.
 *
 * Linux reads every field from `/proc/<pid>/stat` and `/proc/<pid>/cmdline`
 * (proc(5)) with no child process; macOS from one `ps` call; Windows from one
 * `Get-CimInstance Win32_Process` query. A field the platform does not report
 * has a documented placeholder (`-1`, `'?'`), never a guess.
 */
export interface ProcessInfo {
  pid: number;
  /** Parent pid. On Windows it may name a dead parent whose pid was reused; see `descendantsOf`. */
  ppid: number;
  /** Process group id (setpgid(2)); `-1` on Windows, which has none. */
  pgid: number;
  /** Session id (setsid(2)); `-1` where it is not reported (macOS, Windows). */
  sid: number;
  /**
   * One-letter state: `R` running, `S` sleeping, `D` disk sleep, `T` stopped,
   * `Z` zombie, `X` dead, `I` idle; `'?'` on Windows, which reports none.
   */
  state: string;
  /**
   * Short executable name: Linux `comm` (at most 15 bytes), macOS the base
   * name of `argv[0]`, Windows the image name (`node.exe`).
   */
  comm: string;
  /**
   * Start time as an integer that never changes while the process lives:
   * Linux clock ticks since boot (field 22 of `/proc/<pid>/stat`, 1/100 s,
   * immune to clock steps); macOS and Windows centiseconds since the Unix
   * epoch (1 s resolution on macOS from `ps lstart`, 10 ms on Windows from
   * `CreationDate`). Compare it only with values read on the same machine.
   */
  startTicks: number;
  /** Start time as Unix ms, for people (Linux: boot time + ticks, about 1 s accuracy). */
  startTimeMs: number;
  /**
   * Command line as argv. Empty for kernel threads, zombies, a process caught
   * mid-exec, a command line that could not be read, and when not requested.
   * macOS joins argv with spaces, so it is split on spaces; Windows is split by
   * the `CommandLineToArgvW` rules.
   */
  cmdline: string[];
}
