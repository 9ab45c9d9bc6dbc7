import { DATABASE_URL_ENV, PostgresStore } from '@runwarden/coordination-state';
import type { Command } from 'commander';
import { coordinationFailure, databaseUrlProblem } from '../coordination-store.js';
import { usage } from '../errors.js';
import { printJson, say } from '../output.js';

/** Raw flags of `runwarden db migrate`. */
export interface DbFlags {
  databaseUrl?: string;
  json?: boolean;
}

/**
 * `runwarden db migrate`: creates (or upgrades) the PostgreSQL tables of the
 * coordination store in schema `runwarden`; safe to run again and from
 * several machines at once.
 *
 * @returns 0.
 */
export async function dbMigrateCommand(flags: DbFlags): Promise<number> {
  const url = flags.databaseUrl ?? process.env[DATABASE_URL_ENV];
  if (!url) throw usage(`db migrate needs --database-url URL or $${DATABASE_URL_ENV}`);
  const problem = databaseUrlProblem(url);
  if (problem)
    throw usage(`${flags.databaseUrl ? '--database-url' : `$${DATABASE_URL_ENV}`}: ${problem}`);
  let store: PostgresStore | undefined;
  try {
    store = new PostgresStore({ connectionString: url });
    const result = await store.migrate();
    if (flags.json) printJson('OK', { ...result });
    else
      say(
        result.applied.length > 0
          ? `schema ${result.schema} migrated to version ${result.version} (applied ${result.applied.join(', ')})`
          : `schema ${result.schema} is up to date (version ${result.version})`,
      );
    return 0;
  } catch (error) {
    throw coordinationFailure(error);
  } finally {
    await store?.close().catch(() => undefined);
  }
}

/** Registers `runwarden db migrate`. */
export function registerDb(program: Command, exit: { code: number }): void {
  const db = program.command('db').description('the PostgreSQL coordination store');
  db.command('migrate')
    .description('create or upgrade the coordination tables (idempotent)')
    .option('--database-url <url>', `PostgreSQL URL (default: $${DATABASE_URL_ENV})`)
    .option('--json', 'print one JSON object with ok, reason, exitCode and the data')
    .addHelpText(
      'after',
      '\nExample:\n  $ runwarden db migrate --database-url postgres://runner@db:5432/fleet',
    )
    .action(async (flags: DbFlags) => {
      exit.code = await dbMigrateCommand(flags);
    });
}
