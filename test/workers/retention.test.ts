import { TenantDb } from '../../src/db/tenant-db';
import { and, asc, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditLog, contacts, events, invitations, responses, rollupMonths, rollups, tenants } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { foldTenant } from '../../src/scores/fold';
import { PURGE_BATCH } from '../../src/settings/retention';
import { fullSurvey, makeSurvey, need, type SurveySetup } from './capture-fixture';
import { call, db, makeTenant, type Fixture, runCron } from './support';

/**
 * Retention: the settings (30..3650 days or null) and the daily purge at 03:00. Rows are
 * written with known ages; the expectations count them here, not from what the job reports.
 */
const DAY = 86_400_000;
const NOW = Date.now();
const daily = (at = NOW) => runCron('0 3 * * *', at);

let t: Fixture;
let keep: Fixture; // retention left unset: nothing of it may change
let s: SurveySetup;
let sKeep: SurveySetup;

// fullSurvey(): `reason` is the main comment (the `comment` column), `praise` a second text
// answer in `answers`; `sat`, `way` and the hidden `order` are not free text.
const answersOf = (i: number) => ({ praise: `thank person ${i}`, sat: 4, way: 'phone', order: `ORD-${i}` });

async function insertResponses(setup: SurveySetup, unit: string | undefined, n: number, ageDays: number, opts: { contactId?: string; comment?: boolean } = {}) {
  const ids: string[] = [];
  const unitId = need(unit);
  const at = NOW - ageDays * DAY;
  const rows = Array.from({ length: n }, (_, i) => {
    const id = newId('rsp');
    ids.push(id);
    return {
      id,
      tenantId: setup.tenantId,
      touchpointId: setup.touchpointId,
      unitId,
      contactId: opts.contactId ?? null,
      surveyId: setup.surveyId,
      surveyVersion: 1,
      channel: 'link' as const,
      locale: 'en',
      score: i % 11,
      comment: opts.comment === false ? null : `comment ${i} from ${ageDays} days ago`,
      answers: answersOf(i),
      counted: true,
      answeredAt: at + i,
      createdAt: at + i,
      updatedAt: at + i,
    };
  });
  for (let i = 0; i < rows.length; i += 250)
    await db()
      .insert(responses)
      .values(rows.slice(i, i + 250));
  return ids;
}

async function insertContact(tenantId: string, ageDays: number) {
  const id = newId('con');
  const at = NOW - ageDays * DAY;
  await db()
    .insert(contacts)
    .values({
      id,
      tenantId,
      externalId: `crm-${id}`,
      email: `${id}@example.test`,
      phone: '+15550001234',
      locale: 'de',
      segment: 'smb',
      attributes: { name: `Person ${id}` },
      createdAt: at,
      updatedAt: at,
    });
  return id;
}

async function insertInvitation(setup: SurveySetup, unit: string | undefined, contactId: string, ageDays: number) {
  const unitId = need(unit);
  const at = NOW - ageDays * DAY;
  await db()
    .insert(invitations)
    .values({
      id: newId('inv'),
      tenantId: setup.tenantId,
      contactId,
      unitId,
      touchpointId: setup.touchpointId,
      surveyId: setup.surveyId,
      surveyVersion: 1,
      channel: 'email',
      status: 'sent',
      source: `test:${contactId}`,
      dueAt: at,
      sentAt: at,
      expiresAt: at + 30 * DAY,
      createdAt: at,
      updatedAt: at,
    });
}

const responseRows = (tenantId: string) => db().select().from(responses).where(eq(responses.tenantId, tenantId)).orderBy(asc(responses.id));
const contactRows = (tenantId: string) => db().select().from(contacts).where(eq(contacts.tenantId, tenantId)).orderBy(asc(contacts.id));
const purgeAudits = (tenantId: string) =>
  db()
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.tenantId, tenantId), eq(auditLog.action, 'retention.purge')));
const settingsAudits = (tenantId: string) =>
  db()
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.tenantId, tenantId), eq(auditLog.action, 'settings.update')));
async function rollupState(tenantId: string) {
  const cells = await db().select().from(rollups).where(eq(rollups.tenantId, tenantId));
  const months = await db().select().from(rollupMonths).where(eq(rollupMonths.tenantId, tenantId));
  const key = (r: object) => JSON.stringify(r);
  return { cells: cells.map(key).sort(), months: months.map(key).sort() };
}

// The rows of tenant t, by what the purge must do with them (commentDays 90, contactDays 365).
const OLD_COMMENTED = PURGE_BATCH + 3; // more than one statement's worth
let oldIds: string[] = [];
let oldNoComment: string[] = [];
let edgeOld: string[] = [];
let edgeRecent: string[] = [];
let recentIds: string[] = [];
const c = {} as Record<'stale' | 'oldInvite' | 'recentInvite' | 'recentAnswer' | 'recentEvent' | 'fresh' | 'answeredInYear', string>;

beforeAll(async () => {
  [t, keep] = [await makeTenant('Retention'), await makeTenant('RetentionKeep')];
  [s, sKeep] = [await makeSurvey(t.tenantId, { definition: fullSurvey() }), await makeSurvey(keep.tenantId, { definition: fullSurvey() })];

  c.stale = await insertContact(t.tenantId, 500); // no activity at all
  c.oldInvite = await insertContact(t.tenantId, 500);
  await insertInvitation(s, t.units.berlin, c.oldInvite, 400); // its last activity, still too old
  c.recentInvite = await insertContact(t.tenantId, 500);
  await insertInvitation(s, t.units.berlin, c.recentInvite, 20);
  c.recentAnswer = await insertContact(t.tenantId, 500);
  c.recentEvent = await insertContact(t.tenantId, 500);
  await db()
    .insert(events)
    .values({
      id: newId('evt'),
      tenantId: t.tenantId,
      eventId: `e-${c.recentEvent}`,
      type: 'ticket.resolved',
      occurredAt: NOW - 5 * DAY,
      contactId: c.recentEvent,
      decision: 'skip',
      reason: 'test',
      createdAt: NOW - 5 * DAY,
    });
  c.fresh = await insertContact(t.tenantId, 100); // updated within the year
  c.answeredInYear = await insertContact(t.tenantId, 500); // answered 200 days ago (below)

  oldIds = await insertResponses(s, t.units.berlin, OLD_COMMENTED, 200, { contactId: c.answeredInYear });
  oldNoComment = await insertResponses(s, t.units.paris, 2, 150, { comment: false });
  edgeOld = await insertResponses(s, t.units.paris, 1, 91);
  edgeRecent = await insertResponses(s, t.units.paris, 1, 89);
  recentIds = await insertResponses(s, t.units.newYork, 3, 10, { contactId: c.recentAnswer });

  await insertContact(keep.tenantId, 2000);
  await insertResponses(sKeep, keep.units.berlin, 4, 2000);

  for (const tenant of [t, keep]) await foldTenant(new TenantDb(db(), tenant.tenantId), NOW);
}, 60_000);

describe('retention settings', () => {
  const patch = (body: unknown, token = t.tokens.admin) => call('PATCH', '/api/v1/settings', { token, body });
  const read = async () => (await call('GET', '/api/v1/settings', { token: t.tokens.admin })).body;

  it('keeps everything by default', async () => {
    expect((await read()).retention).toEqual({ commentDays: null, contactDays: null });
  });

  it('refuses values outside 30..3650 or not whole days with 400 and the envelope, changing nothing', async () => {
    const before = await read();
    const audits = (await settingsAudits(t.tenantId)).length;
    const bad: [unknown, string][] = [
      [{ retention: { commentDays: 29 } }, 'body.retention.commentDays'],
      [{ retention: { contactDays: 3651 } }, 'body.retention.contactDays'],
      [{ retention: { commentDays: 90.5 } }, 'body.retention.commentDays'],
      [{ retention: { commentDays: '90' } }, 'body.retention.commentDays'],
      [{ retention: { commentDays: 90, names: 30 } }, 'body.retention'],
      [{ retention: null }, 'body.retention'],
      [{ retention: { commentDays: 90 }, fatigueDays: -1 }, 'body.fatigueDays'],
    ];
    for (const [body, path] of bad) {
      const res = await patch(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', requestId: expect.any(String) });
      expect(
        res.body.error.details.map((d: { path: string }) => d.path),
        JSON.stringify(body),
      ).toContain(path);
    }
    expect(await read()).toEqual(before);
    expect((await settingsAudits(t.tenantId)).length).toBe(audits);
  });

  it('a non-admin may not set it', async () => {
    const res = await patch({ retention: { commentDays: 30 } }, t.tokens.manager);
    expect(res.status).toBe(403);
    expect((await read()).retention).toEqual({ commentDays: null, contactDays: null });
  });

  it('sets each value on its own; a field not given keeps its value; audited by field', async () => {
    let res = await patch({ retention: { commentDays: 90 } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.retention).toEqual({ commentDays: 90, contactDays: null });
    res = await patch({ retention: { contactDays: 365 } });
    expect(res.body.retention).toEqual({ commentDays: 90, contactDays: 365 });
    expect((await read()).retention).toEqual({ commentDays: 90, contactDays: 365 });
    const rows = (await settingsAudits(t.tenantId)).sort((a, b) => b.createdAt - a.createdAt);
    expect(rows[0]!.details).toEqual({ changed: ['retention.contactDays'] });
    expect(rows[1]!.details).toEqual({ changed: ['retention.commentDays'] });
    // null goes back to keeping forever, and back again
    expect((await patch({ retention: { contactDays: null } })).body.retention).toEqual({ commentDays: 90, contactDays: null });
    expect((await patch({ retention: { contactDays: 365 } })).body.retention).toEqual({ commentDays: 90, contactDays: 365 });
  });
});

describe('the daily purge', () => {
  let before: Awaited<ReturnType<typeof responseRows>>;
  let contactsBefore: Awaited<ReturnType<typeof contactRows>>;
  let rollupsBefore: Awaited<ReturnType<typeof rollupState>>;
  let keepBefore: unknown[];

  beforeAll(async () => {
    const [row] = await db().select({ settings: tenants.settings }).from(tenants).where(eq(tenants.id, t.tenantId));
    expect((row!.settings as any).retention).toEqual({ commentDays: 90, contactDays: 365 });
    before = await responseRows(t.tenantId);
    contactsBefore = await contactRows(t.tenantId);
    rollupsBefore = await rollupState(t.tenantId);
    keepBefore = [await responseRows(keep.tenantId), await contactRows(keep.tenantId), await rollupState(keep.tenantId)];
    await daily();
  }, 60_000);

  it('erases the comment and text answers of answers older than commentDays, and only those', async () => {
    const after = new Map((await responseRows(t.tenantId)).map((r) => [r.id, r]));
    const erased = new Set([...oldIds, ...oldNoComment, ...edgeOld]);
    for (const b of before) {
      const a = after.get(b.id)!;
      // Scores and everything a rollup reads stay as they were.
      expect({ ...a, comment: null, answers: null, updatedAt: 0 }).toEqual({ ...b, comment: null, answers: null, updatedAt: 0 });
      if (erased.has(b.id)) {
        expect(a.comment).toBeNull();
        const { praise, ...rest } = b.answers as Record<string, unknown>;
        expect(praise).toEqual(expect.any(String));
        expect(a.answers).toEqual(rest); // sat, way and the hidden order stay
      } else {
        expect(a).toEqual(b);
      }
    }
    expect([...edgeRecent, ...recentIds].every((id) => after.get(id)!.comment !== null)).toBe(true);
  });

  it('erases the personal data of contacts without activity for contactDays, keeping the rows', async () => {
    const after = new Map((await contactRows(t.tenantId)).map((r) => [r.id, r]));
    expect(after.size).toBe(contactsBefore.length);
    for (const b of contactsBefore) {
      const a = after.get(b.id)!;
      if (b.id === c.stale || b.id === c.oldInvite) {
        expect(a).toMatchObject({ email: null, phone: null, attributes: {}, externalId: b.externalId, segment: 'smb', locale: 'de' });
      } else {
        expect(a, `contact ${Object.entries(c).find(([, id]) => id === b.id)?.[0]}`).toEqual(b);
      }
    }
    // The links stay: the erased contact's invitation still names it.
    const linked = await db()
      .select()
      .from(invitations)
      .where(and(eq(invitations.tenantId, t.tenantId), eq(invitations.contactId, c.oldInvite)));
    expect(linked.length).toBe(1);
  });

  it('leaves the rollups (day cells and month totals) untouched', async () => {
    expect(await rollupState(t.tenantId)).toEqual(rollupsBefore);
  });

  it('writes one audit row for the run with the counts', async () => {
    const rows = await purgeAudits(t.tenantId);
    expect(rows.length).toBe(1);
    expect(rows[0]).toMatchObject({ actorType: 'system', actorId: null, targetType: 'tenant', targetId: t.tenantId });
    expect(rows[0]!.details).toEqual({ comments: OLD_COMMENTED + 1, textAnswers: OLD_COMMENTED + 2 + 1, contacts: 2, commentDays: 90, contactDays: 365 });
    // Visible to the admin in the audit-log API.
    const api = await call('GET', `/api/v1/audit-log?targetType=tenant&targetId=${t.tenantId}`, { token: t.tokens.admin });
    expect(api.body.items.some((e: { action: string }) => e.action === 'retention.purge')).toBe(true);
  });

  it('a second run changes nothing and writes no audit row', async () => {
    const responsesNow = await responseRows(t.tenantId);
    const contactsNow = await contactRows(t.tenantId);
    await daily(NOW + 60_000);
    expect(await responseRows(t.tenantId)).toEqual(responsesNow);
    expect(await contactRows(t.tenantId)).toEqual(contactsNow);
    expect((await purgeAudits(t.tenantId)).length).toBe(1);
  });

  it('a tenant without retention keeps everything', async () => {
    expect([await responseRows(keep.tenantId), await contactRows(keep.tenantId), await rollupState(keep.tenantId)]).toEqual(keepBefore);
    expect((await purgeAudits(keep.tenantId)).length).toBe(0);
  });
});
