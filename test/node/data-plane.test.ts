// The local data plane: many libSQL databases in one process, each at its own URL, and the one
// migration runner over the directory and every data database of its catalog.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client/web';
import { afterAll, describe, expect, it } from 'vitest';
import { listDatabases, openDirectory, registerDatabase } from '../../src/db/directory';
import { DATA_SCHEMA_VERSION } from '../../src/db/schema-version';
import { createRemoteDatabase, startLibsqlCluster, type LibsqlCluster } from '../../scripts/libsql-cluster';
import { migrateAll } from '../../scripts/migrate';
import journal from '../../migrations/meta/_journal.json';

const dirs: string[] = [];
const clusters: LibsqlCluster[] = [];
afterAll(async () => {
  await Promise.all(clusters.map((c) => c.close()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function cluster(dir?: string, adminPort?: number) {
  const c = await startLibsqlCluster({ dir, adminPort });
  clusters.push(c);
  return c;
}

const tablesOf = async (url: string) => (await createClient({ url }).execute("select name from sqlite_master where type = 'table' order by name")).rows.map((r) => r.name);

describe('local libSQL cluster', () => {
  it('serves each database at its own URL, with nothing shared between them', async () => {
    const c = await cluster();
    const [eu, us] = await Promise.all([c.create('data-eu-1'), c.create('data-us-1')]);
    expect(eu).not.toBe(us);
    await createClient({ url: eu }).execute('create table only_in_eu (x)');
    expect(await tablesOf(eu)).toContain('only_in_eu');
    expect(await tablesOf(us)).not.toContain('only_in_eu');
    // Creating again finds the same database.
    expect(await c.create('data-eu-1')).toBe(eu);
  });

  it('creates databases for other processes through its admin endpoint and refuses bad names', async () => {
    const c = await cluster();
    const url = await createRemoteDatabase(c.adminUrl, 'tenant-acme');
    expect(c.list()).toEqual([{ name: 'tenant-acme', url }]);
    expect(await createRemoteDatabase(c.adminUrl, 'tenant-acme')).toBe(url);
    const bad = await fetch(`${c.adminUrl}/v1/databases`, { method: 'POST', body: JSON.stringify({ name: '../etc' }) });
    expect(bad.status).toBe(400);
    expect(c.list()).toHaveLength(1);
  });

  it('keeps files and ports across a restart, so URLs in the catalog stay true', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nps-cluster-'));
    dirs.push(dir);
    // A fixed admin port: databases take the next ones. Pick one that is free by asking for any.
    const probe = await cluster();
    const base = Number(new URL(probe.adminUrl).port);
    await probe.close();
    const first = await cluster(dir, base);
    const url = await first.create('directory');
    await createClient({ url }).execute('create table kept (x)');
    await first.close();
    const second = await cluster(dir, base);
    expect(second.list()).toEqual([{ name: 'directory', url }]);
    expect(await tablesOf(url)).toContain('kept');
  });
});

describe('migration runner', () => {
  it('migrates the directory and every data database; interrupted after the first, a re-run finishes', async () => {
    const c = await cluster();
    const directoryUrl = await c.create('directory');
    const [euUrl, usUrl] = await Promise.all([c.create('eu-shared-1'), c.create('us-shared-1')]);
    // The directory must exist before databases can be registered in it: a first run with an empty catalog.
    expect(await migrateAll({ directoryUrl })).toEqual([]);
    const directory = openDirectory(directoryUrl);
    await registerDatabase(directory, { id: 'eu-shared-1', region: 'eu', url: euUrl, placement: 'shared' });
    await registerDatabase(directory, { id: 'us-shared-1', region: 'us', url: usUrl, placement: 'shared' });

    const interrupted = migrateAll({
      directoryUrl,
      onDatabase: () => {
        throw new Error('interrupted');
      },
    });
    await expect(interrupted).rejects.toThrow('interrupted');
    const halfway = await listDatabases(directory);
    expect(halfway.map((d) => [d.id, d.schemaVersion])).toEqual([
      ['eu-shared-1', DATA_SCHEMA_VERSION],
      ['us-shared-1', 0],
    ]);
    expect(await tablesOf(usUrl)).not.toContain('responses');

    const seen: string[] = [];
    const done = await migrateAll({ directoryUrl, onDatabase: (db) => void seen.push(db.id) });
    expect(seen).toEqual(['eu-shared-1', 'us-shared-1']);
    expect(done.map((d) => d.schemaVersion)).toEqual([DATA_SCHEMA_VERSION, DATA_SCHEMA_VERSION]);
    // The version is the count of committed migrations, and each database applied every one of them.
    expect(DATA_SCHEMA_VERSION).toBe(journal.entries.length);
    for (const url of [euUrl, usUrl]) {
      const applied = await createClient({ url }).execute('select count(*) as n from __drizzle_migrations');
      expect(applied.rows[0]!.n).toBe(journal.entries.length);
      expect(await tablesOf(url)).toContain('responses');
    }
    // A third run changes nothing.
    await migrateAll({ directoryUrl });
    expect((await listDatabases(directory)).map((d) => d.schemaVersion)).toEqual([DATA_SCHEMA_VERSION, DATA_SCHEMA_VERSION]);
  });
});

describe('fault injection in the cluster (development and tests only)', () => {
  it('makes one database fail on command through the admin endpoint; the others go on; without `faults` there is no such endpoint', async () => {
    const c = await startLibsqlCluster({ faults: true });
    clusters.push(c);
    const [a, b] = await Promise.all([c.create('data-a'), c.create('data-b')]);
    const set = (name: string, body: unknown) => fetch(`${c.adminUrl}/v1/databases/${name}/fault`, { method: 'POST', body: JSON.stringify(body) });
    expect((await set('data-a', { mode: 'error' })).status).toBe(200);
    await expect(createClient({ url: a }).execute('select 1')).rejects.toThrow();
    expect((await createClient({ url: b }).execute('select 1 as one')).rows[0]!.one).toBe(1);
    expect(((await (await fetch(`${c.adminUrl}/v1/databases/data-a/fault`)).json()) as { fault: { mode: string } }).fault.mode).toBe('error');
    expect((await set('data-a', { mode: 'nonsense' })).status).toBe(400);
    expect((await set('nowhere', { mode: 'error' })).status).toBe(404);
    expect((await set('data-a', { mode: 'off' })).status).toBe(200);
    expect((await createClient({ url: a }).execute('select 1 as one')).rows[0]!.one).toBe(1);

    const plain = await cluster();
    await plain.create('data-c');
    expect((await fetch(`${plain.adminUrl}/v1/databases/data-c/fault`, { method: 'POST', body: '{"mode":"error"}' })).status).toBe(404);
  });
});
