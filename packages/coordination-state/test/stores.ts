/** The stores the suites run against: a FileStore in a temp dir, and a PostgresStore in a fresh schema. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import {
  type CoordinationStore,
  FileStore,
  PostgresStore,
  type StoreOptions,
} from '../src/index.js';

const provided = inject('postgres');

/** The test server's URL, when there is one. */
export const postgresUrl: string | undefined = 'url' in provided ? provided.url : undefined;

/** A suite name that carries the reason when PostgreSQL tests are skipped. */
export function postgresName(name: string): string {
  return 'url' in provided
    ? `${name} (on ${provided.source})`
    : `${name} (skipped: ${provided.reason})`;
}

/** A store and how to get rid of it. */
export interface MadeStore<S extends CoordinationStore = CoordinationStore> {
  store: S;
  cleanup(): Promise<void>;
}

/** A FileStore in a new temp directory. */
export async function makeFileStore(options: StoreOptions = {}): Promise<MadeStore<FileStore>> {
  const directory = mkdtempSync(join(tmpdir(), 'coordination-'));
  return {
    store: new FileStore({ directory: join(directory, 'coordination'), ...options }),
    async cleanup() {
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** A fresh schema name, unique per call. */
export function freshSchemaName(): string {
  return `rw_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
}

/** Drops a test schema. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** One statement a pooled connection sent: each `query` is one statement, one round trip. */
export interface SentStatement {
  text: string;
  /** The SQLSTATE the server answered with, when it refused the statement. */
  error?: string;
}

/**
 * A pool of the test server whose connections record every statement they
 * send, and the SQLSTATE of each one the server refused.
 *
 * @param max - the pool's connections.
 * @returns the pool and the statements, oldest first.
 */
export function recordingPool(max: number): { pool: pg.Pool; sent: SentStatement[] } {
  const pool = new pg.Pool({ connectionString: postgresUrl, max });
  const sent: SentStatement[] = [];
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown> | undefined;
    (client as unknown as { query: typeof query }).query = (...args: unknown[]) => {
      const config = args[0] as string | { text: string };
      const entry: SentStatement = { text: typeof config === 'string' ? config : config.text };
      sent.push(entry);
      // pg-pool's pool.query passes a callback; a pooled client's own callers use the promise.
      const callback = args.at(-1);
      if (typeof callback === 'function') {
        args[args.length - 1] = (error: { code?: string } | null, result: unknown) => {
          if (error) entry.error = error.code;
          callback(error, result);
        };
        return query(...args);
      }
      return query(...args)?.catch((error: { code?: string }) => {
        entry.error = error.code;
        throw error;
      });
    };
  });
  return { pool, sent };
}

/** A migrated PostgresStore in a fresh schema of the test server. */
export async function makePostgresStore(
  options: StoreOptions & { maxConnections?: number } = {},
): Promise<MadeStore<PostgresStore>> {
  if (!postgresUrl) throw new Error('no test PostgreSQL server');
  const schema = freshSchemaName();
  const store = new PostgresStore({ connectionString: postgresUrl, schema, ...options });
  await store.migrate();
  return {
    store,
    async cleanup() {
      await store.close();
      await dropSchema(postgresUrl!, schema);
    },
  };
}

/** The stores every conformance suite runs against: FileStore always, PostgreSQL when a server is there. */
export const storeKinds: {
  name: string;
  skip: boolean;
  make: (options: StoreOptions) => Promise<MadeStore>;
}[] = [
  { name: 'FileStore', skip: false, make: makeFileStore },
  { name: postgresName('PostgresStore'), skip: !postgresUrl, make: makePostgresStore },
];
