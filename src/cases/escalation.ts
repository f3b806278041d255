import { and, eq } from 'drizzle-orm';
import { auditStatement } from '../audit/record';
import { commit } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import type { DatabaseRun } from '../db/plane';
import { caseEvents, cases, jobSteps } from '../db/schema';
import { TenantDb } from '../db/tenant-db';
import { loadConfig, type Config } from '../env';
import { newId } from '../lib/ids';
import { SettingsSchema } from '../settings/settings';
import { webhookEvent } from '../webhooks/emit';
import { caseLink, caseMessage, notifyOwner } from './notify';
import { hasNot, lateCases, unnoticed, type Breach, type LateCase } from './due-cases';
import { loadChain, nextEscalation, type Chain, type Person } from './routing';

/** The breach of a case at `now`, the first-contact one first; null when it is on time or escalated for every breach already. */
export function breachOf(c: { status: string; firstContactAt: number | null; firstContactDueAt: number | null; resolutionDueAt: number | null; escalated: string[] }, now: number): Breach | null {
  if (c.status !== 'open' && c.status !== 'contacted') return null;
  if (c.status === 'open' && c.firstContactAt === null && c.firstContactDueAt !== null && c.firstContactDueAt <= now && !c.escalated.includes('first_contact')) return 'first_contact';
  if (c.resolutionDueAt !== null && c.resolutionDueAt <= now && !c.escalated.includes('resolution')) return 'resolution';
  return null;
}

/**
 * Escalates one late case for one breach: the next person up (`nextEscalation`) becomes the
 * owner, the level rises, the breach is marked (so it escalates once), with a case event, an
 * audit row and `case.escalated`, in one batch with the job step `case.escalated:<id>:<breach>:<level>`
 * (a concurrent tick's batch fails on its unique key). Then the new owner is notified.
 */
async function escalate(t: TenantDb, config: Config, late: LateCase, breach: Breach, now: number) {
  const c = late.c;
  const chain = await loadChain(t, late.unitPath);
  const next = nextEscalation(chain, c.ownerUserId);
  const ownerUserId = next?.id ?? c.ownerUserId;
  const escalated = [...c.escalated, breach];
  const level = c.escalationLevel + 1;
  const dueAt = breach === 'first_contact' ? c.firstContactDueAt : c.resolutionDueAt;
  try {
    await commit(t, [
      // The step's unique key makes a concurrent tick's batch fail whole: one escalation per breach.
      t.insert(jobSteps).values({ key: `case.escalated:${c.id}:${breach}:${level}`, result: { level, toUserId: ownerUserId }, createdAt: now }),
      t
        .update(cases)
        .set({ ownerUserId, escalationLevel: level, escalated, updatedAt: now })
        .where(and(eq(cases.id, c.id), hasNot(breach))),
      t.insert(caseEvents).values({
        id: newId('cev'),
        caseId: c.id,
        type: 'escalated',
        actorType: 'system',
        actorId: null,
        fromStatus: c.status,
        toStatus: c.status,
        details: { breach, dueAt, level, fromUserId: c.ownerUserId, toUserId: ownerUserId },
        createdAt: now,
      }),
      ...(await auditStatement(t, {
        actor: { type: 'system', id: null },
        action: 'case.escalate',
        targetType: 'case',
        targetId: c.id,
        before: c,
        after: { ...c, ownerUserId, escalationLevel: level, escalated, updatedAt: now },
        details: { breach, level, toUserId: ownerUserId },
      })),
      webhookEvent(
        t,
        'case.escalated',
        { id: c.id, breach, level, ownerUserId, previousOwnerUserId: c.ownerUserId, unitId: c.unitId, dueAt: dueAt === null ? null : new Date(dueAt).toISOString() },
        now,
      ),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
  const notice = next ?? ownerIn(chain, c.ownerUserId);
  if (notice) await notifyEscalation(t, config, late, notice, breach, level, now);
  return true;
}

/** Tells the new owner of an escalated case; a failure for now is logged and retried by the next ticks (`unnoticed`). */
async function notifyEscalation(t: TenantDb, config: Config, late: LateCase, owner: Person, breach: Breach, level: number, now: number) {
  const c = late.c;
  const settings = SettingsSchema.parse(late.settings ?? {});
  const dueAt = breach === 'first_contact' ? c.firstContactDueAt : c.resolutionDueAt;
  const message = caseMessage({
    heading: breach === 'first_contact' ? 'Escalated: no first contact in time' : 'Escalated: not resolved in time',
    caseId: c.id,
    score: c.score,
    account: c.kind === 'at_risk' && late.account?.name ? { name: late.account.name, probability: late.account.probability ?? 0, reasons: late.account.reasons ?? [] } : null,
    comment: late.comment,
    unitName: late.unitName,
    timeZone: late.unitTimezone,
    contact: late.contact?.externalId ? { ...late.contact, name: late.contact.attributes?.name } : null,
    link: caseLink(config, c.id),
    dueAt,
  });
  await notifyOwner(t, config, settings, { caseId: c.id, owner, message, keyBase: `case.escalated:${c.id}:${breach}:${level}`, kind: `escalated:${breach}`, now }).catch((err: Error) => {
    console.error(JSON.stringify({ level: 'error', job: 'escalateLateCases', caseId: c.id, message: String(err) }));
  });
}

/** The person a case is owned by now, from its chain (a manager, vendor, admin or the contract's owner). */
function ownerIn(chain: Chain, userId: string | null): Person | null {
  if (!userId) return null;
  return chain.granted.find((g) => g.user.id === userId)?.user ?? (chain.contract?.owner?.id === userId ? chain.contract.owner : null);
}

/**
 * Every five minutes: each case past a target escalates, once per breach. Bounded per tick;
 * one case failing does not stop the others (the tick fails at the end so monitoring sees it).
 */
export async function escalateLateCases({ env, db }: DatabaseRun, scheduledTime: number): Promise<number> {
  const config = loadConfig(env);
  const late = await lateCases(db, scheduledTime);
  let escalatedCount = 0;
  const failures: unknown[] = [];
  for (const row of late) {
    const breach = breachOf(row.c, scheduledTime);
    if (!breach) continue;
    try {
      if (await escalate(new TenantDb(db, row.c.tenantId), config, row, breach, scheduledTime)) escalatedCount++;
    } catch (err) {
      failures.push(err);
    }
  }
  // Notifications of earlier escalations that failed for now.
  for (const row of await unnoticed(db, scheduledTime)) {
    const breach = row.c.escalated[row.c.escalated.length - 1] as Breach | undefined;
    if (!breach) continue;
    const t = new TenantDb(db, row.c.tenantId);
    const owner = ownerIn(await loadChain(t, row.unitPath), row.c.ownerUserId);
    if (owner) await notifyEscalation(t, config, row, owner, breach, row.c.escalationLevel, scheduledTime);
  }
  if (failures.length) throw new AggregateError(failures, `${failures.length} case escalations failed`);
  return escalatedCount;
}
