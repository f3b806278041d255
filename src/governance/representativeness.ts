import { and, eq, inArray, sql } from 'drizzle-orm';
import { audit } from '../audit/record';
import { can } from '../auth/policy';
import { requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { contacts, invitations, responses, touchpoints, units } from '../db/schema';
import { readRules, samplingRate } from '../events/eligibility';
import type { Deps } from '../lib/deps';
import { ApiError, notFound } from '../lib/errors';
import { reportUnit } from '../org/scope';
import { inSubtree } from '../org/units';
import { createdOnLocalDays } from '../responses/local-range';
import { contactKeySql, gather, poststratWeights, weighTally, type Cells } from '../scores/query';
import { score } from '../scoring/nps';
import { holm, twoProportions, wilson, type Interval } from '../scoring/proportion';
import { getSettings } from '../settings/settings';
import type { TouchpointRules } from '../touchpoints/rules';
import { periodDays } from './period';

/*
 * Representativeness of a unit's answers in a period (docs/governance.md): who was invited
 * against who answered, per group of seven dimensions; the groups that answer significantly
 * less than the rest; the weights post-stratification gives and the effective n they cost; and
 * the sampling rates per segment that would restore the balance on a touchpoint.
 */

export const DIMENSIONS = ['segment', 'tenure', 'contractSize', 'supportTier', 'region', 'channel', 'locale'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** A group is tested only with at least this many invitations, in it and in the rest (docs/governance.md "Minimum n"). */
export const MIN_INVITED = 30;
/** An invitation counts as invited once delivered: these states (scheduled, failed, dead and cancelled ones never reached anyone). */
export const DELIVERED = ['sent', 'answered', 'expired'] as const;
/** Group key of an absent value (no contact, no segment, no locale, no region above the unit). */
export const UNKNOWN = 'unknown';

export interface GroupCount {
  dimension: Dimension;
  key: string;
  invited: number;
  responded: number;
}

export interface AssessedGroup extends GroupCount {
  /** responded / invited. */
  rate: number;
  ci: Interval | null;
  invitedShare: number;
  respondentShare: number;
  /** Against the rest of the dimension: rate difference test, Holm-adjusted over every tested group; null when not tested. */
  test: { z: number; p: number; pAdjusted: number } | null;
  /** Why not tested: fewer than MIN_INVITED invitations in the group or in the rest. */
  untestedReason?: 'below_min_n';
  underRepresented: boolean;
}

/**
 * The statistics of each group against the rest of its dimension: its response rate with the
 * Wilson interval, the pooled two-proportion z test, Holm's adjustment over every group tested,
 * and under-represented when its rate is below the rest's with an adjusted p under 1 − confidence.
 * Pure: the simulated next wave of the tests runs the same function.
 */
export function assessGroups(groups: GroupCount[], totals: { invited: number; responded: number }, confidence = 0.95): AssessedGroup[] {
  const raw = groups.map((g) => {
    const restInvited = totals.invited - g.invited;
    const testable = g.invited >= MIN_INVITED && restInvited >= MIN_INVITED;
    return { g, test: testable ? twoProportions(g.responded, g.invited, totals.responded - g.responded, restInvited) : null };
  });
  const tested = raw.filter((r) => r.test !== null);
  const adjusted = holm(tested.map((r) => r.test!.p));
  const pAdjusted = new Map(tested.map((r, i) => [r, adjusted[i]!]));
  const alpha = 1 - confidence;
  return raw.map((r) => {
    const { g } = r;
    const test = r.test ? { z: r.test.z, p: r.test.p, pAdjusted: pAdjusted.get(r)! } : null;
    return {
      ...g,
      rate: g.invited ? g.responded / g.invited : 0,
      ci: wilson(g.responded, g.invited, confidence),
      invitedShare: totals.invited ? g.invited / totals.invited : 0,
      respondentShare: totals.responded ? g.responded / totals.responded : 0,
      test,
      ...(test ? {} : { untestedReason: 'below_min_n' as const }),
      underRepresented: !!test && test.z < 0 && test.pAdjusted < alpha,
    };
  });
}

export interface SegmentSample {
  segment: string;
  invited: number;
  responded: number;
  /** The sampling rate the touchpoint applies to the segment today. */
  currentRate: number;
}

export interface Suggestion {
  /** The touchpoint's sampling rule after the change: its other entries kept, the assessed segments set. */
  sampling: Record<string, number>;
  segments: { segment: string; currentRate: number; suggestedRate: number; responseRate: number; eligibleShare: number; expectedRespondentShare: number }[];
  /** Expected invitations of a wave under the suggested rates, over today's. */
  invitationsRatio: number;
}

/**
 * Sampling rates per segment that give every segment its share of the eligible population
 * among respondents: a segment's eligible count is estimated as invited / current rate; its
 * respondents are eligible × rate × response rate, so rates proportional to 1 / response rate
 * balance them. The slowest-answering segment keeps the highest rate in use; the others are
 * lowered in proportion. Segments below MIN_INVITED or without answers are left as they are.
 * Null with fewer than two segments to balance.
 */
export function suggestSampling(samples: SegmentSample[], rules: TouchpointRules): Suggestion | null {
  const usable = samples.filter((s) => s.invited >= MIN_INVITED && s.responded > 0 && s.currentRate > 0 && s.segment !== UNKNOWN);
  if (usable.length < 2) return null;
  const top = Math.max(...usable.map((s) => s.currentRate));
  const slowest = Math.min(...usable.map((s) => s.responded / s.invited));
  const rows = usable.map((s) => {
    const responseRate = s.responded / s.invited;
    const eligible = s.invited / s.currentRate;
    // Four decimals, rounded down: a rate is never raised past what balance asks.
    const suggestedRate = Math.floor(((top * slowest) / responseRate) * 10_000) / 10_000;
    return { segment: s.segment, currentRate: s.currentRate, suggestedRate, responseRate, eligible };
  });
  const eligibleTotal = rows.reduce((a, r) => a + r.eligible, 0);
  const expectedTotal = rows.reduce((a, r) => a + r.eligible * r.suggestedRate * r.responseRate, 0);
  const invitedNow = usable.reduce((a, s) => a + s.invited, 0);
  return {
    sampling: { ...(rules.sampling ?? {}), ...Object.fromEntries(rows.map((r) => [r.segment, r.suggestedRate])) },
    segments: rows.map((r) => ({
      segment: r.segment,
      currentRate: r.currentRate,
      suggestedRate: r.suggestedRate,
      responseRate: r.responseRate,
      eligibleShare: r.eligible / eligibleTotal,
      expectedRespondentShare: (r.eligible * r.suggestedRate * r.responseRate) / expectedTotal,
    })),
    invitationsRatio: rows.reduce((a, r) => a + r.eligible * r.suggestedRate, 0) / invitedNow,
  };
}

export interface RepresentativenessQuery {
  unitId?: string;
  period: string;
  touchpointId?: string;
  confidence: number;
}

/** The region of each unit: the nearest unit of kind `region` on its path (itself included). */
function regionOf(path: string, regions: Map<string, string>): string {
  const ids = path.split('/').filter(Boolean).reverse();
  return ids.find((id) => regions.has(id)) ?? UNKNOWN;
}

export async function representativeness(d: Deps, q: RepresentativenessQuery) {
  const { t, actor } = d;
  const [unit, settings] = await Promise.all([reportUnit(d, q.unitId), getSettings(t)]);
  if (!can(actor, 'invitation.read', unit.path)) throw new ApiError('FORBIDDEN', 'your role does not read invitations and response rates');
  const touchpoint = q.touchpointId ? await t.select().from(touchpoints).where(eq(touchpoints.id, q.touchpointId)).get() : undefined;
  if (q.touchpointId && !touchpoint) throw notFound('touchpoint');
  const { from, to } = periodDays(q.period);

  const inPeriod = await createdOnLocalDays(t, [unit.path], from, to, invitations.createdAt);
  const responded = sql<number>`sum(case when ${responses.score} is not null then 1 else 0 end)`;
  const [regionRows, rows] = await t.batch([
    t.select({ id: units.id, name: units.name }).from(units).where(eq(units.kind, 'region')),
    t
      .select({
        unitId: invitations.unitId,
        path: units.path,
        channel: invitations.channel,
        locale: sql<string>`coalesce(${invitations.locale}, ${UNKNOWN})`,
        segment: sql<string>`coalesce(${contacts.segment}, ${UNKNOWN})`,
        tenure: contactKeySql('tenure'),
        contractSize: contactKeySql('contractSize'),
        supportTier: contactKeySql('supportTier'),
        invited: sql<number>`count(*)`,
        responded,
      })
      .from(invitations)
      .innerJoin(units, eq(units.id, invitations.unitId))
      .leftJoin(contacts, eq(contacts.id, invitations.contactId))
      .leftJoin(responses, eq(responses.invitationId, invitations.id))
      .where(and(inSubtree(unit.path), inPeriod ?? sql`0`, inArray(invitations.status, [...DELIVERED]), touchpoint ? eq(invitations.touchpointId, touchpoint.id) : undefined))
      .groupBy(sql`1, 2, 3, 4, 5, 6, 7, 8`),
  ]);
  const regions = new Map(regionRows.map((r) => [r.id, r.name]));

  const counts = new Map<string, GroupCount>();
  const totals = { invited: 0, responded: 0 };
  for (const r of rows) {
    const invited = Number(r.invited);
    const answered = Number(r.responded ?? 0);
    totals.invited += invited;
    totals.responded += answered;
    const keys: Record<Dimension, string> = {
      segment: r.segment,
      tenure: r.tenure,
      contractSize: r.contractSize,
      supportTier: r.supportTier,
      region: regionOf(r.path, regions),
      channel: r.channel,
      locale: r.locale,
    };
    for (const dimension of DIMENSIONS) {
      const id = `${dimension}\u0000${keys[dimension]}`;
      const g = counts.get(id) ?? { dimension, key: keys[dimension], invited: 0, responded: 0 };
      g.invited += invited;
      g.responded += answered;
      counts.set(id, g);
    }
  }
  const ordered = [...counts.values()].sort((a, b) => DIMENSIONS.indexOf(a.dimension) - DIMENSIONS.indexOf(b.dimension) || a.key.localeCompare(b.key));
  const groups = assessGroups(ordered, totals, q.confidence).map((g) => (g.dimension === 'region' ? { ...g, label: g.key === UNKNOWN ? UNKNOWN : (regions.get(g.key) ?? g.key) } : g));

  // Post-stratification, as the scores API weighs (settings' shares; else the invited mix).
  const grouped = await gather(t, { root: { id: unit.id, path: unit.path }, from, to, weight: 'poststrat', ...(touchpoint ? { groupBy: 'touchpoint' as const } : {}) });
  const cells: Cells = grouped.get(touchpoint ? touchpoint.id : '')?.get('') ?? new Map();
  const invitedShares = Object.fromEntries(groups.filter((g) => g.dimension === 'segment' && g.invited > 0).map((g) => [g.key === UNKNOWN ? '' : g.key, g.invitedShare]));
  const shares = settings.populationShares ?? invitedShares;
  const weights = poststratWeights(cells, shares);
  const weightedScore = score(weighTally(cells, 'poststrat', shares), { weighted: true, minN: 0, confidence: q.confidence });
  const n = weightedScore.n;
  const effectiveN = weightedScore.effectiveN ?? 0;

  let suggestion: Suggestion | null = null;
  if (touchpoint) {
    const rules = readRules(touchpoint.id, touchpoint.rules);
    suggestion = suggestSampling(
      groups.filter((g) => g.dimension === 'segment').map((g) => ({ segment: g.key, invited: g.invited, responded: g.responded, currentRate: samplingRate(rules, g.key) })),
      rules,
    );
  }

  return {
    unitId: unit.id,
    period: q.period,
    from,
    to,
    touchpointId: touchpoint?.id ?? null,
    confidence: q.confidence,
    minInvited: MIN_INVITED,
    invited: totals.invited,
    responded: totals.responded,
    rate: totals.invited ? totals.responded / totals.invited : 0,
    ci: wilson(totals.responded, totals.invited, q.confidence),
    groups,
    underRepresented: groups.filter((g) => g.underRepresented).map((g) => ({ dimension: g.dimension, key: g.key })),
    poststratification: {
      shares: settings.populationShares ? ('settings' as const) : ('invited' as const),
      n,
      effectiveN,
      designEffect: effectiveN > 0 ? n / effectiveN : null,
      segments: [...cells.entries()]
        .map(([segment, c]) => ({ segment: segment || UNKNOWN, respondents: c.promoters + c.passives + c.detractors, share: shares[segment] ?? 0, weight: weights.get(segment) ?? 0 }))
        .sort((a, b) => a.segment.localeCompare(b.segment)),
    },
    suggestion,
  };
}

/**
 * Sets a touchpoint's sampling rates per segment (a suggestion of the review, or the admin's
 * own), audited with the reason and the rates before; the other rules are kept.
 */
export async function applySampling(d: Deps, touchpointId: string, body: { sampling: Record<string, number>; reason: string }) {
  await requireTenantWide(d, 'program.write', 'changing sampling rates');
  const { t } = d;
  const row = await t.select().from(touchpoints).where(eq(touchpoints.id, touchpointId)).get();
  if (!row) throw notFound('touchpoint');
  const rules = readRules(row.id, row.rules);
  const after = { ...rules, sampling: body.sampling };
  const now = Date.now();
  await commit(t, [
    t.update(touchpoints).set({ rules: after, updatedAt: now }).where(eq(touchpoints.id, row.id)),
    ...(await audit(d, {
      action: 'touchpoint.sampling',
      targetType: 'touchpoint',
      targetId: row.id,
      before: row,
      after: { ...row, rules: after, updatedAt: now },
      details: { reason: body.reason, sampling: body.sampling, previous: rules.sampling ?? null },
    })),
  ]);
  return { touchpointId: row.id, sampling: body.sampling, previous: rules.sampling ?? null };
}
