// A whole tenant as an archive: exported with counts and checksums, written into another
// database, deleted from the first, with nothing of another tenant touched.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/client';
import { createTenant } from '../../src/org/tenants';
import { foldAll } from '../../src/scores/fold';
import { deleteTenantRows, importArchive, TENANT_TABLES, tenantArchive, tenantDigest, type ArchiveLine } from '../../src/tenancy/archive';
import { DAY_MS, loadAnswers, Rng, setupOrg, type Org } from '../../scripts/bench-data';
import { startLibsqlCluster, type LibsqlCluster } from '../../scripts/libsql-cluster';
import { applyMigrations } from '../../scripts/migrate';

let dir: string;
let cluster: LibsqlCluster;
let shared: Db;
let dedicated: Db;
let org: Org;
let otherTenant: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nps-archive-'));
  cluster = await startLibsqlCluster({ dir });
  const [sharedUrl, dedicatedUrl] = await Promise.all([cluster.create('eu-shared-1'), cluster.create('eu-dedicated-1')]);
  await Promise.all([applyMigrations(sharedUrl), applyMigrations(dedicatedUrl)]);
  shared = openDb(sharedUrl);
  dedicated = openDb(dedicatedUrl);
  const rng = new Rng(7);
  org = await setupOrg(sharedUrl, join(dir, 'eu-shared-1.db'), { sites: 6, contacts: 300 }, rng);
  const now = Date.now();
  loadAnswers(join(dir, 'eu-shared-1.db'), org, 2_000, now - 60 * DAY_MS, now, rng, () => {});
  otherTenant = (await createTenant(shared, { name: 'Neighbour', adminEmail: 'admin@neighbour.test', adminPassword: 'neighbour-pass-1' })).tenantId;
  await foldAll(shared, now);
});

afterAll(async () => {
  await cluster.close();
  rmSync(dir, { recursive: true, force: true });
});

async function collect(lines: AsyncIterable<ArchiveLine>) {
  const out: ArchiveLine[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

describe('tenant archive', () => {
  it('covers every table that has a tenant_id column, parents before children', async () => {
    const rs = await shared.$client.execute(
      "select m.name from sqlite_master m where m.type = 'table' and exists (select 1 from pragma_table_info(m.name) c where c.name = 'tenant_id') order by m.name",
    );
    const withTenant = rs.rows.map((r) => String(r.name));
    expect(
      TENANT_TABLES.map((t) => t.name)
        .filter((n) => n !== 'tenants')
        .sort(),
    ).toEqual(withTenant);
    const position = new Map(TENANT_TABLES.map((t, i) => [t.name, i]));
    for (const { name } of TENANT_TABLES) {
      const fks = await shared.$client.execute(`select "table" from pragma_foreign_key_list('${name}')`);
      for (const fk of fks.rows) if (position.has(String(fk.table)) && fk.table !== name) expect(position.get(String(fk.table))!, `${fk.table} before ${name}`).toBeLessThan(position.get(name)!);
    }
  });

  it('exports, copies and deletes one tenant; counts and checksums match; the neighbour is untouched', async () => {
    const neighbourBefore = await tenantDigest(shared, otherTenant);
    const lines = await collect(tenantArchive(shared, org.tenantId));
    const manifest = (lines.at(-1) as Extract<ArchiveLine, { manifest: unknown }>).manifest;
    // The manifest counts what the archive holds, table by table.
    const rowsPerTable = new Map<string, number>();
    for (const line of lines) if ('table' in line) rowsPerTable.set(line.table, (rowsPerTable.get(line.table) ?? 0) + 1);
    for (const [table, digest] of Object.entries(manifest.tables)) expect(digest.rows, table).toBe(rowsPerTable.get(table) ?? 0);
    expect(manifest.tables.responses!.rows).toBe(2_000);
    expect(manifest.tables.contacts!.rows).toBe(300);
    expect(manifest.tables.rollups!.rows).toBeGreaterThan(0);
    // Nothing of the neighbour is in it.
    expect(lines.some((l) => 'table' in l && JSON.stringify(l.row).includes(otherTenant))).toBe(false);

    const carried = await importArchive(
      dedicated,
      (async function* () {
        yield* lines;
      })(),
    );
    expect(carried).toEqual(manifest);
    expect(await tenantDigest(dedicated, org.tenantId)).toEqual(manifest.tables);

    await deleteTenantRows(shared, org.tenantId);
    const left = await tenantDigest(shared, org.tenantId);
    expect(Object.values(left).every((d) => d.rows === 0)).toBe(true);
    expect(await tenantDigest(shared, otherTenant)).toEqual(neighbourBefore);
    expect(neighbourBefore.users!.rows).toBe(1);
  });

  it('refuses an archive cut short', async () => {
    const lines = await collect(tenantArchive(shared, otherTenant));
    const url = await cluster.create('eu-dedicated-2');
    await applyMigrations(url);
    const target = openDb(url);
    await expect(
      importArchive(
        target,
        (async function* () {
          yield* lines.slice(0, -1);
        })(),
      ),
    ).rejects.toThrow(/cut short/);
  });
});
