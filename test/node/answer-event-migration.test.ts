import Database from 'libsql';
import { describe, expect, it } from 'vitest';
import { applyMigration as apply, migrateUpTo } from './migrations-kit';

/*
 * Migration 0027 gives the answers captured before it the row id of the event that invited them,
 * which capture keeps on every new answer (docs/drivers.md "Speed"): applied here on a database
 * holding such answers, each expected link written out by hand from the rows planted.
 */

const MIGRATION = '0027_answer_event.sql';

describe('migration 0027: the inviting event kept on the answers captured before', () => {
  it('an event invitation’s answer gets its event’s row id; wave, widget, anonymous and imported answers keep theirs', () => {
    const db = new Database(':memory:');
    migrateUpTo(db, MIGRATION);
    db.exec('pragma foreign_keys = off');
    const event = db.prepare(
      `insert into events (id, tenant_id, event_id, type, occurred_at, attributes, decision, reason, created_at) values (?, ?, ?, 'ticket.resolved', 0, '{}', 'invite', 'eligible', 0)`,
    );
    const invitation = db.prepare(
      `insert into invitations (id, tenant_id, unit_id, touchpoint_id, survey_id, survey_version, channel, status, source, due_at, expires_at, created_at, updated_at)
       values (?, ?, 'u', 'tp', 's', 1, 'email', 'answered', ?, 0, 0, 0, 0)`,
    );
    const answer = db.prepare(
      `insert into responses (id, tenant_id, invitation_id, touchpoint_id, unit_id, survey_id, survey_version, channel, locale, score, answers, quality_flags, counted, event_id, created_at, updated_at)
       values (?, ?, ?, 'tp', 'u', 's', 1, 'email', 'en', 5, '{}', '[]', 1, ?, 0, 0)`,
    );
    // Tenant B uses the same integration event id "T-1" as tenant A: each answer finds its own tenant's event.
    event.run('evt_a1', 'ten_a', 'T-1');
    event.run('evt_b1', 'ten_b', 'T-1');
    event.run('evt_imp', 'ten_a', 'import:x');
    invitation.run('inv_a1', 'ten_a', 'event:T-1');
    invitation.run('inv_b1', 'ten_b', 'event:T-1');
    invitation.run('inv_wave', 'ten_a', 'wave:w1:1');
    invitation.run('inv_gone', 'ten_a', 'event:T-404');
    answer.run('r_a1', 'ten_a', 'inv_a1', null);
    answer.run('r_b1', 'ten_b', 'inv_b1', null);
    answer.run('r_wave', 'ten_a', 'inv_wave', null);
    answer.run('r_gone', 'ten_a', 'inv_gone', null);
    answer.run('r_anon', 'ten_a', null, null);
    answer.run('r_imp', 'ten_a', null, 'evt_imp');
    apply(db, MIGRATION);
    const got = db.prepare('select id, event_id from responses order by id').all();
    expect(got).toEqual([
      { id: 'r_a1', event_id: 'evt_a1' },
      { id: 'r_anon', event_id: null },
      { id: 'r_b1', event_id: 'evt_b1' },
      { id: 'r_gone', event_id: null },
      { id: 'r_imp', event_id: 'evt_imp' },
      { id: 'r_wave', event_id: null },
    ]);
    // Applied twice (a re-run), nothing changes.
    apply(db, MIGRATION);
    expect(db.prepare('select id, event_id from responses order by id').all()).toEqual(got);
  });
});
