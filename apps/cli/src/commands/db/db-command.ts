import { DATABASE_URL_ENV, PostgresStore } from '@runwarden/coordination-state';
import { databaseUrlProblem } from '../../coordination-store.js';
import { usage } from '../../errors.js';
import { toCliError } from '../../failure.js';
import { printJson, say } from '../../output.js';

/** Flags of `runwarden db migrate`, as parsed. */
export interface DbFlags {
  databaseUrl?: string;
  json?: boolean;
}

/**
 * `runwarden db migrate`: creates (or upgrades) the PostgreSQL tables of the
 * coordination store in schema `runwarden`; safe to run again and from
 * several machines at once.
 *
 * @param flags - the parsed flags.
 * @returns 0.
 * @throws {CliError} `USAGE` without a usable URL; `SERVICE_FAILED` when PostgreSQL fails.
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
    throw toCliError(error);
  } finally {
    await store?.close().catch(() => undefined);
  }
}
