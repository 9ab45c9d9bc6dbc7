import type { Command } from 'commander';
import { beforeParse } from '../../before-parse.js';
import type { ExitCode } from '../../exit-code.js';
import { countFlag, jsonOption } from '../../flags.js';
import type { ClaimFlags } from './claim-command.js';

/**
 * Registers `runwarden claim`; its work (and the store flags) load only when it runs.
 *
 * @param program - the `runwarden` program.
 * @param exit - where the action stores its exit code.
 */
export function register(program: Command, exit: ExitCode): void {
  const command = program
    .command('claim')
    .description(
      'claim a target (owner/repo#123, queue:item-7) for a run: exit 5 if another run owns it',
    )
    .argument('<target>', 'the target key')
    .option('--run-id <id>', 'the claiming run (default: a new id, printed on stdout)')
    .option('--takeover', 'replace a live owner (it gets ownership_lost at its next check)')
    .option(
      '--owner-pid <pid>',
      'the process that owns the claim (default: the calling process)',
      countFlag('--owner-pid'),
    )
    .option('--no-owner', 'record no owner process: only the lease frees the target')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Example:
  $ RUN_ID=$(runwarden claim acme/widgets#12 --lease 10m) || exit 5
  $ runwarden claim queue:item-7 --run-id nightly-42 --takeover --json
  $ runwarden claim acme/widgets#12 --store postgres --database-url postgres://runner@db/fleet`,
    )
    .action(async (target: string, flags: ClaimFlags) => {
      const { claimCommand } = await import('../coordination-actions.js');
      exit.code = await claimCommand(target, flags);
    });
  beforeParse(command, async () => {
    const { addStoreOptions, leaseOption } = await import('../coordination-actions.js');
    addStoreOptions(command.addOption(leaseOption()));
  });
}
