import { and, asc, eq, isNotNull } from 'drizzle-orm';
import { visibleAnnotation } from '../annotations/annotations';
import { audit } from '../audit/record';
import { can } from '../auth/policy';
import { commit } from '../db/client';
import { type TARGET_BASES, targets, units } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Deps } from '../lib/deps';
import { ApiError, conflict, forbidden, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { inSubtree, type Unit } from '../org/units';
import { dayStart } from '../responses/local-range';
import { localDay } from '../scores/local-day';
import { weighTally } from '../scores/query';
import { scoreReport, vendorServedScores } from '../scores/report';
import { difference, emptyTally } from '../scoring/nps';
import { parsePeriod } from './periods';

/*
 * Targets per unit and period with performance bands (docs/targets.md): set by admins of the unit,
 * frozen once their period closes, moved by a rebaseline after a process change. Every change
 * audited.
 */

type Basis = (typeof TARGET_BASES)[number];
export type TargetRow = typeof targets.$inferSelect;

/** Late answers still arrive after a period's last day: it closes this many days later. */
export const CLOSE_GRACE_DAYS = 7;

const DAY_MS = 86_400_000;
const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** When a period closes for a unit: the start of the local day CLOSE_GRACE_DAYS + 1 after its last day. */
export const closingTime = (periodTo: string, timezone: string) => dayStart(addDays(periodTo, CLOSE_GRACE_DAYS + 1), timezone);

export function presentTarget(row: TargetRow, unitName: string) {
  const period = parsePeriod(row.period)!;
  return {
    id: row.id,
    unitId: row.unitId,
    unitName,
    period: row.period,
    from: period.from,
    to: period.to,
    basis: row.basis,
    threshold: row.threshold,
    target: row.target,
    stretch: row.stretch,
    baseline: row.baseline,
    rebaselinedFrom: row.rebaselinedFrom,
    rebaselineReason: row.rebaselineReason,
    closed: row.closesAt === null,
    closesAt: iso(row.closesAt),
    updatedAt: iso(row.updatedAt)!,
  };
}

/** A unit the caller reads (else 404) and, for `write`, sets targets on (else 403). */
async function targetUnit({ t, actor }: Pick<Deps, 't' | 'actor'>, unitId: string, write: boolean): Promise<Unit> {
  const [unit] = await t.select().from(units).where(eq(units.id, unitId));
  if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
  if (write && !can(actor, 'target.write', unit.path)) throw forbidden('targets are set by admins of the unit or above it');
  if (!write && !can(actor, 'score.read', unit.path)) throw forbidden('your role does not read scores');
  return unit;
}

export interface TargetInput {
  period: string;
  threshold: number;
  target: number;
  stretch: number;
  basis: Basis;
}

/**
 * Sets (creates or replaces) a unit's target for a period. A closed period's target is frozen
 * (409); a composite target is for vendor units only (422). Audited with before and after.
 */
export async function setTarget(d: Deps, unitId: string, body: TargetInput) {
  const { t, actor } = d;
  const unit = await targetUnit(d, unitId, true);
  if (body.basis === 'composite' && unit.kind !== 'vendor') {
    throw new ApiError('UNPROCESSABLE', 'a composite target is for vendor units only (the composite index is a vendor scorecard)', [{ path: 'body.basis', message: 'composite needs a vendor unit' }]);
  }
  const period = parsePeriod(body.period)!;
  const [existing] = await t
    .select()
    .from(targets)
    .where(and(eq(targets.unitId, unit.id), eq(targets.period, period.key)));
  if (existing && existing.closesAt === null) throw conflict(`the period ${period.key} is closed: its attainment is frozen and its target no longer changes`);
  const now = Date.now();
  const closesAt = closingTime(period.to, unit.timezone);
  const row: TargetRow = existing
    ? { ...existing, basis: body.basis, threshold: body.threshold, target: body.target, stretch: body.stretch, closesAt, updatedAt: now }
    : {
        id: newId('tgt'),
        tenantId: actor.tenantId,
        unitId: unit.id,
        period: period.key,
        basis: body.basis,
        threshold: body.threshold,
        target: body.target,
        stretch: body.stretch,
        baseline: null,
        rebaselinedFrom: null,
        rebaselineReason: null,
        closesAt,
        createdAt: now,
        updatedAt: now,
      };
  const { tenantId: _tenant, ...values } = row;
  await commit(t, [
    existing
      ? t
          .update(targets)
          .set({ basis: row.basis, threshold: row.threshold, target: row.target, stretch: row.stretch, closesAt, updatedAt: now })
          .where(and(eq(targets.id, existing.id), isNotNull(targets.closesAt)))
      : t.insert(targets).values(values),
    ...(await audit(d, { action: 'target.set', targetType: 'target', targetId: row.id, before: existing, after: row, details: { unitId: unit.id, period: period.key } })),
  ]);
  return presentTarget(row, unit.name);
}

/** A unit's targets, by period. */
export async function listTargets(d: Deps, unitId: string) {
  const unit = await targetUnit(d, unitId, false);
  const rows = await d.t.select().from(targets).where(eq(targets.unitId, unit.id)).orderBy(asc(targets.period));
  return rows.map((r) => presentTarget(r, unit.name));
}

export interface RebaselineInput {
  annotationId: string;
  reason: string;
  graceWeeks?: number;
  weeks?: number;
}

/**
 * A unit's NPS before and after a change, and the difference with its significance. A vendor's
 * are the answers it served at every site, as its scorecard and its targets count them
 * (`vendorServedScores`, docs/dimensions.md); any other unit's, its subtree's.
 */
async function windowScores(d: Deps, unit: Unit, before: { from: string; to: string }, after: { from: string; to: string }) {
  if (unit.kind !== 'vendor') {
    const query = { unitId: unit.id, weight: 'none' as const, confidence: 0.95 };
    const [[was], [now]] = await Promise.all([scoreReport(d, { ...query, ...before }), scoreReport(d, { ...query, ...after, compare: `${before.from}..${before.to}` })]);
    return { was, now, change: now!.delta ?? null };
  }
  const [[was], [now]] = await Promise.all([vendorServedScores(d, unit, before), vendorServedScores(d, unit, after)]);
  const counts = (i: NonNullable<typeof was>) => weighTally(new Map([['', { ...emptyTally(), promoters: i.promoters, passives: i.passives, detractors: i.detractors }]]), 'none');
  const diff = was!.suppressed || now!.suppressed ? null : difference(counts(now!), counts(was!));
  return { was, now, change: diff ? { points: diff.points, p: diff.p } : null };
}

/**
 * Rebaselines a unit's open NPS targets after a process change: the new baseline is the unit's
 * NPS over `weeks` weeks after a grace of `graceWeeks` weeks from the annotated day, the old one
 * the stored baseline or else the NPS of the `weeks` weeks before the day; every open target whose
 * period ends on or after the day moves its three bands by the difference. Audited per target
 * with the reason.
 */
export async function rebaseline(d: Deps, unitId: string, body: RebaselineInput) {
  const { t } = d;
  const unit = await targetUnit(d, unitId, true);
  const note = await visibleAnnotation(d, body.annotationId);
  if (note.unitId !== unit.id && !(note.appliesToSubtree && unit.path.startsWith(note.unitPath))) {
    throw new ApiError('UNPROCESSABLE', 'the annotation is not about this unit (neither on it nor on an ancestor applying to its subtree)', [{ path: 'body.annotationId', message: 'another unit' }]);
  }
  if (note.kind !== 'process_change') throw new ApiError('UNPROCESSABLE', 'targets are rebaselined after a process change only', [{ path: 'body.annotationId', message: `a ${note.kind}` }]);
  const grace = body.graceWeeks ?? 2;
  const weeks = body.weeks ?? 8;
  const before = { from: addDays(note.date, -7 * weeks), to: addDays(note.date, -1) };
  const after = { from: addDays(note.date, 7 * grace), to: addDays(note.date, 7 * (grace + weeks) - 1) };
  const today = localDay(Date.now(), unit.timezone);
  if (after.to >= today) {
    throw new ApiError('UNPROCESSABLE', `the weeks after the grace period end on ${after.to}: rebaseline once they have passed`, [{ path: 'body.weeks', message: `the window ends ${after.to}` }]);
  }
  const { was, now, change } = await windowScores(d, unit, before, after);
  if (was!.suppressed || now!.suppressed) {
    throw new ApiError('UNPROCESSABLE', 'too few answers before or after the change to rebaseline on', [
      { path: 'body.weeks', message: `before: ${was!.n} answers, after: ${now!.n} answers (the anonymity threshold applies)` },
    ]);
  }
  const open = (
    await t
      .select()
      .from(targets)
      .where(and(eq(targets.unitId, unit.id), eq(targets.basis, 'nps'), isNotNull(targets.closesAt)))
  ).filter((r) => parsePeriod(r.period)!.to >= note.date);
  if (open.length === 0)
    throw new ApiError('UNPROCESSABLE', 'the unit has no open NPS target whose period ends on or after the change', [{ path: 'body.annotationId', message: 'nothing to rebaseline' }]);
  const stamp = Date.now();
  const clamp = (x: number) => Math.min(100, Math.max(-100, x));
  const changed = open.map((r) => {
    const shift = now!.nps! - (r.baseline ?? was!.nps!);
    return {
      before: r,
      shift,
      after: {
        ...r,
        threshold: clamp(r.threshold + shift),
        target: clamp(r.target + shift),
        stretch: clamp(r.stretch + shift),
        baseline: now!.nps!,
        rebaselinedFrom: note.id,
        rebaselineReason: body.reason,
        updatedAt: stamp,
      },
    };
  });
  await commit(t, [
    ...changed.map(({ after: r }) =>
      t
        .update(targets)
        .set({ threshold: r.threshold, target: r.target, stretch: r.stretch, baseline: r.baseline, rebaselinedFrom: r.rebaselinedFrom, rebaselineReason: r.rebaselineReason, updatedAt: stamp })
        .where(and(eq(targets.id, r.id), isNotNull(targets.closesAt))),
    ),
    ...(
      await Promise.all(
        changed.map(({ before: b, after: a, shift }) =>
          audit(d, { action: 'target.rebaseline', targetType: 'target', targetId: a.id, before: b, after: a, details: { annotationId: note.id, reason: body.reason, shift, baseline: a.baseline } }),
        ),
      )
    ).flat(),
  ]);
  const window = (w: { from: string; to: string }, s: typeof was) => ({ ...w, nps: s!.nps!, ci: s!.ci!, n: s!.n });
  return {
    annotation: { id: note.id, date: note.date, kind: note.kind, title: note.title },
    before: window(before, was),
    after: window(after, now),
    change,
    targets: changed.map(({ after: a, shift }) => ({ ...presentTarget(a, unit.name), shift })),
  };
}

/** Targets of one period on the units of a subtree, in path order, with their units. */
export function targetsInSubtree(t: TenantDb, path: string, period: string) {
  return t
    .select({ target: targets, unit: units })
    .from(units)
    .innerJoin(targets, and(eq(targets.unitId, units.id), eq(targets.period, period)))
    .where(inSubtree(path))
    .orderBy(asc(units.path))
    .limit(500);
}
