import Database from 'libsql';
import { describe, expect, it } from 'vitest';
import { applyMigration as apply, migrateUpTo } from './migrations-kit';

/*
 * Migration 0031 takes the agent out of the day cells' key and builds the subtree day totals by
 * dimension (rollup_dim_days) of the answers folded before it (docs/dimensions.md, "How they are
 * stored"). Applied here on a database holding such cells; every expected total is added up by
 * hand from the cells planted.
 */

const MIGRATION = '0031_rollup_dim_days.sql';

describe('migration 0031: day cells without the agent, and the dimension day totals of what was folded', () => {
  it('cells that differ only by agent become one; every ancestor gets the day totals of the units below it, per tenant', () => {
    const db = new Database(':memory:');
    migrateUpTo(db, MIGRATION);
    db.exec('pragma foreign_keys = off');
    const unit = db.prepare(`insert into units (id, tenant_id, parent_id, name, kind, path) values (?, ?, ?, ?, 'site', ?)`);
    // Tenant A: root > emea > berlin. Tenant B: root > paris (the same unit names, its own ids).
    unit.run('a_root', 'ten_a', null, 'root', '/a_root/');
    unit.run('a_emea', 'ten_a', 'a_root', 'emea', '/a_root/a_emea/');
    unit.run('a_berlin', 'ten_a', 'a_emea', 'berlin', '/a_root/a_emea/a_berlin/');
    unit.run('b_root', 'ten_b', null, 'root', '/b_root/');
    unit.run('b_paris', 'ten_b', 'b_root', 'paris', '/b_root/b_paris/');
    const cell = db.prepare(
      `insert into rollups (tenant_id, unit_id, day, touchpoint_id, channel, segment, locale, survey_id, survey_version, vendor_id, agent_id,
         promoters, passives, detractors, w, w2, w_promoters, w_detractors, score_10, score_8, score_0)
       values (?, ?, ?, 'tp', 'email', 'smb', ?, 's', 1, ?, ?, ?, ?, ?, 0, 0, 0, 0, ?, ?, ?)`,
    );
    // Berlin, one day, one key but three agents: 2 + 1 + 0 promoters, 0 + 1 + 0 passives, 1 + 0 + 1 detractors.
    cell.run('ten_a', 'a_berlin', '2026-03-02', 'de', 'v_fix', 'agent-1', 2, 0, 1, 2, 0, 1);
    cell.run('ten_a', 'a_berlin', '2026-03-02', 'de', 'v_fix', 'agent-2', 1, 1, 0, 1, 1, 0);
    cell.run('ten_a', 'a_berlin', '2026-03-02', 'de', 'v_fix', '', 0, 0, 1, 0, 0, 1);
    // EMEA's own answers (another locale, no vendor): in the root's totals, not in EMEA's (strictly below).
    cell.run('ten_a', 'a_emea', '2026-03-02', 'en', '', '', 0, 1, 0, 0, 1, 0);
    cell.run('ten_b', 'b_paris', '2026-03-02', 'fr', '', 'agent-1', 5, 0, 0, 5, 0, 0);
    db.prepare(
      `insert into rollup_dim_months (tenant_id, ancestor_id, month, dim, value, segment, promoters, passives, detractors, w, w2, w_promoters, w_detractors)
       values ('ten_a', 'a_root', '2026-02', ?, ?, 'smb', 1, 0, 0, 0, 0, 0, 0)`,
    ).run('agent', 'agent-1');
    db.prepare(
      `insert into rollup_dim_months (tenant_id, ancestor_id, month, dim, value, segment, promoters, passives, detractors, w, w2, w_promoters, w_detractors)
       values ('ten_a', 'a_root', '2026-02', ?, ?, 'smb', 1, 0, 0, 0, 0, 0, 0)`,
    ).run('vendor', '');

    apply(db, MIGRATION);

    expect(db.prepare('select unit_id, locale, vendor_id, promoters, passives, detractors, score_10, score_8, score_0 from rollups order by unit_id').all()).toEqual([
      { unit_id: 'a_berlin', locale: 'de', vendor_id: 'v_fix', promoters: 3, passives: 1, detractors: 2, score_10: 3, score_8: 1, score_0: 2 },
      { unit_id: 'a_emea', locale: 'en', vendor_id: '', promoters: 0, passives: 1, detractors: 0, score_10: 0, score_8: 1, score_0: 0 },
      { unit_id: 'b_paris', locale: 'fr', vendor_id: '', promoters: 5, passives: 0, detractors: 0, score_10: 5, score_8: 0, score_0: 0 },
    ]);
    expect(db.prepare(`select * from pragma_table_info('rollups') where name = 'agent_id'`).all()).toEqual([]);
    // Agent month totals go; the others stay.
    expect(db.prepare('select dim, value from rollup_dim_months').all()).toEqual([{ dim: 'vendor', value: '' }]);

    const totals = db
      .prepare(`select tenant_id, ancestor_id, dim, value, promoters, passives, detractors from rollup_dim_days where day = '2026-03-02' order by tenant_id, ancestor_id, dim, value`)
      .all();
    expect(totals).toEqual([
      // EMEA: Berlin's only.
      { tenant_id: 'ten_a', ancestor_id: 'a_emea', dim: 'channel', value: 'email', promoters: 3, passives: 1, detractors: 2 },
      { tenant_id: 'ten_a', ancestor_id: 'a_emea', dim: 'locale', value: 'de', promoters: 3, passives: 1, detractors: 2 },
      { tenant_id: 'ten_a', ancestor_id: 'a_emea', dim: 'touchpoint', value: 'tp', promoters: 3, passives: 1, detractors: 2 },
      { tenant_id: 'ten_a', ancestor_id: 'a_emea', dim: 'vendor', value: 'v_fix', promoters: 3, passives: 1, detractors: 2 },
      // The root: Berlin's merged cell (3/1/2) and EMEA's own (0/1/0).
      { tenant_id: 'ten_a', ancestor_id: 'a_root', dim: 'channel', value: 'email', promoters: 3, passives: 2, detractors: 2 },
      { tenant_id: 'ten_a', ancestor_id: 'a_root', dim: 'locale', value: 'de', promoters: 3, passives: 1, detractors: 2 },
      { tenant_id: 'ten_a', ancestor_id: 'a_root', dim: 'locale', value: 'en', promoters: 0, passives: 1, detractors: 0 },
      { tenant_id: 'ten_a', ancestor_id: 'a_root', dim: 'touchpoint', value: 'tp', promoters: 3, passives: 2, detractors: 2 },
      { tenant_id: 'ten_a', ancestor_id: 'a_root', dim: 'vendor', value: '', promoters: 0, passives: 1, detractors: 0 },
      { tenant_id: 'ten_a', ancestor_id: 'a_root', dim: 'vendor', value: 'v_fix', promoters: 3, passives: 1, detractors: 2 },
      // Tenant B's root: Paris only, nothing of A.
      { tenant_id: 'ten_b', ancestor_id: 'b_root', dim: 'channel', value: 'email', promoters: 5, passives: 0, detractors: 0 },
      { tenant_id: 'ten_b', ancestor_id: 'b_root', dim: 'locale', value: 'fr', promoters: 5, passives: 0, detractors: 0 },
      { tenant_id: 'ten_b', ancestor_id: 'b_root', dim: 'touchpoint', value: 'tp', promoters: 5, passives: 0, detractors: 0 },
      { tenant_id: 'ten_b', ancestor_id: 'b_root', dim: 'vendor', value: '', promoters: 5, passives: 0, detractors: 0 },
    ]);
  });
});
