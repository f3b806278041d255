import { and, eq, isNotNull } from 'drizzle-orm';
import { auditStatement } from '../audit/record';
import { commit } from '../db/client';
import { caseEvents, cases, units } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import { newId } from '../lib/ids';
import { getSettings } from '../settings/settings';
import { loadChain, routeOwner } from './routing';

/**
 * A comment that comes after its score (the survey page's second step) may name a theme a routing
 * rule sends elsewhere (docs/cases.md "Routing"): while the case is open and its owner has not
 * been told yet (waiting for the comment), the first matching theme rule's owner takes it, with a
 * `rerouted` event and an audit row in one batch. The owner is then told by the due-notification
 * sweep as before. Attribute rules were applied at opening and are not re-run.
 */
export async function rerouteByTheme(t: TenantDb, responseId: string, themes: readonly string[], now = Date.now()): Promise<boolean> {
  if (!themes.length) return false;
  const settings = await getSettings(t);
  const rules = (settings.routingRules ?? []).filter((r) => 'theme' in r);
  if (!rules.length) return false;
  const [row] = await t.select({ c: cases, unitPath: units.path }).from(cases).innerJoin(units, eq(units.id, cases.unitId)).where(eq(cases.responseId, responseId));
  if (row?.c.status !== 'open' || row.c.notifyDueAt === null) return false;
  const { owner, reason } = await routeOwner(t, await loadChain(t, row.unitPath), null, rules, themes);
  if (!owner || !reason.startsWith('rule:theme:') || owner.id === row.c.ownerUserId) return false;
  const c = row.c;
  await commit(t, [
    // Guarded: only while the owner is still to be told.
    t
      .update(cases)
      .set({ ownerUserId: owner.id, updatedAt: now })
      .where(and(eq(cases.id, c.id), isNotNull(cases.notifyDueAt))),
    t.insert(caseEvents).values({
      id: newId('cev'),
      caseId: c.id,
      type: 'rerouted',
      actorType: 'system',
      actorId: null,
      fromStatus: c.status,
      toStatus: c.status,
      details: { fromUserId: c.ownerUserId, toUserId: owner.id, routing: reason },
      createdAt: now,
    }),
    ...(await auditStatement(t, {
      actor: { type: 'system', id: null },
      action: 'case.reroute',
      targetType: 'case',
      targetId: c.id,
      before: c,
      after: { ...c, ownerUserId: owner.id, updatedAt: now },
      details: { routing: reason },
    })),
  ]);
  return true;
}
