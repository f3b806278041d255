import { and, asc, desc, eq, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { can, reach, seesRespondent, type Actor } from '../auth/policy';
import { accounts, type CASE_STATUSES, caseEvents, cases, commentAnalyses, contacts, responses, themeLibrary, touchpoints, units } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Deps } from '../lib/deps';
import { ApiError, notFound } from '../lib/errors';
import { getUnit, inSubtree } from '../org/units';

export type CaseStatus = (typeof CASE_STATUSES)[number];

export const isOwner = (actor: Actor, ownerUserId: string | null) => actor.type === 'user' && ownerUserId !== null && ownerUserId === actor.id;

/** A case with its unit, the answer's comment and locale, the contact and the touchpoint. */
function loadCase(t: TenantDb, id: string) {
  return t
    .select({
      c: cases,
      unitPath: units.path,
      unitName: units.name,
      comment: responses.comment,
      responseLocale: responses.locale,
      contact: { id: contacts.id, externalId: contacts.externalId, email: contacts.email, phone: contacts.phone, locale: contacts.locale, attributes: contacts.attributes },
      accountExternalId: accounts.externalId,
      touchpointName: touchpoints.name,
      touchpointRules: touchpoints.rules,
    })
    .from(cases)
    .innerJoin(units, eq(units.id, cases.unitId))
    .leftJoin(responses, eq(responses.id, cases.responseId))
    .leftJoin(contacts, eq(contacts.id, cases.contactId))
    .leftJoin(touchpoints, eq(touchpoints.id, cases.touchpointId))
    .leftJoin(accounts, eq(accounts.id, cases.accountId))
    .where(eq(cases.id, id));
}
export type LoadedCase = Awaited<ReturnType<typeof loadCase>>[number];

/** The case if the caller may read it (in reach of `case.read`, or their own), else 404. */
export async function visibleCase({ t, actor }: Pick<Deps, 't' | 'actor'>, id: string): Promise<LoadedCase> {
  const [row] = await loadCase(t, id);
  if (!row || !(can(actor, 'case.read', row.unitPath) || isOwner(actor, row.c.ownerUserId))) throw notFound('case');
  return row;
}

/**
 * A visible case with its timeline, oldest event first, and the library themes its answer's
 * comment mentions (docs/themes.md), for those who see the comment: the case page suggests the
 * reply templates of those themes.
 */
export async function caseWithTimeline(d: Pick<Deps, 't' | 'actor'>, id: string) {
  const row = await visibleCase(d, id);
  const [timeline, tagged] = await d.t.batch([
    d.t.select().from(caseEvents).where(eq(caseEvents.caseId, row.c.id)).orderBy(asc(caseEvents.createdAt), asc(caseEvents.id)),
    d.t
      .select({ id: themeLibrary.id, name: themeLibrary.name })
      .from(commentAnalyses)
      .innerJoin(themeLibrary, sql`${themeLibrary.id} in (select value from json_each(${commentAnalyses.themes}))`)
      .where(eq(commentAnalyses.id, row.c.responseId ?? '')) // an at-risk case has no answer: no themes
      .orderBy(asc(themeLibrary.name)),
  ]);
  // The themes say what the comment is about: shown to those who see the comment.
  return { row, timeline, themes: seesRespondent(d.actor, row.unitPath, row.c.ownerUserId) ? tagged : [] };
}

export interface CaseListQuery {
  scope: 'mine' | 'subtree';
  status?: CaseStatus;
  overdue?: 'true' | 'false';
  vendorId?: string;
  limit: number;
  before?: string;
}

/**
 * A page of cases, newest first: the caller's own, or those of units in their reach (and their
 * own), filtered by status, overdue and vendor. `now` is the instant `overdue` was judged at.
 */
export async function listCases({ t, actor }: Pick<Deps, 't' | 'actor'>, q: CaseListQuery) {
  const now = Date.now();
  const mine = actor.type === 'user' ? eq(cases.ownerUserId, actor.id) : undefined;
  const conditions: (SQL | undefined)[] = [];
  if (q.scope === 'mine') conditions.push(mine ?? sql`0`);
  else {
    const prefixes = reach(actor, 'case.read');
    const any = [...prefixes.map(inSubtree), ...(mine ? [mine] : [])];
    conditions.push(any.length ? or(...any) : sql`0`);
  }
  if (q.status) conditions.push(eq(cases.status, q.status));
  const overdue = and(inArray(cases.status, ['open', 'contacted']), or(and(eq(cases.status, 'open'), isNull(cases.firstContactAt), lt(cases.firstContactDueAt, now)), lt(cases.resolutionDueAt, now)))!;
  if (q.overdue === 'true') conditions.push(overdue);
  if (q.overdue === 'false') conditions.push(sql`not (${overdue})`);
  if (q.vendorId) {
    const vendor = await getUnit(t, q.vendorId);
    if (!vendor || !can(actor, 'unit.read', vendor.path)) throw notFound('vendor unit');
    if (vendor.kind !== 'vendor') throw new ApiError('VALIDATION_FAILED', 'vendorId names a unit that is not a vendor', [{ path: 'query.vendorId', message: 'not a vendor unit' }]);
    conditions.push(inSubtree(vendor.path));
  }
  if (q.before) conditions.push(lt(cases.id, q.before));
  const rows = await t
    .select({
      c: cases,
      unitPath: units.path,
      unitName: units.name,
      comment: responses.comment,
      contact: { id: contacts.id, externalId: contacts.externalId, email: contacts.email, phone: contacts.phone, locale: contacts.locale },
      accountExternalId: accounts.externalId,
    })
    .from(cases)
    .innerJoin(units, eq(units.id, cases.unitId))
    .leftJoin(responses, eq(responses.id, cases.responseId))
    .leftJoin(contacts, eq(contacts.id, cases.contactId))
    .leftJoin(accounts, eq(accounts.id, cases.accountId))
    .where(and(...conditions))
    .orderBy(desc(cases.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  return { page, nextCursor: rows.length > q.limit ? page[page.length - 1]!.c.id : null, now };
}
