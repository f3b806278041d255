import Database from 'libsql';
import { describe, expect, it } from 'vitest';
import { applyMigration as apply, migrateUpTo } from './migrations-kit';

/*
 * Migration 0027 rebuilds `cases` so a case may name an account instead of an answer (predictive
 * alerts, docs/accounts.md). Applied here on a database holding a detractor case and its
 * timeline: the case is kept as it was (kind `detractor`), the timeline still points at it, and
 * the trigger on responses that makes a waiting case's notification due on a late comment (0015)
 * still works after the rebuild.
 */

const REBUILD = '0030_at_risk_cases.sql';

describe('migration 0027: cases without an answer', () => {
  it('keeps the existing cases and their events, relaxes the answer, and the late-comment trigger survives', () => {
    const db = new Database(':memory:');
    migrateUpTo(db, REBUILD);
    // The fixture leaves out the survey and touchpoint the answer names; the migration turns the keys on again.
    db.exec('pragma foreign_keys = off');
    db.exec(`insert into tenants (id, name, created_at, updated_at) values ('ten', 'T', 0, 0);
      insert into units (id, tenant_id, name, kind, path, timezone, created_at, updated_at) values ('u', 'ten', 'Root', 'root', '/u/', 'UTC', 0, 0);
      insert into responses (id, tenant_id, touchpoint_id, unit_id, survey_id, survey_version, channel, locale, score, comment, answers, quality_flags, counted, answered_at, created_at, updated_at)
        values ('r1', 'ten', 'tp', 'u', 's', 1, 'email', 'en', 2, null, '{}', '[]', 1, 0, 0, 0);
      insert into cases (id, tenant_id, response_id, unit_id, touchpoint_id, status, score, notify_due_at, created_at, updated_at) values ('case1', 'ten', 'r1', 'u', 'tp', 'open', 2, 5000, 0, 0);
      insert into case_events (id, tenant_id, case_id, type, actor_type, created_at) values ('cev1', 'ten', 'case1', 'opened', 'system', 0);`);
    apply(db, REBUILD);
    expect(db.prepare('select id, kind, response_id, account_id, touchpoint_id, score, notify_due_at from cases').all()).toEqual([
      { id: 'case1', kind: 'detractor', response_id: 'r1', account_id: null, touchpoint_id: 'tp', score: 2, notify_due_at: 5000 },
    ]);
    // Nothing points at a case that is gone (the answer's own survey is left out of this fixture).
    expect((db.prepare('pragma foreign_key_check').all() as { table: string }[]).filter((r) => r.table === 'cases' || r.table === 'case_events')).toEqual([]);
    expect(db.prepare('pragma foreign_keys').get()).toMatchObject({ foreign_keys: 1 });
    // The comment comes at 1000: the waiting notification is due then.
    db.exec(`update responses set comment = 'slow', updated_at = 1000 where id = 'r1'`);
    expect((db.prepare(`select notify_due_at from cases where id = 'case1'`).get() as { notify_due_at: number }).notify_due_at).toBe(1000);
    // A case without an answer, touchpoint or score (an at-risk case) can be stored now.
    db.exec(`insert into cases (id, tenant_id, kind, unit_id, status, created_at, updated_at) values ('case2', 'ten', 'at_risk', 'u', 'open', 0, 0)`);
    expect(db.prepare(`select count(*) as n from cases`).get()).toMatchObject({ n: 2 });
  });
});
