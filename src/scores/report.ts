import { can } from '../auth/policy';
import type { Deps } from '../lib/deps';
import { ApiError, notFound } from '../lib/errors';
import { reportUnit } from '../org/scope';
import { getRoot, getUnit, type Unit } from '../org/units';
import { addTallies, difference, emptyTally, score, type Tally } from '../scoring/nps';
import { getSettings } from '../settings/settings';
import { visibleAnnotation } from '../annotations/annotations';
import { localDay } from './local-day';
import { hiddenAgentIds } from '../agents/marking';
import { assertShrinkable, readPeers, shrinker } from './peers';
import { ACTOR_GROUPS, gather, gatherPage, isContactDim, isPagedCut, MAX_CONTACT_CUT_DAYS, weighTally, type Distribution, type Grouped, type GroupPage, type ScoresScope } from './query';
import type { ScoresQuery } from './scores-query';

const DAY_MS = 86_400_000;
const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

/** The windows of `around=<annotation>`: `weeks` weeks before its day, and as many from its day on. */
async function aroundWindows(d: Pick<Deps, 't' | 'actor'>, q: ScoresQuery) {
  const a = await visibleAnnotation(d, q.around!);
  const weeks = q.aroundWeeks ?? 4;
  const before = { from: addDays(a.date, -7 * weeks), to: addDays(a.date, -1) };
  const after = { from: a.date, to: addDays(a.date, 7 * weeks - 1) };
  return {
    around: { annotation: { id: a.id, unitId: a.unitId, date: a.date, kind: a.kind, title: a.title }, weeks, before, after },
    // The annotated unit, when the caller reads it (an inherited annotation may sit above the caller's reach).
    unitId: q.unitId ?? (can(d.actor, 'unit.read', a.unitPath) ? a.unitId : undefined),
  };
}

/**
 * The unit a query scores, and whether the caller may (docs/dimensions.md): score.read on it; or,
 * with `vendorId`, score.read on that vendor unit, whose users read their vendor's answers at every
 * unit of the tenant. A `vendorId` that is not a vendor unit answers 404, and so does another
 * vendor for a caller who holds only vendor grants; others filter within their own reach.
 */
async function scoredUnit(d: Pick<Deps, 't' | 'actor'>, q: ScoresQuery): Promise<Unit> {
  const { t, actor } = d;
  if (q.vendorId !== undefined) {
    const vendor = await getUnit(t, q.vendorId);
    if (vendor?.kind !== 'vendor') throw notFound('vendor unit');
    if (can(actor, 'score.read', vendor.path)) {
      const unit = q.unitId === undefined ? await getRoot(t) : await getUnit(t, q.unitId);
      if (!unit) throw notFound('unit');
      return unit;
    }
    if (actor.grants.every((g) => g.role === 'vendor')) throw notFound('vendor unit');
  }
  const unit = await reportUnit(d, q.unitId);
  if (!can(actor, 'score.read', unit.path)) throw new ApiError('FORBIDDEN', 'your role does not read scores');
  return unit;
}

/**
 * The scores of a query for the caller: the unit must be in reach and the role read scores.
 * One implementation for the API and the CSV export.
 */
export async function scoreReport(d: Pick<Deps, 't' | 'actor'>, q: ScoresQuery) {
  return (await scoresAnswer(d, q, { everyGroup: true })).items;
}

/** Groups per page of a paged cut (account, agent) when the query gives no `limit` (docs/measurement.md). */
export const DEFAULT_PAGE = 100;

/**
 * The scores answer: its items, and with `around` the annotation and the windows compared. A page
 * of groups with `limit` (by default for the account and agent cuts, unless `everyGroup`: the CSV
 * exports), and then `nextCursor`.
 */
export async function scoresAnswer(d: Pick<Deps, 't' | 'actor'>, query: ScoresQuery, { everyGroup = false } = {}) {
  const { t } = d;
  const windows = query.around ? await aroundWindows(d, query) : undefined;
  const q: ScoresQuery = windows
    ? { ...query, unitId: windows.unitId, from: windows.around.after.from, to: windows.around.after.to, compare: `${windows.around.before.from}..${windows.around.before.to}` }
    : query;
  const [unit, settings] = await Promise.all([scoredUnit(d, q), getSettings(t)]);
  if (q.weight === 'poststrat' && !settings.populationShares) throw new ApiError('UNPROCESSABLE', 'post-stratification needs population shares per segment in the settings');

  // Today where the unit is: a unit east of UTC has its own today before UTC has.
  const to = q.to ?? localDay(Date.now(), unit.timezone);
  const from = q.from ?? addDays(to, -89);
  // Cuts counted from the answers, by day: the range bounds the work, unless one agent's answers are asked for. The
  // contact attributes kept as totals are read from the answers only when weighted by segment or filtered by vendor.
  const fromAnswers = q.groupBy === 'account' || q.groupBy === 'agent' || (isContactDim(q.groupBy) && (q.weight === 'poststrat' || q.vendorId !== undefined));
  const answersByDay = q.period === 'day' && fromAnswers && q.agentId === undefined;
  if (answersByDay && Date.parse(to) - Date.parse(from) >= MAX_CONTACT_CUT_DAYS * DAY_MS) {
    throw new ApiError('UNPROCESSABLE', `a cut by ${q.groupBy} by day covers at most ${MAX_CONTACT_CUT_DAYS} days; use a shorter range or a week, month or quarter period`, [
      { path: 'query.period', message: `day periods with groupBy=${q.groupBy}: at most ${MAX_CONTACT_CUT_DAYS} days` },
    ]);
  }
  const shrunk = q.estimate === 'shrunk';
  if (shrunk) assertShrinkable(q);
  const scope: ScoresScope = { root: { id: unit.id, path: unit.path }, from, to, period: q.period, groupBy: q.groupBy, weight: q.weight, vendorId: q.vendorId, agentId: q.agentId };
  let compareTo: Grouped | undefined;
  const dist: Distribution | undefined = q.distribution === 'true' ? new Map() : undefined;
  const limit = q.limit ?? (isPagedCut(q.groupBy) && !everyGroup ? DEFAULT_PAGE : undefined);
  const paging: Promise<GroupPage> | undefined = q.groupBy !== undefined && limit !== undefined ? gatherPage(t, scope, { after: q.after, limit }, dist) : undefined;
  const gathering = paging ? paging.then((p) => p.groups) : gather(t, scope, dist);
  const [current, peers] = await Promise.all([
    gathering,
    // Only with estimate=shrunk: the peers' tallies (the common query reads nothing more).
    shrunk ? readPeers(t, unit, scope, gathering) : null,
    (async () => {
      if (!q.compare) return;
      const days = Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS) + 1;
      const [cFrom, cTo] = q.compare === 'previous' ? [addDays(from, -days), addDays(from, -1)] : (q.compare.split('..') as [string, string]);
      // A page compares its own groups: the keys it covers (the compared range may have others).
      compareTo = await gather(t, { ...scope, from: cFrom, to: cTo, period: undefined }, undefined, paging && (await paging).span);
    })(),
  ]);
  const page = paging && (await paging);

  const weighted = q.weight !== 'none';
  const tally = (cells: Map<string, Tally>) => weighTally(cells, q.weight, settings.populationShares);
  // Agent scores: hidden below the agent minimum too (docs/dimensions.md).
  const agentLevel = q.groupBy === 'agent' || q.agentId !== undefined;
  const opts = { confidence: q.confidence, weighted, minN: agentLevel ? Math.max(settings.minResponses, settings.agentMinResponses) : settings.minResponses, reliableN: settings.reliabilityThreshold };
  const noValue = (ACTOR_GROUPS as readonly (string | undefined)[]).includes(q.groupBy) ? 'none' : 'all';
  // Agents not for individual evaluation (a tenant setting): counts only, whoever asks (docs/dimensions.md).
  const hidden = agentLevel ? await hiddenAgentIds(t, settings.notForIndividualEvaluation) : new Set<string>();
  const shrink = shrunk ? shrinker(peers, q.confidence) : null;
  const items = [];
  // No answers at all: one item saying so. A page has its own order (binary, a paged cut's
  // remainder last); a page after the first may be empty.
  const none = current.size === 0 && q.after === undefined;
  const groups = none ? new Map([['', new Map([['', new Map<string, Tally>()]])]]) : current;
  const ordered = page && !none ? page.order.map((k) => [k, groups.get(k)!] as const) : [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
  for (const [group, byPeriod] of ordered) {
    for (const [period, cells] of [...byPeriod.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const t = tally(cells);
      const marked = hidden.size > 0 && hidden.has(q.groupBy === 'agent' ? group : (q.agentId ?? ''));
      const s: ReturnType<typeof notForEvaluation> = marked ? notForEvaluation(score(t, opts)) : score(t, opts);
      let delta: { points: number; p: number } | undefined;
      const before = compareTo?.get(group)?.get('');
      const sb = before ? score(tally(before), opts) : undefined;
      if (before && sb && !s.suppressed && !marked) {
        const d = sb.suppressed ? null : difference(t, tally(before), { weighted });
        if (d) delta = { points: d.points, p: d.p };
      }
      // With `around`: the same group before the annotation, whatever the suppression of either side.
      const beforeScore = windows ? (marked ? notForEvaluation(sb ?? score(emptyTally(), opts)) : (sb ?? score(emptyTally(), opts))) : undefined;
      items.push({
        key: group || noValue,
        ...(q.period ? { period } : {}),
        nps: s.nps,
        n: s.n,
        promoters: s.promoters,
        passives: s.passives,
        detractors: s.detractors,
        ci: s.ci,
        ...(s.effectiveN !== undefined ? { effectiveN: s.effectiveN } : {}),
        suppressed: s.suppressed,
        ...(s.suppressedReason ? { suppressedReason: s.suppressedReason } : {}),
        ...(s.lowSample ? { lowSample: true as const } : {}),
        ...(shrink ? { shrunk: s.suppressed ? null : shrink(q.groupBy === 'unit' ? group : unit.id, period, t) } : {}),
        ...(delta ? { delta } : {}),
        ...(beforeScore
          ? {
              before: {
                nps: beforeScore.nps,
                n: beforeScore.n,
                ci: beforeScore.ci,
                suppressed: beforeScore.suppressed,
                ...(beforeScore.suppressedReason ? { suppressedReason: beforeScore.suppressedReason } : {}),
                ...(beforeScore.lowSample ? { lowSample: true as const } : {}),
              },
            }
          : {}),
        ...(dist && !s.suppressed ? { distribution: dist.get(group)?.get(period) ?? new Array<number>(11).fill(0) } : {}),
      });
    }
  }
  return { items, ...(page ? { nextCursor: page.next } : {}), ...(windows ? { around: windows.around } : {}) };
}

/** An agent score not for individual evaluation: its counts, no score, no interval. */
function notForEvaluation(
  s: ReturnType<typeof score>,
): Omit<ReturnType<typeof score>, 'suppressedReason'> & { suppressedReason?: ReturnType<typeof score>['suppressedReason'] | 'not_for_individual_evaluation' } {
  const { lowSample: _low, ...rest } = s;
  return { ...rest, nps: null, ci: null, suppressed: true, suppressedReason: 'not_for_individual_evaluation' };
}

/** The fields of a score item (GET /api/v1/scores) from a score, without the optional cuts. */
function plainItem(key: string, period: string | undefined, s: ReturnType<typeof score>) {
  return {
    key,
    ...(period !== undefined ? { period } : {}),
    nps: s.nps,
    n: s.n,
    promoters: s.promoters,
    passives: s.passives,
    detractors: s.detractors,
    ci: s.ci,
    suppressed: s.suppressed,
    ...(s.suppressedReason ? { suppressedReason: s.suppressedReason } : {}),
    ...(s.lowSample ? { lowSample: true as const } : {}),
  };
}

/**
 * A vendor's answers across the tenant (docs/dimensions.md "Vendor scorecards across sites"): the
 * answers whose event named the vendor, at every unit (the vendor dimension), plus the answers
 * filed under the vendor unit's own subtree that name no vendor (the answers from before the
 * dimension). The two sets are disjoint, so nothing counts twice: an answer filed under the vendor
 * unit that names this vendor is in the first set only, one that names another vendor counts for
 * that vendor. Unweighted; one item per period (or one item keyed `all` without a period). The
 * caller has checked that the actor reads this vendor's scores.
 */
export async function vendorServedScores(d: Pick<Deps, 't'>, vendor: Unit, range: { from: string; to: string; period?: 'month'; confidence?: number }) {
  const { t } = d;
  const [found, settings] = await Promise.all([getRoot(t), getSettings(t)]);
  const root = found!;
  const base = { from: range.from, to: range.to, period: range.period, weight: 'none' as const };
  const [served, filed] = await Promise.all([
    gather(t, { ...base, root: { id: root.id, path: root.path }, vendorId: vendor.id }),
    // Grouped by vendor: the group '' holds the answers that name no vendor.
    gather(t, { ...base, root: { id: vendor.id, path: vendor.path }, groupBy: 'vendor' }),
  ]);
  const byPeriod = new Map<string, Tally>();
  // The live tail keys an answer without a vendor by null, the day cells by ''.
  const noVendor = [...filed.entries()].filter(([group]) => !group).map(([, part]) => part);
  for (const part of [served.get(''), ...noVendor]) {
    for (const [period, cells] of part ?? []) {
      let sum = byPeriod.get(period) ?? emptyTally();
      for (const tally of cells.values()) sum = addTallies(sum, tally);
      byPeriod.set(period, sum);
    }
  }
  const opts = { confidence: range.confidence ?? 0.95, weighted: false, minN: settings.minResponses, reliableN: settings.reliabilityThreshold };
  if (!range.period) return [plainItem('all', undefined, score(byPeriod.get('') ?? emptyTally(), opts))];
  return [...byPeriod.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([period, tally]) => plainItem('all', period, score(tally, opts)));
}

/**
 * Agent-level scores of people (docs/dimensions.md "Agent views"): for each key, the answers of
 * every agent id given for it (a user's own id and the external ids mapped to it), at every unit of
 * the tenant over [from, to], unweighted, hidden below the larger of `minResponses` and
 * `agentMinResponses`. The caller has checked who may read them.
 */
export async function agentScores(d: Pick<Deps, 't'>, agents: Map<string, string[]>, range: { from: string; to: string }) {
  const { t } = d;
  const [found, settings] = await Promise.all([getRoot(t), getSettings(t)]);
  const root = found!;
  const ids = [...new Set([...agents.values()].flat())];
  const gathered = await Promise.all(ids.map((agentId) => gather(t, { root: { id: root.id, path: root.path }, from: range.from, to: range.to, weight: 'none', agentId })));
  const byId = new Map<string, Tally>();
  ids.forEach((id, k) => {
    let sum = emptyTally();
    for (const byPeriod of gathered[k]!.values()) for (const cells of byPeriod.values()) for (const tally of cells.values()) sum = addTallies(sum, tally);
    byId.set(id, sum);
  });
  const minimum = Math.max(settings.minResponses, settings.agentMinResponses);
  const opts = { confidence: 0.95, weighted: false, minN: minimum, reliableN: settings.reliabilityThreshold };
  const items = new Map<string, ReturnType<typeof plainItem>>();
  for (const [key, list] of agents)
    items.set(
      key,
      plainItem(
        'all',
        undefined,
        score(
          list.reduce((a, id) => addTallies(a, byId.get(id) ?? emptyTally()), emptyTally()),
          opts,
        ),
      ),
    );
  return { minimum, items };
}
