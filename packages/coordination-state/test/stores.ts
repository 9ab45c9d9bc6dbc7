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
