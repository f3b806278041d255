import type { TestProject } from 'vitest/node';
import { startLibsqlCluster } from '../scripts/libsql-cluster';
import { applyDirectoryMigrations, applyMigrations, migrateAll } from '../scripts/migrate';
import { bootLocalPlane, LOCAL_DATABASES } from '../scripts/plane';
import { listDatabases, openDirectory, registerDatabase } from '../src/db/directory';
import { startLibsqlServer } from '../scripts/libsql-server';
import { SMALL_TABLES } from '../scripts/libsql-server/scans';
import { startProviderStub } from './provider-stub';

declare module 'vitest' {
  export interface ProvidedContext {
    libsqlUrl: string;
    /** A second server that reports statements whose plan scans a table (test/workers/scans.test.ts). */
    libsqlScanUrl: string;
    /** A third server whose faults tests cause on command (test/workers/outage.test.ts): its URL and its fault control. */
    libsqlFaultUrl: string;
    libsqlFaultControl: string;
    /** The provider stand-in (test/provider-stub.ts): mail, SMS and webhook endpoints that record requests. */
    providerUrl: string;
    /** The directory of an in-memory data plane (the `workers-plane` project: tenants in different databases). */
    directoryUrl: string;
    /** Its data databases, JSON `[{id, region, url}]`, one per region of the local stack. */
    planeDatabases: string;
    /** A directory and two data databases of test/workers/due-work.test.ts alone (idle unless it makes work). */
    probeDirectoryUrl: string;
    /** Their ids and URLs, JSON `[{id, url}]`. */
    probeDatabases: string;
  }
}

/**
 * One in-memory local libSQL server for the workerd suites, migrated like production; a second
 * one of its own for the table-scan suite, whose statements no other suite's mix with; a third
 * for the outage suite, whose faults (refused, paused, failing) no other suite suffers; a data
 * plane in memory (a directory and one data database per region) for the suites that run with
 * tenants in different databases; and the HTTP stand-in for the mail and SMS providers and
 * tenant webhooks.
 */
export default async function setup(project: TestProject) {
  const [server, scanServer, faultServer, stub, cluster, probeCluster] = await Promise.all([
    startLibsqlServer({ file: ':memory:' }),
    startLibsqlServer({ file: ':memory:', flagScans: { allow: SMALL_TABLES } }),
    startLibsqlServer({ file: ':memory:', faults: true }),
    startProviderStub(),
    startLibsqlCluster({}),
    // The due-work probes may not scan even the small tables.
    startLibsqlCluster({ flagScans: { allow: [] } }),
  ]);
  const plane = await bootLocalPlane(cluster);
  const databases = (await listDatabases(plane.directory)).filter((d) => LOCAL_DATABASES.some((l) => l.id === d.id));
  project.provide('directoryUrl', plane.directoryUrl);
  project.provide('planeDatabases', JSON.stringify(databases.map((d) => ({ id: d.id, region: d.region, url: d.url }))));
  const probe = await probePlane(probeCluster);
  project.provide('probeDirectoryUrl', probe.directoryUrl);
  project.provide('probeDatabases', JSON.stringify(probe.databases));
  await Promise.all([applyMigrations(server.url), applyMigrations(scanServer.url), applyMigrations(faultServer.url)]);
  scanServer.resetStats(); // the migrations' own statements are not a request path
  project.provide('libsqlUrl', server.url);
  project.provide('libsqlScanUrl', scanServer.url);
  project.provide('libsqlFaultUrl', faultServer.url);
  project.provide('libsqlFaultControl', faultServer.controlUrl!);
  project.provide('providerUrl', stub.url);
  return async () => {
    await Promise.all([server.close(), scanServer.close(), faultServer.close(), stub.close(), cluster.close(), probeCluster.close()]);
  };
}

/** A small plane of its own for the due-work probes: no other suite's work may show in it. */
async function probePlane(cluster: Awaited<ReturnType<typeof startLibsqlCluster>>) {
  const directoryUrl = await cluster.create('directory');
  await applyDirectoryMigrations(directoryUrl);
  const databases: { id: string; url: string }[] = [];
  for (const id of ['probe-a', 'probe-b']) {
    const url = await cluster.create(id);
    await registerDatabase(openDirectory(directoryUrl), { id, region: 'eu', url, placement: 'shared' });
    databases.push({ id, url });
  }
  await migrateAll({ directoryUrl });
  for (const d of databases) cluster.server(d.id)!.resetStats(); // the migrations are no probe
  return { directoryUrl, databases };
}
