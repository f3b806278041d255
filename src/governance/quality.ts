import { and, eq, exists, ne, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { can } from '../auth/policy';
import { cases, events, invitations, responses, units } from '../db/schema';
import { SKIP_REASONS } from '../events/eligibility';
import type { Deps } from '../lib/deps';
import { ApiError } from '../lib/errors';
import { reportUnit } from '../org/scope';
import { inSubtree } from '../org/units';
import { createdOnLocalDays } from '../responses/local-range';
import { QUALITY_FLAGS } from '../responses/quality';
import { twoProportions } from '../scoring/proportion';
import { getSettings } from '../settings/settings';
import { periodDays } from './period';

/*
 * Data quality and fatigue per period (docs/governance.md): what the quality rules flagged and
 * admins excluded or included, what the delivery rules skipped, bounces and dead deliveries,
 * contacts invited again within the fatigue window, late and dropped recovery follow-ups; each
 * as a series over the last periods with the change of its rate against the period before.
 */

const DAY_MS = 86_400_000;

/** The `n` periods of the same kind ending with `period` (oldest first). */
export function periodsEnding(period: string, n: number): string[] {
  const year = Number(period.slice(0, 4));
  const quarter = period[5] === 'Q';
  const index = quarter ? year * 4 + Number(period[6]) - 1 : year * 12 + Number(period.slice(5, 7)) - 1;
  return Array.from({ length: n }, (_, k) => {
    const i = index - (n - 1 - k);
    return quarter ? `${Math.floor(i / 4)}-Q${(i % 4) + 1}` : `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
  });
}

/** What a metric counts and the base its rate is taken over. */
export const BASES = ['answers', 'decisions', 'invitations', 'cases'] as const;
export type Base = (typeof BASES)[number];

export interface MetricDef {
  key: string;
  base: Base;
  label: string;
}

export const METRICS: MetricDef[] = [
  ...QUALITY_FLAGS.map((f) => ({ key: `flagged.${f}`, base: 'answers' as const, label: `Answers flagged ${f.replace('_', ' ')}` })),
  { key: 'excludedByRule', base: 'answers', label: 'Flagged answers left out of the scores' },
  { key: 'includedByAdmin', base: 'answers', label: 'Flagged answers an admin included' },
  { key: 'excludedByAdmin', base: 'answers', label: 'Unflagged answers an admin excluded' },
  ...SKIP_REASONS.map((r) => ({ key: `skipped.${r}`, base: 'decisions' as const, label: `Invitations skipped: ${r.replaceAll('_', ' ')}` })),
  { key: 'bounced', base: 'invitations', label: 'Bounced (failed for good on the first refusal)' },
  { key: 'dead', base: 'invitations', label: 'Dead (every retry failed)' },
  { key: 'overSurveyed', base: 'invitations', label: 'Invited again within the fatigue window' },
  { key: 'firstContactLate', base: 'cases', label: 'Recovery cases contacted late (or not yet, past due)' },
  { key: 'dropped', base: 'cases', label: 'Recovery cases closed without contact' },
];

export interface Point {
  period: string;
  count: number;
  base: number;
  rate: number | null;
}

export interface Trend {
  /** Change of the rate, last period against the one before, in percentage points. */
  points: number;
  z: number;
  p: number;
  /** `up` or `down` when the change is significant at 1 − confidence, else `flat`. */
  direction: 'up' | 'down' | 'flat';
}

/** The change of a metric's rate between the last two periods: the pooled two-proportion z test. */
export function trendOf(series: Point[], confidence: number): Trend | null {
  const last = series.at(-1);
  const before = series.at(-2);
  if (!last || !before) return null;
  const test = twoProportions(last.count, last.base, before.count, before.base);
  if (!test) return null;
  const points = 100 * (last.count / last.base - before.count / before.base);
  const significant = test.p < 1 - confidence;
  return { points, z: test.z, p: test.p, direction: !significant || points === 0 ? 'flat' : points > 0 ? 'up' : 'down' };
}

export interface QualityQuery {
  unitId?: string;
  period: string;
  periods: number;
  confidence: number;
}

const count = (cond: SQL) => sql<number>`coalesce(sum(case when ${cond} then 1 else 0 end), 0)`;
const flagged = (flag: string) => sql`instr(${responses.qualityFlags}, ${`"${flag}"`}) > 0`;
const anyFlag = sql`${responses.qualityFlags} <> '[]'`;

export async function dataQuality(d: Deps, q: QualityQuery) {
  const { t, actor } = d;
  const [unit, settings] = await Promise.all([reportUnit(d, q.unitId), getSettings(t)]);
  // Invitations, decisions and answers of the subtree: the invitation readers (admin, analyst, managers).
  if (!can(actor, 'invitation.read', unit.path)) throw new ApiError('FORBIDDEN', 'your role does not read invitations and data quality');
  const periods = periodsEnding(q.period, q.periods);
  const fatigueMs = settings.fatigueDays * DAY_MS;
  const earlier = alias(invitations, 'earlier');
  const now = Date.now();

  const statements = [];
  for (const period of periods) {
    const { from, to } = periodDays(period);
    const [answersIn, decisionsIn, invitationsIn, casesIn] = await Promise.all([
      createdOnLocalDays(t, [unit.path], from, to, responses.createdAt),
      createdOnLocalDays(t, [unit.path], from, to, events.createdAt),
      createdOnLocalDays(t, [unit.path], from, to, invitations.createdAt),
      createdOnLocalDays(t, [unit.path], from, to, cases.createdAt),
    ]);
    const none = sql`0`;
    statements.push(
      t
        .select({
          base: sql<number>`count(*)`,
          ...Object.fromEntries(QUALITY_FLAGS.map((f) => [`flagged.${f}`, count(flagged(f))])),
          excludedByRule: count(sql`${anyFlag} and ${responses.counted} = 0`),
          includedByAdmin: count(sql`${anyFlag} and ${responses.counted} = 1`),
          excludedByAdmin: count(sql`${responses.qualityFlags} = '[]' and ${responses.counted} = 0`),
        })
        .from(responses)
        .innerJoin(units, eq(units.id, responses.unitId))
        .where(and(inSubtree(unit.path), answersIn ?? none)),
      t
        .select({ base: sql<number>`count(*)`, ...Object.fromEntries(SKIP_REASONS.map((r) => [`skipped.${r}`, count(sql`${events.reason} = ${r}`)])) })
        .from(events)
        .innerJoin(units, eq(units.id, events.unitId))
        .where(and(inSubtree(unit.path), decisionsIn ?? none, ne(events.reason, 'no_touchpoint'))),
      t
        .select({
          base: sql<number>`count(*)`,
          bounced: count(sql`${invitations.status} = 'failed'`),
          dead: count(sql`${invitations.status} = 'dead'`),
          // Another invitation of the same contact (not cancelled) created within the fatigue window before it.
          overSurveyed:
            fatigueMs > 0
              ? count(
                  sql`${invitations.contactId} is not null and ${exists(
                    t
                      .select({ one: sql`1` })
                      .from(earlier)
                      .where(
                        and(
                          eq(earlier.contactId, invitations.contactId),
                          sql`${earlier.createdAt} >= ${invitations.createdAt} - ${fatigueMs}`,
                          sql`${earlier.createdAt} < ${invitations.createdAt}`,
                          ne(earlier.status, 'cancelled'),
                        ),
                      ),
                  )}`,
                )
              : sql<number>`0`,
        })
        .from(invitations)
        .innerJoin(units, eq(units.id, invitations.unitId))
        .where(and(inSubtree(unit.path), invitationsIn ?? none, ne(invitations.status, 'cancelled'))),
      t
        .select({
          base: sql<number>`count(*)`,
          firstContactLate: count(
            sql`${cases.firstContactDueAt} is not null and ((${cases.firstContactAt} is not null and ${cases.firstContactAt} > ${cases.firstContactDueAt}) or (${cases.firstContactAt} is null and ${cases.firstContactDueAt} < ${now}))`,
          ),
          dropped: count(sql`${cases.status} = 'closed' and ${cases.firstContactAt} is null and ${cases.resolvedAt} is null`),
        })
        .from(cases)
        .innerJoin(units, eq(units.id, cases.unitId))
        .where(and(inSubtree(unit.path), casesIn ?? none)),
    );
  }
  const results = (await t.batch(statements as never)) as unknown as Record<string, number>[][];
  const byBase = (i: number, base: Base) => results[i * BASES.length + BASES.indexOf(base)]![0]!;
  const metrics = METRICS.map((m) => {
    const series: Point[] = periods.map((period, i) => {
      const row = byBase(i, m.base);
      const base = Number(row.base);
      const n = Number(row[m.key] ?? 0);
      return { period, count: n, base, rate: base ? n / base : null };
    });
    return { ...m, series, trend: trendOf(series, q.confidence) };
  });
  return { unitId: unit.id, period: q.period, periods, confidence: q.confidence, fatigueDays: settings.fatigueDays, metrics };
}
