import { formatDuration } from '@runwarden/cli-kit';
import { COORDINATION_DEFAULTS, DATABASE_URL_ENV } from '@runwarden/coordination-state';
import { type Command, Option } from 'commander';
import { durationFlag, stateDirOption } from './flags.js';

/** Flags every coordination command takes to pick its store. */
export interface StoreFlags {
  /** `file` (default) or `postgres`. */
  store?: string;
  /** PostgreSQL URL; implies `--store postgres`. */
  databaseUrl?: string;
  /** An existing coordination directory, e.g. dev-loops' `.pi/runner-coordination`. */
  coordinationDir?: string;
  /** The state directory (the file store lives in its `coordination/`). */
  stateDir?: string;
}

/**
 * Adds `--store`, `--database-url`, `--coordination-dir` and `--state-dir` to
 * a coordination command (deferred with `beforeParse`: the help reads
 * coordination-state's `DATABASE_URL_ENV`).
 *
 * @param command - a coordination command.
 * @returns the same command.
 */
export function addStoreOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--store <kind>',
        'where ownership lives: file (one machine) or postgres (a fleet)',
      )
        .choices(['file', 'postgres'])
        .env('RUNWARDEN_STORE'),
    )
    .addOption(
      new Option(
        '--database-url <url>',
        `PostgreSQL URL for --store postgres (default: $${DATABASE_URL_ENV})`,
      ),
    )
    .addOption(
      new Option(
        '--coordination-dir <dir>',
        'file store directory, e.g. an existing dev-loops .pi/runner-coordination (default: <state-dir>/coordination)',
      ),
    )
    .addOption(stateDirOption());
}

/**
 * `--lease DUR` of `runwarden claim`, in ms (deferred like the store flags:
 * its default is coordination-state's `COORDINATION_DEFAULTS.leaseMs`).
 *
 * @returns the option.
 */
export function leaseOption(): Option {
  return new Option(
    '--lease <dur>',
    `lease: others may claim once it passes without a refresh (default ${formatDuration(COORDINATION_DEFAULTS.leaseMs)})`,
  ).argParser(durationFlag('--lease'));
}

/**
 * `--database-url URL` of `runwarden db migrate` (deferred like the store
 * flags: its help reads `DATABASE_URL_ENV`).
 *
 * @returns the option.
 */
export function databaseUrlOption(): Option {
  return new Option('--database-url <url>', `PostgreSQL URL (default: $${DATABASE_URL_ENV})`);
}
