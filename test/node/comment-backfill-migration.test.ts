import Database from 'libsql';
import { describe, expect, it } from 'vitest';
import { applyMigration as apply, migrateUpTo } from './migrations-kit';

/*
 * Migration 0024 opens the comment backfill's range for the answers stored before comments were
 * analysed (docs/themes.md "Backfill"): applied here on a database holding such answers, the
 * expected ranges recounted from the rows written.
 */

const BACKFILL = '0024_comment_backfill_existing.sql';

describe('migration 0024: the backfill range of the answers stored before the analysis', () => {
  it('each tenant with a comment gets (first commented rowid − 1, newest commented rowid], due; a tenant without comments gets none', () => {
    const db = new Database(':memory:');
    migrateUpTo(db, BACKFILL);
    db.exec('pragma foreign_keys = off');
    for (const id of ['ten_a', 'ten_b', 'ten_c']) db.prepare('insert into tenants (id, name, created_at, updated_at) values (?, ?, 0, 0)').run(id, id);
    const answer = db.prepare(
      `insert into responses (id, tenant_id, touchpoint_id, unit_id, survey_id, survey_version, channel, locale, score, comment, answers, quality_flags, counted, answered_at, created_at, updated_at)
       values (?, ?, 'tp', 'u', 's', 1, 'email', 'en', 5, ?, '{}', '[]', 1, 0, 0, 0)`,
    );
    // Rowids 1..6 in this order: A without, A with, B with, A with, A without, C without.
    const rows: [string, string, string | null][] = [
      ['r1', 'ten_a', null],
      ['r2', 'ten_a', 'slow'],
      ['r3', 'ten_b', 'rude'],
      ['r4', 'ten_a', 'late'],
      ['r5', 'ten_a', null],
      ['r6', 'ten_c', null],
    ];
    for (const r of rows) answer.run(...r);
    // An answer of a tenant that is gone is left out.
    answer.run('r7', 'ten_gone', 'orphan');
    apply(db, BACKFILL);
    const got = db.prepare('select tenant_id, seq, through, due_at is not null as due from comment_backfill order by tenant_id').all();
    expect(got).toEqual([
      { tenant_id: 'ten_a', seq: 1, through: 4, due: 1 },
      { tenant_id: 'ten_b', seq: 2, through: 3, due: 1 },
    ]);
    // Applied twice (a re-run), nothing changes.
    apply(db, BACKFILL);
    expect((db.prepare('select count(*) as n from comment_backfill').get() as { n: number }).n).toBe(2);
  });
});
