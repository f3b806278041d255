import type { TestProject } from 'vitest/node';
import { applyMigrations } from '../scripts/migrate';
import { startLibsqlServer } from '../scripts/libsql-server';
import { startProviderStub } from './provider-stub';

declare module 'vitest' {
  export interface ProvidedContext {
    libsqlUrl: string;
    /** The provider stand-in (test/provider-stub.ts): mail, SMS and webhook endpoints that record requests. */
    providerUrl: string;
  }
}

/**
 * One in-memory local libSQL server for the workerd suites, migrated like production, and the
 * HTTP stand-in for the mail and SMS providers and tenant webhooks.
 */
export default async function setup(project: TestProject) {
  const [server, stub] = await Promise.all([startLibsqlServer({ file: ':memory:' }), startProviderStub()]);
  await applyMigrations(server.url);
  project.provide('libsqlUrl', server.url);
  project.provide('providerUrl', stub.url);
  return async () => {
    await Promise.all([server.close(), stub.close()]);
  };
}
