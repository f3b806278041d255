// The data plane as the operator's scripts see it: the directory, the data databases of its
// catalog, and (on the local stack) a way to create new ones. The Worker's own view is
// src/db/plane.ts; both read the same directory.
import { openDb, type Db } from '../src/db/client';
import { leastLoadedShared, listDatabases, openDirectory, registerDatabase, recordSchemaVersion, type DataDatabase, type Directory } from '../src/db/directory';
import type { Region } from '../src/db/directory-schema';
import { DATA_SCHEMA_VERSION } from '../src/db/schema-version';
import { newId } from '../src/lib/ids';
import { createTenant, type NewTenant } from '../src/org/tenants';
import { deleteTenantRows } from '../src/tenancy/archive';
import { registerTenant } from '../src/tenancy/directory-entry';
import { createRemoteDatabase, startLibsqlCluster, type LibsqlCluster } from './libsql-cluster';
import { DATA_DIR, readState } from './local-stack';
import { createTursoDatabase, tursoFromEnv } from './turso';
import { applyDirectoryMigrations, applyMigrations, migrateAll, regionTokens } from './migrate';

export interface ScriptPlane {
  directory: Directory;
  directoryUrl: string;
  /** Creates a data database in a region: on the local cluster, or with Turso's Platform API in the region's group. */
  createDatabase?: (name: string, region: Region) => Promise<string>;
  tokenFor: (db: Pick<DataDatabase, 'region'>) => string | undefined;
}

/** The local stack's databases: the directory and one shared data database per region. */
export const LOCAL_DATABASES: { id: string; region: Region }[] = [
  { id: 'eu-shared-1', region: 'eu' },
  { id: 'us-shared-1', region: 'us' },
];

/** A local cluster made ready: the directory and the regional databases created, registered and migrated. */
export async function bootLocalPlane(cluster: LibsqlCluster): Promise<ScriptPlane> {
  const directoryUrl = await cluster.create('directory');
  const plane: ScriptPlane = { directory: openDirectory(directoryUrl), directoryUrl, createDatabase: (name) => cluster.create(name), tokenFor: () => undefined };
  await applyDirectoryMigrations(directoryUrl);
  for (const d of LOCAL_DATABASES) await registerDatabase(plane.directory, { id: d.id, region: d.region, url: await cluster.create(d.id), placement: 'shared' });
  await migrateAll({ directoryUrl });
  return plane;
}

/**
 * The plane a one-off script works on: DIRECTORY_URL (with DIRECTORY_AUTH_TOKEN and
 * LIBSQL_TOKENS) when set, else a running `npm start`'s, else the local files through a cluster
 * of the script's own for its duration.
 */
export async function withPlane<T>(work: (plane: ScriptPlane) => Promise<T>): Promise<T> {
  if (process.env.DIRECTORY_URL) {
    const directoryUrl = process.env.DIRECTORY_URL;
    await migrateAll({ directoryUrl, directoryToken: process.env.DIRECTORY_AUTH_TOKEN, tokenFor: regionTokens(process.env.LIBSQL_TOKENS) });
    // LIBSQL_ADMIN_URL: a local cluster's endpoint (tests); in production, TURSO_ORG and TURSO_API_TOKEN.
    const adminUrl = process.env.LIBSQL_ADMIN_URL;
    const turso = tursoFromEnv();
    return work({
      directory: openDirectory(directoryUrl, process.env.DIRECTORY_AUTH_TOKEN),
      directoryUrl,
      createDatabase: adminUrl ? (name) => createRemoteDatabase(adminUrl, name) : turso ? (name, region) => createTursoDatabase(turso, name, region) : undefined,
      tokenFor: regionTokens(process.env.LIBSQL_TOKENS),
    });
  }
  const state = readState();
  if (state?.directoryUrl) {
    const adminUrl = state.adminUrl;
    return work({
      directory: openDirectory(state.directoryUrl),
      directoryUrl: state.directoryUrl,
      createDatabase: adminUrl ? (name) => createRemoteDatabase(adminUrl, name) : undefined,
      tokenFor: () => undefined,
    });
  }
  const cluster = await startLibsqlCluster({ dir: DATA_DIR });
  try {
    return await work(await bootLocalPlane(cluster));
  } finally {
    await cluster.close();
  }
}

/** One data database of the catalog, by id. */
export async function dataDb(plane: ScriptPlane, id: string): Promise<Db> {
  const ref = (await listDatabases(plane.directory)).find((d) => d.id === id);
  if (!ref) throw new Error(`no data database ${id} in the catalog`);
  return openDb(ref.url, plane.tokenFor(ref));
}

/** Where a tenant's data lives now. */
export async function placementOf(plane: ScriptPlane, tenantId: string): Promise<{ databaseId: string; region: string; name: string } | null> {
  const rs = await plane.directory.$client.execute({ sql: 'select database_id, region, name from tenants where id = ?', args: [tenantId] });
  const row = rs.rows[0];
  return row ? { databaseId: String(row.database_id), region: String(row.region), name: String(row.name) } : null;
}

/**
 * The database a new tenant goes to: a new dedicated one, or the region's least loaded shared
 * one (a first shared one when the region has none).
 */
export async function chooseDatabase(plane: ScriptPlane, region: Region, dedicated: boolean): Promise<DataDatabase> {
  if (!dedicated) {
    const shared = await leastLoadedShared(plane.directory, region);
    if (shared) return shared;
  }
  const id = dedicated ? `${region}-${newId('ded').replace('_', '-')}` : `${region}-shared-1`;
  if (!plane.createDatabase)
    throw new Error(`set TURSO_ORG and TURSO_API_TOKEN, or create the data database ${id} in region ${region} (turso db create ${id} --group ${region}) and register it in the directory first`);
  const url = await plane.createDatabase(id, region);
  await applyMigrations(url, plane.tokenFor({ region }));
  await registerDatabase(plane.directory, { id, region, url, placement: dedicated ? 'dedicated' : 'shared' });
  await recordSchemaVersion(plane.directory, id, DATA_SCHEMA_VERSION);
  return (await listDatabases(plane.directory)).find((d) => d.id === id)!;
}

/** Creates a tenant in its region, in a dedicated or shared database, and enters it in the directory. */
export async function provisionTenant(plane: ScriptPlane, input: NewTenant & { region: Region; dedicated: boolean }) {
  const database = await chooseDatabase(plane, input.region, input.dedicated);
  const data = openDb(database.url, plane.tokenFor(database));
  const created = await createTenant(data, input);
  try {
    await registerTenant(plane.directory, { id: created.tenantId, name: input.name, region: input.region, databaseId: database.id, emails: [created.adminEmail] }, 'tenant:create');
  } catch (err) {
    await deleteTenantRows(data, created.tenantId); // no half-created tenant
    throw err;
  }
  return { ...created, region: input.region, databaseId: database.id, data };
}
