import { formatDuration } from '@runwarden/cli-kit';
import { captureIdentity, type ProcessIdentity } from '@runwarden/process-identity';
import { newRunId } from '@runwarden/watchdog';
import { reportOperation } from '../../coordination-output.js';
import { withStore } from '../../coordination-store.js';
import { usage } from '../../errors.js';
import { colors } from '../../output.js';
import type { StoreFlags } from '../../store-options.js';

/** Flags of `runwarden claim`, as parsed. */
export interface ClaimFlags extends StoreFlags {
  runId?: string;
  takeover?: boolean;
  /** `--lease`, in ms. */
  lease?: number;
  ownerPid?: number;
  owner?: boolean;
  json?: boolean;
}

function ownerOf(flags: ClaimFlags): ProcessIdentity | undefined {
  if (flags.owner === false) return undefined;
  const pid = flags.ownerPid ?? process.ppid;
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
 * @param target - the target key.
 * @param flags - the parsed flags.
 * @returns 0, or 5 when another run owns the target.
 * @throws {CliError} `USAGE` for a bad owner pid or store flags; the store's errors, mapped.
 */
export async function claimCommand(target: string, flags: ClaimFlags): Promise<number> {
  const runId = flags.runId ?? newRunId();
  const owner = ownerOf(flags);
  return withStore(flags, async ({ store }) => {
    const result = await store.claim(target, {
      runId,
      mode: flags.takeover ? 'takeover' : 'claim',
      owner,
      leaseMs: flags.lease,
    });
    if (result.ok && !flags.json) process.stdout.write(`${runId}\n`);
    return reportOperation(result, {
      json: flags.json,
      human: () =>
        `claimed ${colors.bold(result.target)} for run ${runId} (${result.ok ? result.status : ''}, fencing token ${result.ok ? result.fencingToken : ''}, lease ${formatDuration(result.activeRun?.leaseMs ?? 0)})`,
    });
  });
}
