import type { Command } from 'commander';
import { beforeParse } from '../../before-parse.js';
import type { ExitCode } from '../../exit-code.js';
import { jsonOption } from '../../flags.js';
import type { DbFlags } from './db-command.js';

/**
 * Registers `runwarden db migrate`; its work loads only when it runs.
 *
 * @param program - the `runwarden` program.
 * @param exit - where the action stores its exit code.
 */
export function register(program: Command, exit: ExitCode): void {
  const db = program.command('db').description('the PostgreSQL coordination store');
  const migrate = db
    .command('migrate')
    .description('create or upgrade the coordination tables (idempotent)')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExample:\n  $ runwarden db migrate --database-url postgres://runner@db:5432/fleet',
    )
    .action(async (flags: DbFlags) => {
      const { dbMigrateCommand } = await import('../coordination-actions.js');
      exit.code = await dbMigrateCommand(flags);
    });
  beforeParse(migrate, async () => {
    migrate.addOption((await import('../coordination-actions.js')).databaseUrlOption());
  });
}
