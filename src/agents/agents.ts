import { and, desc, eq, gte, inArray, isNotNull, lt } from 'drizzle-orm';
import { audit } from '../audit/record';
import { can, reach } from '../auth/policy';
import { requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { agentMappings, cases, roleGrants, responses, units, users } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Deps } from '../lib/deps';
import { ApiError, forbidden, notFound } from '../lib/errors';
import { getUnit } from '../org/units';
import { agentScores } from '../scores/report';
import { getSettings } from '../settings/settings';
import { agentIdsOf, grantsOf, isMarked, markedPaths } from './marking';

/*
 * Agent views (docs/dimensions.md "Agent views"): an agent's own NPS over a rolling window with
 * its cases and comments, a team lead's list of the agents of a unit, and the mapping of external
 * agent ids to users. Agent scores are hidden below the larger of `minResponses` and
 * `agentMinResponses`, and for agents not for individual evaluation (a tenant setting).
 */

/** The rolling window of agent views: the last 90 UTC days, today included. */
export const WINDOW_DAYS = 90;
const DAY = 86_400_000;
/** At most this many of the window's answers are listed (newest first). */
const LIST_LIMIT = 200;

function windowOf(now: number) {
  const to = new Date(now).toISOString().slice(0, 10);
  const from = new Date(Date.parse(`${to}T00:00:00Z`) - (WINDOW_DAYS - 1) * DAY).toISOString().slice(0, 10);
  return { from, to, start: Date.parse(`${from}T00:00:00Z`) };
}

type Grant = Awaited<ReturnType<typeof grantsOf>>[number];
/** The grants that make a user an agent where they work: their `agent` grants, else all of them. */
const workGrants = (grants: Grant[]) => (grants.some((g) => g.role === 'agent') ? grants.filter((g) => g.role === 'agent') : grants);

/** The user an agent id names: its mapping, else a user with that id; null when neither. */
async function userOfAgent(t: TenantDb, agentId: string) {
  const [mapped] = await t.select({ userId: agentMappings.userId }).from(agentMappings).where(eq(agentMappings.agentId, agentId));
  const [user] = await t
    .select({ id: users.id, name: users.name })
    .from(users)
    .where(eq(users.id, mapped?.userId ?? agentId));
  return user ?? null;
}

/**
 * The answers of an agent's ids in the window wherever they served (their own index on answers),
 * newest first, with their cases. Who may read which is decided per answer's unit by the caller.
 */
async function answersOf(t: TenantDb, agentIds: string[], start: number) {
  return t
    .select({
      responseId: responses.id,
      unitId: responses.unitId,
      unitName: units.name,
      unitPath: units.path,
      score: responses.score,
      comment: responses.comment,
      createdAt: responses.createdAt,
      caseId: cases.id,
      caseStatus: cases.status,
      caseCreatedAt: cases.createdAt,
      firstContactDueAt: cases.firstContactDueAt,
      firstContactAt: cases.firstContactAt,
      resolutionDueAt: cases.resolutionDueAt,
      resolvedAt: cases.resolvedAt,
    })
    .from(responses)
    .innerJoin(units, eq(units.id, responses.unitId))
    .leftJoin(cases, eq(cases.responseId, responses.id))
    .where(and(inArray(responses.agentId, agentIds), gte(responses.createdAt, start), eq(responses.counted, true)))
    .orderBy(desc(responses.createdAt))
    .limit(LIST_LIMIT);
}

/**
 * One agent's view: their NPS over the window (hidden below the agent minimum, or for an agent not
 * for individual evaluation, with the reason), the cases of their answers and their comments.
 * `me`: the caller. Another agent: for a team lead (agent.read on a unit the agent works in),
 * with the cases and comments of units where the lead reads them; anyone else 404.
 */
export async function agentView(d: Pick<Deps, 't' | 'actor'>, agentId: string | 'me') {
  const { t, actor } = d;
  const user = agentId === 'me' ? (actor.type === 'user' ? await userOfAgent(t, actor.id) : null) : await userOfAgent(t, agentId);
  if (!user) throw notFound('agent');
  const [grants, settings, ids] = await Promise.all([grantsOf(t, [user.id]), getSettings(t), agentIdsOf(t, [user.id])]);
  const work = workGrants(grants);
  const own = actor.type === 'user' && actor.id === user.id;
  if (!own && !work.some((g) => can(actor, 'agent.read', g.unitPath))) throw notFound('agent');
  const agentIds = ids.get(user.id)!;
  const window = windowOf(Date.now());
  const marking = settings.notForIndividualEvaluation;
  const [paths, scored, rows] = await Promise.all([markedPaths(t, marking), agentScores(d, new Map([[user.id, agentIds]]), window), answersOf(t, agentIds, window.start)]);
  const marked = isMarked(grants, marking, paths);
  const item = scored.items.get(user.id)!;
  const hidden = marked ? ('not_for_individual_evaluation' as const) : item.suppressed ? ('below_minimum' as const) : null;
  const sees = (action: 'verbatim.read' | 'case.read', path: string) => own || can(actor, action, path);
  return {
    agent: { userId: user.id, name: user.name, agentIds, unitIds: [...new Set(work.map((g) => g.unitId))] },
    from: window.from,
    to: window.to,
    windowDays: WINDOW_DAYS,
    minimum: scored.minimum,
    score: marked ? null : item,
    hidden,
    cases: rows
      .filter((r) => r.caseId !== null && sees('case.read', r.unitPath))
      .map((r) => ({
        id: r.caseId!,
        unitId: r.unitId,
        unitName: r.unitName,
        status: r.caseStatus!,
        createdAt: new Date(r.caseCreatedAt!).toISOString(),
        firstContactDueAt: r.firstContactDueAt === null ? null : new Date(r.firstContactDueAt).toISOString(),
        firstContactAt: r.firstContactAt === null ? null : new Date(r.firstContactAt).toISOString(),
        resolutionDueAt: r.resolutionDueAt === null ? null : new Date(r.resolutionDueAt).toISOString(),
        resolvedAt: r.resolvedAt === null ? null : new Date(r.resolvedAt).toISOString(),
      })),
    // Each comment's score only while the agent's score is shown: else the scores would give it away.
    comments: rows
      .filter((r) => r.comment !== null && r.comment !== '' && sees('verbatim.read', r.unitPath))
      .map((r) => ({ responseId: r.responseId, unitId: r.unitId, unitName: r.unitName, score: hidden ? null : r.score, comment: r.comment!, createdAt: new Date(r.createdAt).toISOString() })),
  };
}

/**
 * A team lead's agents: the users with an `agent` grant on the unit or below it, each with their
 * NPS over the window (at every unit, as their own page shows it), hidden below the agent minimum
 * and for agents not for individual evaluation. agent.read on the unit (admins, managers); default
 * the first unit of the caller's reach.
 */
export async function teamAgents(d: Pick<Deps, 't' | 'actor'>, q: { unitId?: string }) {
  const { t, actor } = d;
  let unit: Awaited<ReturnType<typeof getUnit>>;
  if (q.unitId !== undefined) {
    unit = await getUnit(t, q.unitId);
    if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
    if (!can(actor, 'agent.read', unit.path)) throw forbidden('agent views are for team leads (managers) and admins');
  } else {
    const [path] = reach(actor, 'agent.read');
    if (!path) throw forbidden('agent views are for team leads (managers) and admins');
    [unit] = await t.select().from(units).where(eq(units.path, path));
    if (!unit) throw notFound('unit');
  }
  const rows = await t
    .select({ userId: users.id, name: users.name, unitId: roleGrants.unitId })
    .from(roleGrants)
    .innerJoin(units, eq(units.id, roleGrants.unitId))
    .innerJoin(users, eq(users.id, roleGrants.userId))
    .where(and(eq(roleGrants.role, 'agent'), gte(units.path, unit.path), lt(units.path, `${unit.path.slice(0, -1)}0`)));
  const people = new Map<string, { name: string; unitIds: string[] }>();
  for (const r of rows) people.set(r.userId, { name: r.name, unitIds: [...(people.get(r.userId)?.unitIds ?? []), r.unitId] });
  const userIds = [...people.keys()];
  const settings = await getSettings(t);
  const window = windowOf(Date.now());
  const [ids, grants, paths] = await Promise.all([agentIdsOf(t, userIds), grantsOf(t, userIds), markedPaths(t, settings.notForIndividualEvaluation)]);
  const scored = await agentScores(d, ids, window);
  const items = userIds.map((id) => {
    const marked = isMarked(
      grants.filter((g) => g.userId === id),
      settings.notForIndividualEvaluation,
      paths,
    );
    const item = scored.items.get(id)!;
    return {
      userId: id,
      name: people.get(id)!.name,
      unitIds: people.get(id)!.unitIds,
      agentIds: ids.get(id)!,
      score: marked ? null : item,
      hidden: marked ? ('not_for_individual_evaluation' as const) : item.suppressed ? ('below_minimum' as const) : null,
    };
  });
  items.sort((a, b) => a.name.localeCompare(b.name) || a.userId.localeCompare(b.userId));
  return { unitId: unit.id, from: window.from, to: window.to, windowDays: WINDOW_DAYS, minimum: scored.minimum, items };
}

/**
 * Maps an external agent id to a user of the tenant (`userId` null removes the mapping); admins on
 * the root; audited. A user id is its own agent id and cannot be mapped (422). No stored answer
 * changes: the agent views read every id mapped to the user.
 */
export async function mapAgent(d: Deps, agentId: string, body: { userId: string | null }) {
  await requireTenantWide(d, 'user.manage', 'mapping agent ids');
  const { t, actor } = d;
  const [asUser] = await t.select({ id: users.id }).from(users).where(eq(users.id, agentId));
  if (asUser) throw new ApiError('UNPROCESSABLE', 'a user id is its own agent id and is not mapped', [{ path: 'params.agentId', message: 'a user id of the tenant' }]);
  if (body.userId !== null) {
    const [u] = await t.select({ id: users.id }).from(users).where(eq(users.id, body.userId));
    if (!u) throw notFound('user');
  }
  const [existing] = await t.select().from(agentMappings).where(eq(agentMappings.agentId, agentId));
  const now = Date.now();
  const after = body.userId === null ? null : { agentId, userId: body.userId, createdAt: existing?.createdAt ?? now, updatedAt: now };
  if ((existing?.userId ?? null) === body.userId) return { agentId, userId: body.userId, updatedAt: existing ? new Date(existing.updatedAt).toISOString() : null };
  await commit(t, [
    existing
      ? after
        ? t.update(agentMappings).set({ userId: after.userId, updatedAt: now }).where(eq(agentMappings.agentId, agentId))
        : t.delete(agentMappings).where(eq(agentMappings.agentId, agentId))
      : t.insert(agentMappings).values(after!),
    ...(await audit(d, {
      action: 'agent_mapping.update',
      targetType: 'agent',
      targetId: agentId,
      before: existing ?? null,
      after: after ? { ...after, tenantId: actor.tenantId } : null,
      details: { userId: body.userId, previousUserId: existing?.userId ?? null },
    })),
  ]);
  return { agentId, userId: body.userId, updatedAt: after ? new Date(now).toISOString() : null };
}

/** The mappings of external agent ids to users (admins on the root). */
export async function listMappings(d: Deps) {
  await requireTenantWide(d, 'user.manage', 'agent id mappings');
  const rows = await d.t.select().from(agentMappings).where(isNotNull(agentMappings.userId)).orderBy(agentMappings.agentId).limit(10_000);
  return { items: rows.map((r) => ({ agentId: r.agentId, userId: r.userId, updatedAt: new Date(r.updatedAt).toISOString() })) };
}
