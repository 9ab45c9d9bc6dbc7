/**
 * vitest globalSetup: one private PostgreSQL cluster for this package's tests
 * (see `postgres-cluster.ts`), started once and stopped at the end, or the
 * server named by `RUNWARDEN_TEST_DATABASE_URL`. Without either, the
 * PostgreSQL tests skip with the reason in their names, unless
 * `RUNWARDEN_TEST_REQUIRE_POSTGRES=1` (CI), which makes that an error.
 * `RUNWARDEN_TEST_POSTGRES=off` (the unit tests of `test:fast`) starts nothing.
 */
import type { TestProject } from 'vitest/node';
import { type PostgresCluster, startPostgresCluster } from './postgres-cluster.js';

export default async function setup(project: TestProject) {
  const required = process.env.RUNWARDEN_TEST_REQUIRE_POSTGRES === '1';
  const given = process.env.RUNWARDEN_TEST_DATABASE_URL;
  let cluster: PostgresCluster | undefined;
  if (given) {
    project.provide('postgres', { url: given, source: 'RUNWARDEN_TEST_DATABASE_URL' });
  } else if (process.env.RUNWARDEN_TEST_POSTGRES === 'off') {
    project.provide('postgres', { reason: 'RUNWARDEN_TEST_POSTGRES=off' });
  } else {
    try {
      cluster = await startPostgresCluster();
      project.provide('postgres', { url: cluster.url, source: cluster.source });
    } catch (error) {
      const reason = `no PostgreSQL server: ${(error as Error).message}; set RUNWARDEN_TEST_DATABASE_URL`;
      if (required) throw new Error(`RUNWARDEN_TEST_REQUIRE_POSTGRES=1 but ${reason}`);
      project.provide('postgres', { reason });
    }
  }
  return async () => {
    await cluster?.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: { url: string; source: string } | { reason: string };
  }
}
