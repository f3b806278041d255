import { and, asc, eq, gte, inArray, lte, or, type SQL } from 'drizzle-orm';
import { audit } from '../audit/record';
import { can, reach } from '../auth/policy';
import { commit } from '../db/client';
import { type ANNOTATION_KINDS, annotations, units } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Deps } from '../lib/deps';
import { forbidden, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { inSubtree } from '../org/units';
import { reportUnit } from '../org/scope';

/*
 * Annotations (docs/targets.md): what happened to a unit on a local day, a release, an outage, a
 * process change, a merger. Written by admins and managers of the unit, read by everyone who
 * reads its scores; drawn on trends, compared before and after by the scores API (`around=`), and
 * the start of a rebaseline of targets (a process change).
 */

export type AnnotationKind = (typeof ANNOTATION_KINDS)[number];
type Row = typeof annotations.$inferSelect;

export interface NewAnnotation {
  unitId: string;
  date: string;
  kind: AnnotationKind;
  title: string;
  appliesToSubtree?: boolean;
}

const present = (a: Row, unitName: string, inherited = false) => ({
  id: a.id,
  unitId: a.unitId,
  unitName,
  date: a.day,
  kind: a.kind,
  title: a.title,
  appliesToSubtree: a.appliesToSubtree,
  /** True when it is on an ancestor of the unit asked for and applies to its subtree. */
  inherited,
  createdBy: a.createdBy,
  createdAt: new Date(a.createdAt).toISOString(),
});
export type Annotation = ReturnType<typeof present>;

/** The ids of a unit's ancestors, from its materialised path (the unit itself excluded). */
const ancestorIds = (path: string) => path.split('/').filter(Boolean).slice(0, -1);

/** An annotation on a unit the caller writes annotations on; audited. */
export async function createAnnotation(d: Deps, body: NewAnnotation) {
  const { t, actor } = d;
  const [unit] = await t.select().from(units).where(eq(units.id, body.unitId));
  if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
  if (!can(actor, 'annotation.write', unit.path)) throw forbidden('annotations need the manager or admin role on the unit or above it');
  const row: Row = {
    id: newId('ann'),
    tenantId: actor.tenantId,
    unitId: unit.id,
    day: body.date,
    kind: body.kind,
    title: body.title,
    appliesToSubtree: body.appliesToSubtree ?? false,
    createdBy: actor.id,
    createdAt: Date.now(),
  };
  const { tenantId: _tenant, ...values } = row;
  await commit(t, [t.insert(annotations).values(values), ...(await audit(d, { action: 'annotation.create', targetType: 'annotation', targetId: row.id, after: row }))]);
  return present(row, unit.name);
}

/**
 * The annotations of a unit's trend: those on the unit and below it, and those on its ancestors
 * that apply to their subtree, by date (then creation). `from`/`to` bound the dates.
 */
export async function annotationsOf(t: TenantDb, unit: { id: string; path: string }, range: { from?: string; to?: string } = {}): Promise<Annotation[]> {
  const ancestors = ancestorIds(unit.path);
  const applies: SQL[] = [inSubtree(unit.path)];
  if (ancestors.length) applies.push(and(inArray(units.id, ancestors), eq(annotations.appliesToSubtree, true))!);
  const rows = await t
    .select({ a: annotations, unitName: units.name, unitPath: units.path })
    .from(annotations)
    .innerJoin(units, eq(units.id, annotations.unitId))
    .where(and(or(...applies), range.from ? gte(annotations.day, range.from) : undefined, range.to ? lte(annotations.day, range.to) : undefined))
    .orderBy(asc(annotations.day), asc(annotations.createdAt))
    .limit(1000);
  return rows.map((r) => present(r.a, r.unitName, r.unitPath.length < unit.path.length));
}

/** The annotations of a unit in the caller's reach (score readers), for a range of days. */
export async function listAnnotations(d: Deps, q: { unitId?: string; from?: string; to?: string }) {
  const unit = await reportUnit(d, q.unitId);
  if (!can(d.actor, 'score.read', unit.path)) throw forbidden('annotations are read with the scores: your role does not read scores');
  return annotationsOf(d.t, unit, q);
}

/**
 * One annotation the caller may see: on a unit in its read reach, or on an ancestor of one and
 * applying to its subtree. Anything else (another tenant's too) is 404.
 */
export async function visibleAnnotation({ t, actor }: Pick<Deps, 't' | 'actor'>, id: string): Promise<Annotation & { unitPath: string }> {
  const [row] = await t.select({ a: annotations, unitName: units.name, unitPath: units.path }).from(annotations).innerJoin(units, eq(units.id, annotations.unitId)).where(eq(annotations.id, id));
  const seen = row && (can(actor, 'unit.read', row.unitPath) || (row.a.appliesToSubtree && reach(actor, 'unit.read').some((p) => p.startsWith(row.unitPath))));
  if (!row || !seen) throw notFound('annotation');
  return { ...present(row.a, row.unitName), unitPath: row.unitPath };
}
