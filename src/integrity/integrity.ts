import { and, count, desc, eq, gte, inArray, isNotNull, lt, notInArray, sql } from 'drizzle-orm';
import { can, reach } from '../auth/policy';
import { events, invitations, responses, signInNetworks, users } from '../db/schema';
import type { Deps } from '../lib/deps';
import { ApiError, forbidden } from '../lib/errors';
import { reportUnit } from '../org/scope';
import { listSubtrees } from '../org/units';
import { INTEGRITY, type IntegrityAnswer, type Signal, signalsOf, type Subject } from './signals';

/*
 * The integrity report (docs/integrity.md): per agent and per unit of a subtree over a window,
 * the five signals of gaming with their evidence. Admins and analysts only (`integrity.read`):
 * agents, managers, vendors and viewers never see it. It reads; it changes nothing, and no
 * signal changes a score.
 */

const DAY_MS = 86_400_000;

export interface IntegrityQuery {
  unitId?: string;
  /** Days, YYYY-MM-DD (UTC), both included. */
  from?: string;
  to?: string;
}

const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`);
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The window: [from 00:00, to + 1 day 00:00) UTC; default the 90 days up to today. */
export function integrityWindow(q: IntegrityQuery, now: number) {
  const to = q.to ?? dayOf(now);
  const from = q.from ?? dayOf(dayStart(to) - (INTEGRITY.defaultDays - 1) * DAY_MS);
  const start = dayStart(from);
  const end = dayStart(to) + DAY_MS;
  if (start >= end) throw new ApiError('VALIDATION_FAILED', 'the window is empty', [{ path: 'query.from', message: 'from must be on or before to' }]);
  const days = Math.round((end - start) / DAY_MS);
  if (days > INTEGRITY.maxDays) throw new ApiError('VALIDATION_FAILED', 'the window is too long', [{ path: 'query.from', message: `at most ${INTEGRITY.maxDays} days` }]);
  return { from, to, start, end, days };
}

interface Named {
  id: string;
  name: string | null;
}

/** Users' names for the agent ids that are user ids (an external agent id has none until mapped). */
async function agentNames({ t }: Pick<Deps, 't'>, ids: string[]): Promise<Map<string, Named>> {
  const out = new Map<string, Named>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await t
      .select({ id: users.id, name: users.name, email: users.email })
      .from(users)
      .where(inArray(users.id, ids.slice(i, i + 500)));
    for (const r of rows) out.set(r.id, { id: r.id, name: r.name || r.email });
  }
  return out;
}

const flaggedFirst = <T extends { signals: Signal[]; answers: number }>(a: T, b: T) => b.signals.filter((s) => s.flagged).length - a.signals.filter((s) => s.flagged).length || b.answers - a.answers;

/** The integrity signals of the unit's subtree (default: the root, or the caller's one subtree) over the window. */
export async function integrityReport(d: Deps, q: IntegrityQuery) {
  const { t, actor } = d;
  if (reach(actor, 'integrity.read').length === 0) throw forbidden('integrity signals are for admins and analysts');
  const window = integrityWindow(q, Date.now());
  const unit = await reportUnit(d, q.unitId);
  if (!can(actor, 'integrity.read', unit.path)) throw forbidden('integrity signals of this unit need the admin or analyst role on it or above it');

  const subtree = await listSubtrees(t, [unit.path]);
  const unitIds = subtree.map((u) => u.id);
  const inWindow = (column: typeof responses.createdAt | typeof invitations.createdAt) => and(gte(column, window.start), lt(column, window.end));

  // Invitations issued in the window, per unit and agent (index invitations_tenant_unit_created).
  const issuedRows = await t
    .select({
      unitId: invitations.unitId,
      agentId: invitations.agentId,
      issued: count(),
      answered: sql<number>`sum(${invitations.status} = 'answered')`.mapWith(Number),
    })
    .from(invitations)
    .where(and(inArray(invitations.unitId, unitIds), inWindow(invitations.createdAt), notInArray(invitations.status, ['cancelled', 'failed', 'dead'])))
    .groupBy(invitations.unitId, invitations.agentId);

  // The window's counted answers with a score (index responses_tenant_unit_created), each with
  // its event's time and whether it came from a network its agent signed in from (a primary-key seek).
  const ownNetwork = sql<number>`exists ${t
    .select({ one: sql`1` })
    .from(signInNetworks)
    .where(and(eq(signInNetworks.userId, responses.agentId), eq(signInNetworks.networkHash, responses.networkHash)))}`.mapWith(Number);
  const rows = await t
    .select({
      id: responses.id,
      unitId: responses.unitId,
      agentId: responses.agentId,
      score: responses.score,
      comment: responses.comment,
      answeredAt: responses.answeredAt,
      createdAt: responses.createdAt,
      occurredAt: events.occurredAt,
      ownNetwork,
    })
    .from(responses)
    .leftJoin(events, eq(events.id, responses.eventId))
    .where(and(inArray(responses.unitId, unitIds), inWindow(responses.createdAt), eq(responses.counted, true), isNotNull(responses.score)))
    .orderBy(desc(responses.createdAt))
    .limit(INTEGRITY.maxAnswers + 1);
  if (rows.length > INTEGRITY.maxAnswers) {
    throw new ApiError('UNPROCESSABLE', `more than ${INTEGRITY.maxAnswers} answers in this window and unit: narrow the window or choose a unit lower down`);
  }
  const answers: IntegrityAnswer[] = rows.map((r) => ({
    id: r.id,
    unitId: r.unitId,
    agentId: r.agentId,
    score: r.score!,
    comment: r.comment,
    answeredAt: r.answeredAt ?? r.createdAt,
    occurredAt: r.occurredAt,
    ownNetwork: r.agentId !== null && r.ownNetwork === 1,
  }));

  const group = (keyOf: (x: { unitId: string; agentId: string | null }) => string | null) => {
    const subjects = new Map<string, Subject>();
    const subject = (key: string) => {
      let s = subjects.get(key);
      if (!s) subjects.set(key, (s = { key, answers: [], invitations: { issued: 0, answered: 0 } }));
      return s;
    };
    for (const a of answers) {
      const key = keyOf(a);
      if (key !== null) subject(key).answers.push(a);
    }
    for (const r of issuedRows) {
      const key = keyOf(r);
      if (key === null) continue;
      const s = subject(key);
      s.invitations.issued += r.issued;
      s.invitations.answered += r.answered;
    }
    return [...subjects.values()];
  };

  const agentSubjects = group((x) => x.agentId);
  const unitSubjects = group((x) => x.unitId);
  const agentSignals = signalsOf(agentSubjects);
  const unitSignals = signalsOf(unitSubjects);
  const names = await agentNames(
    d,
    agentSubjects.map((s) => s.key),
  );
  const unitsById = new Map(subtree.map((u) => [u.id, u]));

  const agents = agentSubjects
    .map((s) => ({
      agentId: s.key,
      name: names.get(s.key)?.name ?? null,
      answers: s.answers.length,
      invitations: s.invitations.issued,
      units: [...new Set(s.answers.map((a) => a.unitId))].sort(),
      flagged: agentSignals.get(s.key)!.some((x) => x.flagged),
      signals: agentSignals.get(s.key)!,
    }))
    .sort((a, b) => flaggedFirst(a, b) || a.agentId.localeCompare(b.agentId));
  const sites = unitSubjects
    .map((s) => ({
      unitId: s.key,
      name: unitsById.get(s.key)?.name ?? s.key,
      kind: unitsById.get(s.key)?.kind ?? 'site',
      answers: s.answers.length,
      invitations: s.invitations.issued,
      flagged: unitSignals.get(s.key)!.some((x) => x.flagged),
      signals: unitSignals.get(s.key)!,
    }))
    .sort((a, b) => flaggedFirst(a, b) || a.unitId.localeCompare(b.unitId));

  return {
    unitId: unit.id,
    from: window.from,
    to: window.to,
    days: window.days,
    answers: answers.length,
    method: {
      alpha: INTEGRITY.alpha,
      correction: 'holm' as const,
      margin: INTEGRITY.margin,
      minN: INTEGRITY.minN,
      burstMinutes: INTEGRITY.burstMinutes,
      ownNetworkMin: INTEGRITY.ownNetworkMin,
      duplicateMin: INTEGRITY.duplicateMin,
      duplicateShare: INTEGRITY.duplicateShare,
    },
    agents,
    sites,
  };
}
