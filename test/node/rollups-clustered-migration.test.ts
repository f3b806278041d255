import Database from 'libsql';
import { describe, expect, it } from 'vitest';
import { applyMigration as apply, migrateUpTo } from './migrations-kit';

/*
 * Migration 0037 stores the day cells (rollups) in their key's order: a table WITHOUT ROWID keyed
 * by the cell, which drizzle-kit cannot declare, so the migration says it by hand and a later
 * rebuild by drizzle-kit would silently drop it. This test holds it: the cells survive as they
 * were, the table has no rowid, and the fold's upsert still finds a cell by its key.
 */

const MIGRATION = '0037_rollups_clustered.sql';

describe('migration 0037: the day cells stored in their key order', () => {
  it('keeps every cell, drops the rowid, and a cell is still one row per key', () => {
    const db = new Database(':memory:');
    migrateUpTo(db, MIGRATION);
    db.exec('pragma foreign_keys = off');
    const cell = db.prepare(
      `insert into rollups (tenant_id, unit_id, day, touchpoint_id, channel, segment, locale, survey_id, survey_version, vendor_id,
         promoters, passives, detractors, w, w2, w_promoters, w_detractors, score_10)
       values (?, ?, ?, 'tp', 'email', '', 'de', 's', 1, ?, ?, 0, 0, ?, 0, 0, 0, ?)`,
    );
    // Planted out of key order: the rows come back in key order after the migration.
    cell.run('ten_b', 'u2', '2026-03-01', '', 4, 1.5, 4);
    cell.run('ten_a', 'u1', '2026-03-02', 'v', 2, 2.5, 2);
    cell.run('ten_a', 'u1', '2026-03-01', '', 1, 3.5, 1);
    const before = db.prepare('select * from rollups order by tenant_id, unit_id, day').all();

    apply(db, MIGRATION);

    expect(db.prepare(`select wr from pragma_table_list where name = 'rollups'`).all()).toEqual([{ wr: 1 }]);
    expect(db.prepare('select * from rollups order by tenant_id, unit_id, day').all()).toEqual(before);
    // A table scan of a WITHOUT ROWID table walks its key: no ORDER BY, the key's order.
    expect(db.prepare('select tenant_id, unit_id, day from rollups').all()).toEqual([
      { tenant_id: 'ten_a', unit_id: 'u1', day: '2026-03-01' },
      { tenant_id: 'ten_a', unit_id: 'u1', day: '2026-03-02' },
      { tenant_id: 'ten_b', unit_id: 'u2', day: '2026-03-01' },
    ]);
    // The fold's upsert names the key as its conflict target: it adds to the cell, not a second row.
    db.exec(`insert into rollups (tenant_id, unit_id, day, touchpoint_id, channel, segment, locale, survey_id, survey_version, vendor_id,
         promoters, passives, detractors, w, w2, w_promoters, w_detractors)
       values ('ten_a', 'u1', '2026-03-01', 'tp', 'email', '', 'de', 's', 1, '', 5, 0, 0, 0, 0, 0, 0)
       on conflict (tenant_id, unit_id, day, touchpoint_id, channel, segment, locale, survey_id, survey_version, vendor_id) do update set promoters = promoters + excluded.promoters`);
    expect(db.prepare(`select count(*) as n, sum(promoters) as p from rollups where unit_id = 'u1' and day = '2026-03-01'`).all()).toEqual([{ n: 1, p: 6 }]);
    expect(db.prepare('select name from pragma_index_list(?) order by name').all('rollups')).toEqual([{ name: 'rollups_tenant_day' }, { name: 'sqlite_autoindex_rollups_1' }]);
  });
});
