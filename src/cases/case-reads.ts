import { and, asc, desc, eq, gte, inArray, isNull, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import { can, reach, seesRespondent, type Actor } from '../auth/policy';
import { accounts, type CASE_STATUSES, caseEvents, cases, commentAnalyses, contacts, responses, roleGrants, themeLibrary, touchpoints, units, users } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Deps } from '../lib/deps';
import { ApiError, forbidden, notFound } from '../lib/errors';
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
      ownerName: users.name,
      ownerEmail: users.email,
    })
    .from(cases)
    .innerJoin(units, eq(units.id, cases.unitId))
    .leftJoin(responses, eq(responses.id, cases.responseId))
    .leftJoin(contacts, eq(contacts.id, cases.contactId))
    .leftJoin(touchpoints, eq(touchpoints.id, cases.touchpointId))
    .leftJoin(users, eq(users.id, cases.ownerUserId))
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

/** The orders of the case list: newest (default, paged by `before` or `offset`), oldest, the next target soonest, the lowest score. */
export const CASE_SORTS = ['newest', 'oldest', 'due', 'score'] as const;

export interface CaseListQuery {
  scope: 'mine' | 'subtree';
  status?: CaseStatus;
  overdue?: 'true' | 'false';
  vendorId?: string;
  unitId?: string;
  scoreMin?: number;
  scoreMax?: number;
  minAgeDays?: number;
  maxAgeDays?: number;
  sort: (typeof CASE_SORTS)[number];
  limit: number;
  before?: string;
  offset?: number;
}

const DAY = 86_400_000;

/**
 * The next target of a case: the first contact while it is open and nobody has been in touch,
 * else the resolution while it is open or contacted; none once resolved or closed. As SQL for
 * sorting, and in JS for the list's `nextDueAt`.
 */
const nextDueSql = sql`case when ${cases.status} = 'open' and ${cases.firstContactAt} is null and ${cases.firstContactDueAt} is not null then ${cases.firstContactDueAt} when ${cases.status} in ('open', 'contacted') then ${cases.resolutionDueAt} end`;
export function nextDue(k: {
  status: string;
  firstContactAt: number | null;
  firstContactDueAt: number | null;
  resolutionDueAt: number | null;
}): { target: 'first_contact' | 'resolution'; at: number } | null {
  if (k.status === 'open' && k.firstContactAt === null && k.firstContactDueAt !== null) return { target: 'first_contact', at: k.firstContactDueAt };
  if ((k.status === 'open' || k.status === 'contacted') && k.resolutionDueAt !== null) return { target: 'resolution', at: k.resolutionDueAt };
  return null;
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
  if (q.unitId) {
    const unit = await getUnit(t, q.unitId);
    if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
    conditions.push(inSubtree(unit.path));
  }
  if (q.scoreMin !== undefined) conditions.push(gte(cases.score, q.scoreMin));
  if (q.scoreMax !== undefined) conditions.push(lte(cases.score, q.scoreMax));
  // Age: how long ago the case was opened, in whole days at the moment of the call.
  if (q.minAgeDays !== undefined) conditions.push(lte(cases.createdAt, now - q.minAgeDays * DAY));
  if (q.maxAgeDays !== undefined) conditions.push(gte(cases.createdAt, now - q.maxAgeDays * DAY));
  if (q.before) conditions.push(lt(cases.id, q.before));
  const order =
    q.sort === 'oldest'
      ? [asc(cases.id)]
      : q.sort === 'due'
        ? // Cases without a target left (resolved, closed) last; then the newest.
          [sql`(${nextDueSql}) is null`, asc(nextDueSql), desc(cases.id)]
        : q.sort === 'score'
          ? [asc(cases.score), desc(cases.id)]
          : [desc(cases.id)];
  const offset = q.offset ?? 0;
  const rows = await t
    .select({
      c: cases,
      unitPath: units.path,
      unitName: units.name,
      comment: responses.comment,
      contact: { id: contacts.id, externalId: contacts.externalId, email: contacts.email, phone: contacts.phone, locale: contacts.locale },
      ownerName: users.name,
      ownerEmail: users.email,
      accountExternalId: accounts.externalId,
    })
    .from(cases)
    .innerJoin(units, eq(units.id, cases.unitId))
    .leftJoin(responses, eq(responses.id, cases.responseId))
    .leftJoin(contacts, eq(contacts.id, cases.contactId))
    .leftJoin(users, eq(users.id, cases.ownerUserId))
    .leftJoin(accounts, eq(accounts.id, cases.accountId))
    .where(and(...conditions))
    .orderBy(...order)
    .limit(q.limit + 1)
    .offset(offset);
  const page = rows.slice(0, q.limit);
  const more = rows.length > q.limit;
  // `before` is the newest-first cursor (kept as it was); `nextOffset` pages any order.
  return { page, nextCursor: more && q.sort === 'newest' ? page[page.length - 1]!.c.id : null, nextOffset: more ? offset + q.limit : null, now };
}

/**
 * People who can own a case: active users with an admin, manager, vendor or agent grant on the
 * case's unit or above it (their grant reaches the unit). Only those who may change the case
 * (admin, manager, vendor over its unit) ask.
 */
export async function caseOwners(d: Pick<Deps, 't' | 'actor'>, id: string) {
  const row = await visibleCase(d, id);
  if (!can(d.actor, 'case.write', row.unitPath)) throw forbidden('choosing an owner needs the admin, manager or vendor role over the unit');
  return ownersOf(d.t, row.unitPath);
}

export function ownersOf(t: TenantDb, unitPath: string) {
  const ancestors = unitPath
    .split('/')
    .filter(Boolean)
    .map((_, i, parts) => `/${parts.slice(0, i + 1).join('/')}/`);
  return t
    .selectDistinct({ id: users.id, name: users.name, email: users.email })
    .from(roleGrants)
    .innerJoin(units, eq(units.id, roleGrants.unitId))
    .innerJoin(users, eq(users.id, roleGrants.userId))
    .where(and(inArray(roleGrants.role, CASE_OWNER_ROLES), eq(users.status, 'active'), inArray(units.path, ancestors)))
    .orderBy(asc(users.name), asc(users.email));
}
export const CASE_OWNER_ROLES = ['admin', 'manager', 'vendor', 'agent'] as const;
