import { sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { commentAnalyses, contacts, events, invitations, responses, surveyVersions } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import { newId } from '../lib/ids';

/**
 * How long a tenant keeps personal data (docs/administration.md "Retention"): answers' free
 * text after `commentDays`, contacts' email, phone and attributes after `contactDays` without
 * activity. `null` keeps forever. Scores, rollups and the rows themselves always stay.
 */
export const retentionDays = z.number().int().min(30, 'at least 30 days').max(3650, 'at most 3650 days (10 years)').nullable();
export const RetentionSchema = z.object({ commentDays: retentionDays.default(null), contactDays: retentionDays.default(null) });
export type Retention = z.infer<typeof RetentionSchema>;

const DAY_MS = 86_400_000;
/** Rows erased per statement: a big tenant's backlog goes in bounded steps, never one huge write. */
export const PURGE_BATCH = 5000;

export interface PurgeCounts {
  comments: number;
  textAnswers: number;
  contacts: number;
}

/**
 * Runs `erase` (an UPDATE of at most PURGE_BATCH rows) until it changes nothing. Each step commits
 * together with the run's one audit row: inserted by the first step that changed something, its
 * count raised by the later ones (`changes()` is the UPDATE's row count on the same connection),
 * so no erasure is ever committed without its audit record.
 */
async function eraseInSteps(t: TenantDb, erase: SQL, auditRow: (counter: keyof PurgeCounts) => SQL, counter: keyof PurgeCounts): Promise<number> {
  let total = 0;
  for (;;) {
    const [result] = await t.batch([t.run(erase), t.run(auditRow(counter))]);
    const changed = result.rowsAffected;
    total += changed;
    if (changed < PURGE_BATCH) return total;
  }
}

/** Erases what one tenant's retention says is too old; returns the counts (0s on a second run). */
export async function purgeTenant(t: TenantDb, retention: Retention, now: number): Promise<PurgeCounts> {
  const tenantId = t.tenantId;
  const counts: PurgeCounts = { comments: 0, textAnswers: 0, contacts: 0 };
  if (retention.commentDays === null && retention.contactDays === null) return counts;
  const auditId = newId('aud');
  const base = { comments: 0, textAnswers: 0, contacts: 0, commentDays: retention.commentDays, contactDays: retention.contactDays };
  // The run's audit row, written or raised only when the UPDATE just before it changed rows.
  const auditRow = (counter: keyof PurgeCounts) => sql`
    insert into audit_log (id, tenant_id, actor_type, actor_id, action, target_type, target_id, details, created_at)
    select ${auditId}, ${tenantId}, 'system', null, 'retention.purge', 'tenant', ${tenantId},
           json_set(${JSON.stringify(base)}, ${`$.${counter}`}, changes()), ${now}
    where changes() > 0
    on conflict (id) do update set details = json_set(audit_log.details, ${`$.${counter}`},
      json_extract(audit_log.details, ${`$.${counter}`}) + json_extract(excluded.details, ${`$.${counter}`}))`;

  if (retention.commentDays !== null) {
    const cutoff = now - retention.commentDays * DAY_MS;
    counts.comments = await eraseInSteps(
      t,
      sql`update responses set comment = null, updated_at = ${now} where rowid in (
        select rowid from ${responses} where ${t.owns(responses)} and created_at < ${cutoff} and comment is not null limit ${PURGE_BATCH})`,
      auditRow,
      'comments',
    );
    // The stored analyses of those comments (docs/themes.md): derived from them, they go too.
    for (;;) {
      const result = await t.run(sql`delete from comment_analyses where rowid in (
        select rowid from ${commentAnalyses} where ${t.owns(commentAnalyses)} and kind = 'response' and created_at < ${cutoff} limit ${PURGE_BATCH})`);
      if (result.rowsAffected < PURGE_BATCH) break;
    }
    // Text answers besides the main comment: the comment questions of each published version.
    const versions = await t.select({ surveyId: surveyVersions.surveyId, version: surveyVersions.version, definition: surveyVersions.definition }).from(surveyVersions);
    for (const v of versions) {
      const questions = (v.definition as { questions?: { id: string; type: string }[] }).questions ?? [];
      const paths = questions.filter((q) => q.type === 'comment').map((q) => `$."${q.id}"`);
      if (!paths.length) continue;
      const removed = paths.reduce<SQL>((expr, p) => sql`json_remove(${expr}, ${p})`, sql`answers`);
      const present = sql.join(
        paths.map((p) => sql`json_type(answers, ${p}) is not null`),
        sql` or `,
      );
      counts.textAnswers += await eraseInSteps(
        t,
        sql`update responses set answers = ${removed}, updated_at = ${now} where rowid in (
          select rowid from ${responses} where ${t.owns(responses)} and created_at < ${cutoff}
            and survey_id = ${v.surveyId} and survey_version = ${v.version} and (${present}) limit ${PURGE_BATCH})`,
        auditRow,
        'textAnswers',
      );
    }
  }

  if (retention.contactDays !== null) {
    const cutoff = now - retention.contactDays * DAY_MS;
    // Last activity: the contact row's own update, its newest invitation, event or answer.
    counts.contacts = await eraseInSteps(
      t,
      sql`update contacts set email = null, phone = null, attributes = '{}', updated_at = ${now} where rowid in (
        select ${contacts}.rowid from ${contacts}
        where ${t.owns(contacts)} and ${contacts.updatedAt} < ${cutoff}
          and (${contacts.email} is not null or ${contacts.phone} is not null or ${contacts.attributes} <> '{}')
          and not exists (select 1 from ${invitations} where ${t.owns(invitations)} and ${invitations.contactId} = ${contacts.id} and ${invitations.createdAt} >= ${cutoff})
          and not exists (select 1 from ${events} where ${t.owns(events)} and ${events.contactId} = ${contacts.id} and ${events.occurredAt} >= ${cutoff})
          and ${contacts.id} not in (select ${responses.contactId} from ${responses} where ${t.owns(responses)} and ${responses.createdAt} >= ${cutoff} and ${responses.contactId} is not null)
        limit ${PURGE_BATCH})`,
      auditRow,
      'contacts',
    );
  }
  return counts;
}
