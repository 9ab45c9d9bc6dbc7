import { captureIdentity, type ProcessIdentity } from '@runwarden/process-identity';
import { newRunId } from '@runwarden/watchdog';
import type { Command } from 'commander';
import { addStoreOptions, type StoreFlags, withStore } from '../coordination-store.js';
import { formatDuration, parseCount, parseDuration } from '../durations.js';
import { usage } from '../errors.js';
import { colors } from '../output.js';
import { reportOperation } from './coordination-output.js';

/** Raw flags of `runwarden claim`. */
export interface ClaimFlags extends StoreFlags {
  runId?: string;
  takeover?: boolean;
  lease?: string;
  ownerPid?: string;
  owner?: boolean;
  json?: boolean;
}

function ownerOf(flags: ClaimFlags): ProcessIdentity | undefined {
  if (flags.owner === false) return undefined;
  const pid =
    flags.ownerPid !== undefined ? parseCount('--owner-pid', flags.ownerPid) : process.ppid;
  const identity = pid > 0 ? captureIdentity(pid) : null;
  if (!identity) throw usage(`--owner-pid: there is no process ${pid}`);
  return identity;
}

/**
 * `runwarden claim TARGET`: claims a target for a run (generated and printed
 * on stdout when `--run-id` is not given). The owner recorded is the calling
 * process (the shell or script that ran `runwarden claim`), so on this machine
 * the target frees itself when that process dies; `--no-owner` leaves only the lease.
 *
 * @returns 0, or 5 when another run owns the target.
 */
export async function claimCommand(target: string, flags: ClaimFlags): Promise<number> {
  const runId = flags.runId ?? newRunId();
  const leaseMs = flags.lease !== undefined ? parseDuration('--lease', flags.lease) : undefined;
  const owner = ownerOf(flags);
  return withStore(flags, async ({ store }) => {
    const result = await store.claim(target, {
      runId,
      mode: flags.takeover ? 'takeover' : 'claim',
      owner,
      leaseMs,
    });
    if (result.ok && !flags.json) process.stdout.write(`${runId}\n`);
    return reportOperation(result, {
      json: flags.json,
      human: () =>
        `claimed ${colors.bold(result.target)} for run ${runId} (${result.ok ? result.status : ''}, fencing token ${result.ok ? result.fencingToken : ''}, lease ${formatDuration(result.activeRun?.leaseMs ?? 0)})`,
    });
  });
}

/** Registers `runwarden claim`. */
export function registerClaim(program: Command, exit: { code: number }): void {
  addStoreOptions(
    program
      .command('claim')
      .description(
        'claim a target (owner/repo#123, queue:item-7) for a run: exit 5 if another run owns it',
      )
      .argument('<target>', 'the target key')
      .option('--run-id <id>', 'the claiming run (default: a new id, printed on stdout)')
      .option('--takeover', 'replace a live owner (it gets ownership_lost at its next check)')
      .option(
        '--lease <dur>',
        'lease: others may claim once it passes without a refresh (default 5m)',
      )
      .option('--owner-pid <pid>', 'the process that owns the claim (default: the calling process)')
      .option('--no-owner', 'record no owner process: only the lease frees the target'),
  )
    .option('--json', 'print one JSON object with ok, reason, exitCode and the data')
    .addHelpText(
      'after',
      `
Example:
  $ RUN_ID=$(runwarden claim acme/widgets#12 --lease 10m) || exit 5
  $ runwarden claim queue:item-7 --run-id nightly-42 --takeover --json
  $ runwarden claim acme/widgets#12 --store postgres --database-url postgres://runner@db/fleet`,
    )
    .action(async (target: string, flags: ClaimFlags) => {
      exit.code = await claimCommand(target, flags);
    });
}
