// A whole tenant as an archive: exported with counts and checksums, written into another
// database, deleted from the first, with nothing of another tenant touched.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/client';
import { createTenant } from '../../src/org/tenants';
import { foldAll, foldTenant } from '../../src/scores/fold';
import { TenantDb } from '../../src/db/tenant-db';
import { carryFoldWatermark, deleteTenantRows, importArchive, TENANT_TABLES, tenantArchive, tenantDigest, type ArchiveLine } from '../../src/tenancy/archive';
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
    // The day cells are stored without rowid and paged by their key: more than a page of them,
    // each exported once (the count the database gives, not the export's own).
    const cells = await shared.$client.execute({ sql: 'select count(*) as n from rollups where tenant_id = ?', args: [org.tenantId] });
    expect(manifest.tables.rollups!.rows).toBe(Number(cells.rows[0]!.n));
    expect(manifest.tables.rollups!.rows).toBeGreaterThan(1000);
    const cellKeys = lines
      .filter((l): l is Extract<ArchiveLine, { table: string }> => 'table' in l && l.table === 'rollups')
      .map((l) => JSON.stringify(TENANT_TABLES.find((t) => t.name === 'rollups')!.key.map((c) => l.row[c])));
    expect(new Set(cellKeys).size).toBe(cellKeys.length);
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

  it('carries the fold watermark: a tenant copied below other rows still folds its new answers', async () => {
    // Source: another tenant's answers first (rowids 1..400), then B's (401..700), all folded: B's
    // watermark is 700. Into an empty database B's answers land on rowids 1..300, so a watermark
    // kept at 700 would hide B's next 400 answers from the fold.
    const [srcUrl, dstUrl] = await Promise.all([cluster.create('eu-carry-src'), cluster.create('eu-carry-dst')]);
    await Promise.all([applyMigrations(srcUrl), applyMigrations(dstUrl)]);
    const src = openDb(srcUrl);
    const dst = openDb(dstUrl);
    const rng = new Rng(11);
    const now = Date.now();
    const first = await setupOrg(srcUrl, join(dir, 'eu-carry-src.db'), { sites: 2, contacts: 50 }, rng);
    loadAnswers(join(dir, 'eu-carry-src.db'), first, 400, now - 30 * DAY_MS, now - DAY_MS, rng, () => {});
    const b = await setupOrg(srcUrl, join(dir, 'eu-carry-src.db'), { sites: 2, contacts: 50 }, rng);
    loadAnswers(join(dir, 'eu-carry-src.db'), b, 300, now - 30 * DAY_MS, now - DAY_MS, rng, () => {});
    await foldAll(src, now);
    const seq = async (d: Db) => Number((await d.$client.execute({ sql: 'select response_seq as s from rollup_watermarks where tenant_id = ?', args: [b.tenantId] })).rows[0]!.s);
    expect(await seq(src)).toBe(700);

    await importArchive(dst, tenantArchive(src, b.tenantId));
    await carryFoldWatermark(src, dst, b.tenantId);
    // Every copied answer was folded in the source: the watermark is the copy's last answer.
    expect(await seq(dst)).toBe(300);

    // A new answer in the copy (one of B's, under a new id) is folded by the next fold, once.
    const cols = (await dst.$client.execute("select name from pragma_table_info('responses')")).rows.map((r) => String(r.name));
    const picked = cols.map((c) => (c === 'id' ? "'rsp_after_move'" : c === 'created_at' ? String(now) : `"${c}"`)).join(', ');
    await dst.$client.execute({
      sql: `insert into responses (${cols.map((c) => `"${c}"`).join(', ')}) select ${picked} from responses where tenant_id = ? and score is not null and counted = 1 limit 1`,
      args: [b.tenantId],
    });
    expect((await foldTenant(new TenantDb(dst, b.tenantId), now)).folded).toBe(1);
    expect((await foldTenant(new TenantDb(dst, b.tenantId), now)).folded).toBe(0);
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
