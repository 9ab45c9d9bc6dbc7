import { execFile } from 'node:child_process';
import { win32 } from 'node:path';
import { descendantsOf, listProcesses, type ProcessInfo } from '@runwarden/process-identity';
import type { CommandSpec } from '@runwarden/process-identity/internal';
import type { KillReason } from './outcome.js';
import { summarizeKill } from './result.js';
import type { KillProcessReport, KillTreeOptions, KillTreeResult } from './types.js';

/**
 * `%SystemRoot%\System32\taskkill.exe`, by absolute path so a `taskkill`
 * earlier in `PATH` is never run.
 *
 * @param env - where `SystemRoot` is read; `process.env` when omitted.
 * @returns the absolute path.
 */
export function taskkillPath(env: NodeJS.ProcessEnv = process.env): string {
  return win32.join(env.SystemRoot ?? env.SYSTEMROOT ?? 'C:\\Windows', 'System32', 'taskkill.exe');
}

/**
 * A `taskkill` command line as an argument array (taskkill(1), Windows
 * Commands): `/PID` once per pid, `/T` for the tree, `/F` to force.
 *
 * @param request - the pids, and whether to include the tree and to force.
 * @param env - where `SystemRoot` is read; `process.env` when omitted.
 * @returns the command to run.
 */
export function taskkillCommand(
  request: { pids: number[]; tree?: boolean; force?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): CommandSpec {
  return {
    file: taskkillPath(env),
    args: [
      ...request.pids.flatMap((pid) => ['/PID', String(Math.trunc(pid))]),
      ...(request.tree ? ['/T'] : []),
      ...(request.force ? ['/F'] : []),
    ],
  };
}

/** One line of `taskkill` output, read (English Windows; other languages are not parsed). */
export interface TaskkillLine {
  pid: number;
  /** The parent pid `taskkill /T` names, when it does. */
  parentPid?: number;
  /** `signalled` (close message sent), `terminated` (`/F`), `failed`, `not-found`. */
  result: 'signalled' | 'terminated' | 'failed' | 'not-found';
  /** The `Reason:` line of a failure, e.g. `Access is denied.` */
  reason?: string;
}

const LINES: Array<[RegExp, TaskkillLine['result']]> = [
  [
    /^SUCCESS: Sent termination signal to the process with PID (\d+)(?:, child of PID (\d+))?\.$/,
    'signalled',
  ],
  [
    /^SUCCESS: The process with PID (\d+)(?: \(child process of PID (\d+)\))? has been terminated\.$/,
    'terminated',
  ],
  [
    /^ERROR: The process with PID (\d+)(?: \(child process of PID (\d+)\))? could not be terminated\.$/,
    'failed',
  ],
  [/^ERROR: The process "(\d+)" not found\.$/, 'not-found'],
];

/**
 * Reads what `taskkill` printed (stdout and stderr together), for the report.
 * Decisions never depend on it: `taskkill` output is translated on
 * non-English Windows; the process table is what counts.
 *
 * @param output - stdout and stderr of `taskkill`.
 * @returns one entry per recognised line.
 */
export function parseTaskkillOutput(output: string): TaskkillLine[] {
  const lines: TaskkillLine[] = [];
  for (const raw of output.split(/\r?\n/)) {
    const text = raw.trim();
    const reason = /^Reason: (.*)$/.exec(text);
    if (reason && lines.length > 0) {
      lines[lines.length - 1]!.reason = reason[1]!;
      continue;
    }
    for (const [pattern, result] of LINES) {
      const match = pattern.exec(text);
      if (!match) continue;
      const line: TaskkillLine = { pid: Number(match[1]), result };
      if (match[2] !== undefined) line.parentPid = Number(match[2]);
      lines.push(line);
      break;
    }
  }
  return lines;
}

/** What the Windows engine needs from the machine. */
export interface WindowsSystem {
  /** One snapshot of the process table (one PowerShell CIM query). */
  list(): Promise<ProcessInfo[]>;
  /** Runs a command and returns its exit code and output; never throws for a non-zero exit. */
  run(spec: CommandSpec): Promise<{ exitCode: number; output: string }>;
}

/**
 * The machine as Windows shows it: PowerShell CIM for the table, `execFile` for `taskkill`.
 *
 * @returns the system for {@link killWindowsTree}.
 */
export function defaultWindowsSystem(): WindowsSystem {
  return {
    list: () => listProcesses(),
    run: (spec) =>
      new Promise((resolve) => {
        execFile(
          spec.file,
          spec.args,
          { windowsHide: true, encoding: 'utf8' },
          (error, stdout, stderr) => {
            const code = (error as { code?: unknown } | null)?.code;
            resolve({
              exitCode: error ? (typeof code === 'number' ? code : 1) : 0,
              output: `${stdout}${stderr}`,
            });
          },
        );
      }),
  };
}

interface WindowsMember {
  pid: number;
  startTicks: number;
  comm: string;
  via: 'root' | 'descendant';
  signals: string[];
  forced: boolean;
  denied: boolean;
  gone?: 'gone' | 'reused';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Ends a tree on Windows: `taskkill /PID <root> /T` (a close request to the
 * tree), then after `graceMs`, for every member whose creation time still
 * matches, one `taskkill /PID … /F`. `/T` is not used in the forced round:
 * Windows keeps stale parent pids, so the tree is walked here with the
 * creation-time check of `descendantsOf` instead.
 *
 * @param root - the verified root, or `undefined` when it is gone (nothing to do).
 * @param options - timings.
 * @param system - the machine.
 * @returns the report.
 */
export async function killWindowsTree(
  root: { pid: number; startTicks: number } | undefined,
  options: Required<Pick<KillTreeOptions, 'graceMs' | 'forceWaitMs' | 'pollMs'>>,
  system: WindowsSystem,
): Promise<KillTreeResult> {
  const started = performance.now();
  const members = new Map<number, WindowsMember>();
  const pollMs = Math.max(options.pollMs, 250);
  const pending = () => [...members.values()].filter((member) => !member.gone);
  const adopt = (table: ProcessInfo[], from: WindowsMember[]) => {
    for (const parent of from) {
      for (const row of descendantsOf(parent.pid, table)) {
        if (members.has(row.pid)) continue;
        members.set(row.pid, {
          pid: row.pid,
          startTicks: row.startTicks,
          comm: row.comm,
          via: 'descendant',
          signals: [],
          forced: false,
          denied: false,
        });
      }
    }
  };
  const refresh = (table: ProcessInfo[]) => {
    const byPid = new Map(table.map((row) => [row.pid, row]));
    for (const member of pending()) {
      const row = byPid.get(member.pid);
      if (!row) member.gone = 'gone';
      else if (row.startTicks !== member.startTicks) member.gone = 'reused';
    }
    return byPid;
  };

  let table = root ? await system.list() : [];
  const rootRow = root ? table.find((row) => row.pid === root.pid) : undefined;
  if (root && rootRow && rootRow.startTicks === root.startTicks) {
    members.set(root.pid, {
      pid: root.pid,
      startTicks: root.startTicks,
      comm: rootRow.comm,
      via: 'root',
      signals: [],
      forced: false,
      denied: false,
    });
    adopt(table, [members.get(root.pid)!]);
  }
  const snapshotMs = performance.now() - started;

  const graceStart = performance.now();
  if (members.size > 0) {
    await system.run(taskkillCommand({ pids: [root!.pid], tree: true }));
    for (const member of members.values()) member.signals.push('taskkill');
    const deadline = graceStart + options.graceMs;
    while (pending().length > 0 && performance.now() < deadline) {
      await sleep(Math.max(0, Math.min(pollMs, deadline - performance.now())));
      table = await system.list();
      refresh(table);
    }
  }
  const gracePhaseMs = performance.now() - graceStart;

  const forceStart = performance.now();
  let escalated = false;
  if (pending().length > 0) {
    escalated = true;
    table = await system.list();
    refresh(table);
    adopt(table, pending());
    refresh(table);
    const targets = pending();
    if (targets.length > 0) {
      const { output } = await system.run(
        taskkillCommand({ pids: targets.map((member) => member.pid), force: true }),
      );
      for (const member of targets) {
        member.signals.push('taskkill /F');
        member.forced = true;
      }
      for (const line of parseTaskkillOutput(output)) {
        if (line.result === 'failed' && /denied/i.test(line.reason ?? ''))
          members.get(line.pid)!.denied = true;
      }
    }
    const deadline = forceStart + options.forceWaitMs;
    for (;;) {
      table = await system.list();
      refresh(table);
      if (pending().length === 0 || performance.now() >= deadline) break;
      await sleep(Math.max(0, Math.min(pollMs, deadline - performance.now())));
    }
  }
  const forceMs = performance.now() - forceStart;

  const processes: KillProcessReport[] = [];
  for (const member of members.values()) {
    let reason: KillReason;
    if (member.gone === 'reused') reason = 'reused';
    else if (member.gone) reason = member.forced ? 'killed' : 'exited';
    else reason = member.denied ? 'eperm' : member.forced ? 'unkillable' : 'unknown';
    processes.push({
      pid: member.pid,
      comm: member.comm,
      reason,
      via: member.via,
      signals: member.signals,
    });
  }
  return summarizeKill({
    mechanism: 'taskkill',
    rootPid: members.has(root?.pid ?? -1) ? root!.pid : null,
    processes,
    escalated,
    startedMs: started,
    phasesMs: { snapshotMs, graceMs: gracePhaseMs, forceMs },
  });
}
