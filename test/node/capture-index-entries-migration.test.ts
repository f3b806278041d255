import Database from 'libsql';
import { describe, expect, it } from 'vitest';
import { applyMigration as apply, migrateUpTo } from './migrations-kit';

/*
 * Migration 0038 cuts the index entries an answer moves (docs/capture.md, "Idempotency: one response per invitation"): an
 * answered invitation changes status, so no invitations index is keyed by status any more (the
 * scans' picks walk the partial indexes of 0017, the funnel reads by due date); only anonymous
 * answers carry a client hash, so that index is partial. The reads these indexes served must
 * still find their rows through an index, not a scan of the table.
 */

const MIGRATION = '0038_capture_index_entries.sql';

const plan = (db: Database.Database, query: string) => (db.prepare(`explain query plan ${query}`).all() as { detail: string }[]).map((r) => r.detail).join('\n');

describe('migration 0038: fewer index entries moved by an answer', () => {
  const db = new Database(':memory:');
  migrateUpTo(db, MIGRATION);
  const keyedByStatus = () =>
    (db.prepare(`select name from pragma_index_list('invitations') as l where exists (select 1 from pragma_index_info(l.name) where name = 'status')`).all() as { name: string }[]).map((r) => r.name);
  const before = keyedByStatus();
  apply(db, MIGRATION);

  it('keys no invitations index by status, where three were before', () => {
    expect(before.sort()).toEqual(['invitations_tenant_status_due', 'invitations_tenant_status_expires', 'invitations_tenant_status_reminder']);
    expect(keyedByStatus()).toEqual([]);
  });

  it("still reads the funnel's invitations by due date through an index", () => {
    // The shape of src/program/funnel.ts: a tenant's invitations due in a period, below a unit.
    const funnel = plan(
      db,
      `select i.touchpoint_id, i.channel, i.status, count(*), sum(i.sent_at is not null) from invitations i join units u on u.id = i.unit_id
       where i.tenant_id = 't' and i.status in ('scheduled', 'sending', 'sent', 'answered', 'failed', 'dead', 'expired') and i.due_at >= 1 and i.due_at < 2
         and u.path >= '/a/' and u.path < '/a0' group by 1, 2, 3`,
    );
    expect(funnel).toMatch(/SEARCH i USING INDEX invitations_tenant_due \(tenant_id=\? AND due_at>\? AND due_at<\?\)/);
  });

  it("still finds a client's recent anonymous answers through the partial index", () => {
    // The shape of answersFromClient (src/responses/quality.ts): `client_hash = ?` implies the index's `client_hash is not null`.
    expect(plan(db, `select count(*) from responses where tenant_id = 't' and client_hash = 'h' and created_at > 5`)).toMatch(
      /USING COVERING INDEX responses_tenant_client_created \(tenant_id=\? AND client_hash=\? AND created_at>\?\)/,
    );
    const partial = db.prepare(`select sql from sqlite_master where name = 'responses_tenant_client_created'`).get() as { sql: string };
    expect(partial.sql).toMatch(/WHERE client_hash is not null$/);
  });
});
