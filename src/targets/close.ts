import { and, eq, isNotNull, isNull } from 'drizzle-orm';
import { auditStatement } from '../audit/record';
import type { Actor } from '../auth/policy';
import { commit } from '../db/client';
import type { DatabaseRun } from '../db/plane';
import { targetAttainments, targets, units } from '../db/schema';
import { TenantDb } from '../db/tenant-db';
import { newId } from '../lib/ids';
import { measure } from './measure';
import { parsePeriod } from './periods';
import { dueTargets } from './due-targets';

const MAX_PER_RUN = 500;
const CONCURRENCY = 4;

/**
 * Daily: freezes the attainment of every target whose period closed (its last local day plus the
 * grace for late answers): the attainment over the whole period, as the API shows it, recorded
 * once with its audit row (actor `system`); the target's `closesAt` cleared in the same batch.
 * Later corrections change the live numbers only; the attainment API lists them beside the record.
 */
export async function closeDueTargets(run: DatabaseRun, now: number): Promise<void> {
  const due = await dueTargets(run.db, now, MAX_PER_RUN);
  const failures: unknown[] = [];
  const one = async ({ target, unit }: (typeof due)[number]) => {
    const t = new TenantDb(run.db, target.tenantId);
    const [root] = await t.select().from(units).where(isNull(units.parentId));
    // The sweep reads as an admin of the whole tenant would; what it writes is audited as the system.
    const actor: Actor = { type: 'user', id: 'system', tenantId: target.tenantId, grants: [{ unitId: root!.id, unitPath: root!.path, role: 'admin' }] };
    const period = parsePeriod(target.period)!;
    const measured = await measure({ t, actor }, unit, target, { from: period.from, to: period.to });
    const record = { ...measured, period: period.key, basis: target.basis, bands: { threshold: target.threshold, target: target.target, stretch: target.stretch } };
    const id = newId('tat');
    await commit(t, [
      t.insert(targetAttainments).values({ id, targetId: target.id, unitId: unit.id, period: period.key, closedAt: now, record, createdAt: now }).onConflictDoNothing(),
      t
        .update(targets)
        .set({ closesAt: null, updatedAt: now })
        .where(and(eq(targets.id, target.id), isNotNull(targets.closesAt))),
      ...(await auditStatement(t, {
        actor: { type: 'system', id: null },
        action: 'target.close',
        targetType: 'target',
        targetId: target.id,
        after: record,
        details: { attainmentId: id, period: period.key },
      })),
    ]);
  };
  for (let i = 0; i < due.length; i += CONCURRENCY) {
    const results = await Promise.allSettled(due.slice(i, i + CONCURRENCY).map(one));
    for (const r of results) if (r.status === 'rejected') failures.push(r.reason);
  }
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} target periods failed to close`);
}
