import Database from 'libsql';
import { describe, expect, it } from 'vitest';
import { applyMigration, migrateUpTo } from './migrations-kit';

/*
 * Migration 0035 keeps the contact's tenure, contract size and support tier on each answer (the
 * contact cuts count them as they stood when the answer came: docs/dimensions.md). Answers given
 * before it take their contact's attributes as they stand at the migration, within their own
 * tenant; answers without a contact keep none. The contact totals start unbuilt
 * (contact_dims_seq 0), so the fold rebuilds them (test/workers/scores.test.ts).
 */

const MIGRATION = '0035_contact_dims.sql';

describe('migration 0035: the contact attributes kept on the answers', () => {
  it("copies each answer's contact attributes, tenant by tenant, and leaves the contact totals to be rebuilt", () => {
    const db = new Database(':memory:');
    migrateUpTo(db, MIGRATION);
    db.exec('pragma foreign_keys = off');
    const contact = db.prepare('insert into contacts (id, tenant_id, external_id, tenure_months, contract_size, support_tier, created_at, updated_at) values (?, ?, ?, ?, ?, ?, 0, 0)');
    contact.run('ct_1', 'ten_a', 'c1', 14, 'large', 'premium');
    contact.run('ct_2', 'ten_a', 'c2', null, null, 'basic');
    // The same contact id in another tenant must not lend its attributes (ids are unique in
    // practice; the join is by tenant as well).
    contact.run('ct_b', 'ten_b', 'c1', 3, 'small', 'basic');
    const answer = db.prepare(
      `insert into responses (id, tenant_id, touchpoint_id, unit_id, contact_id, survey_id, survey_version, channel, locale, score, counted, created_at, updated_at)
       values (?, ?, 'tp', 'u', ?, 's', 1, 'email', 'en', 9, 1, 0, 0)`,
    );
    answer.run('r1', 'ten_a', 'ct_1');
    answer.run('r2', 'ten_a', 'ct_2');
    answer.run('r3', 'ten_a', null);
    answer.run('r4', 'ten_b', 'ct_b');
    answer.run('r5', 'ten_b', 'ct_1'); // a contact id of another tenant: no attributes
    db.exec("insert into rollup_watermarks (tenant_id, response_seq, folded_at) values ('ten_a', 5, 0)");
    applyMigration(db, MIGRATION);
    const rows = db.prepare('select id, tenure_months, contract_size, support_tier from responses order by id').raw().all();
    expect(rows).toEqual([
      ['r1', 14, 'large', 'premium'],
      ['r2', null, null, 'basic'],
      ['r3', null, null, null],
      ['r4', 3, 'small', 'basic'],
      ['r5', null, null, null],
    ]);
    expect(db.prepare("select response_seq, contact_dims_seq from rollup_watermarks where tenant_id = 'ten_a'").raw().get()).toEqual([5, 0]);
  });
});
