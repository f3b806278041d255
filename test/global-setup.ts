import type { TestProject } from 'vitest/node';
import { applyMigrations } from '../scripts/migrate';
import { startLibsqlServer } from '../scripts/libsql-server';

declare module 'vitest' {
  export interface ProvidedContext {
    libsqlUrl: string;
  }
}

/** One in-memory local libSQL server for the workerd suites, migrated like production. */
export default async function setup(project: TestProject) {
  const server = await startLibsqlServer({ file: ':memory:' });
  await applyMigrations(server.url);
  project.provide('libsqlUrl', server.url);
  return () => server.close();
}
