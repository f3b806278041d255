import { TenantDb } from '../db/tenant-db';
import type { DatabaseRun } from '../db/plane';
import { and, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import { auditStatement } from '../audit/record';
import { commit, type Db } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import { caseEvents, cases, contacts, jobSteps, responses, tenants, units } from '../db/schema';
import { loadConfig, type Config } from '../env';
import { newId } from '../lib/ids';
import { SettingsSchema } from '../settings/settings';
import { webhookEvent } from '../webhooks/emit';
import { caseLink, caseMessage, notifyOwner } from './notify';
import { loadChain, nextEscalation, type Chain, type Person } from './routing';

/** Cases escalated per tick at most; the rest wait for the next tick (five minutes). */
export const ESCALATIONS_PER_TICK = 200;

export type Breach = 'first_contact' | 'resolution';

const hasNot = (breach: Breach) => sql`not exists (select 1 from json_each(${cases.escalated}) e where e.value = ${breach})`;

/** The breach of a case at `now`, the first-contact one first; null when it is on time or escalated for every breach already. */
export function breachOf(c: { status: string; firstContactAt: number | null; firstContactDueAt: number | null; resolutionDueAt: number | null; escalated: string[] }, now: number): Breach | null {
  if (c.status !== 'open' && c.status !== 'contacted') return null;
  if (c.status === 'open' && c.firstContactAt === null && c.firstContactDueAt !== null && c.firstContactDueAt <= now && !c.escalated.includes('first_contact')) return 'first_contact';
  if (c.resolutionDueAt !== null && c.resolutionDueAt <= now && !c.escalated.includes('resolution')) return 'resolution';
  return null;
}

/** Cases with what escalating and notifying them needs: unit, tenant settings, comment, contact. */
const casesInContext = (db: Db) =>
  db
    .select({
      c: cases,
      unitPath: units.path,
      unitName: units.name,
      unitTimezone: units.timezone,
      settings: tenants.settings,
      comment: responses.comment,
      contact: { externalId: contacts.externalId, email: contacts.email, phone: contacts.phone, attributes: contacts.attributes },
    })
    .from(cases)
    .innerJoin(tenants, eq(tenants.id, cases.tenantId))
    .innerJoin(units, and(eq(units.tenantId, cases.tenantId), eq(units.id, cases.unitId)))
    .leftJoin(responses, and(eq(responses.tenantId, cases.tenantId), eq(responses.id, cases.responseId)))
    .leftJoin(contacts, and(eq(contacts.tenantId, cases.tenantId), eq(contacts.id, cases.contactId)))
    .$dynamic();

/** Late cases across tenants: one indexed range per tenant (tenant_id, status, resolution_due_at) or the first-contact condition. */
function lateCases(db: Db, now: number) {
  return casesInContext(db)
    .where(
      and(
        inArray(cases.status, ['open', 'contacted']),
        // Each branch names its status, so each is read through its own (status, due) index;
        // `+` keeps the sort from walking the resolution index in order instead.
        or(
          and(eq(cases.status, 'open'), isNull(cases.firstContactAt), lte(cases.firstContactDueAt, now), hasNot('first_contact')),
          and(inArray(cases.status, ['open', 'contacted']), lte(cases.resolutionDueAt, now), hasNot('resolution')),
        ),
      ),
    )
    .orderBy(sql`+${cases.resolutionDueAt}`)
    .limit(ESCALATIONS_PER_TICK);
}

type Late = Awaited<ReturnType<typeof lateCases>>[number];

export const NOTICE_RETRY_MS = 86_400_000;

/**
 * Cases escalated within the last day whose latest escalation's email step is missing: the
 * notification failed for now (provider down) and is tried again, once per tick, for a day.
 */
function unnoticed(db: Db, now: number) {
  return casesInContext(db)
    .where(
      and(
        inArray(cases.status, ['open', 'contacted']),
        sql`${cases.escalationLevel} > 0`,
        sql`${cases.updatedAt} > ${now - NOTICE_RETRY_MS}`,
        sql`${cases.updatedAt} < ${now}`, // not the ones escalated by this very tick
        sql`not exists (select 1 from job_steps s where s.tenant_id = ${cases.tenantId} and s.key = 'case.escalated:' || ${cases.id} || ':' || json_extract(${cases.escalated}, '$[#-1]') || ':' || ${cases.escalationLevel} || ':email')`,
      ),
    )
    .limit(ESCALATIONS_PER_TICK);
}

/**
 * Escalates one late case for one breach: the next person up (`nextEscalation`) becomes the
 * owner, the level rises, the breach is marked (so it escalates once), with a case event, an
 * audit row and `case.escalated`, in one batch with the job step `case.escalated:<id>:<breach>:<level>`
 * (a concurrent tick's batch fails on its unique key). Then the new owner is notified.
 */
async function escalate(db: Db, config: Config, late: Late, breach: Breach, now: number) {
  const c = late.c;
  const chain = await loadChain(db, c.tenantId, late.unitPath);
  const next = nextEscalation(chain, c.ownerUserId);
  const ownerUserId = next?.id ?? c.ownerUserId;
  const escalated = [...c.escalated, breach];
  const level = c.escalationLevel + 1;
  const dueAt = breach === 'first_contact' ? c.firstContactDueAt : c.resolutionDueAt;
  try {
    await commit(db, [
      // The step's unique key makes a concurrent tick's batch fail whole: one escalation per breach.
      db.insert(jobSteps).values({ tenantId: c.tenantId, key: `case.escalated:${c.id}:${breach}:${level}`, result: { level, toUserId: ownerUserId }, createdAt: now }),
      db
        .update(cases)
        .set({ ownerUserId, escalationLevel: level, escalated, updatedAt: now })
        .where(and(eq(cases.tenantId, c.tenantId), eq(cases.id, c.id), hasNot(breach))),
      db.insert(caseEvents).values({
        id: newId('cev'),
        tenantId: c.tenantId,
        caseId: c.id,
        type: 'escalated',
        actorType: 'system',
        actorId: null,
        fromStatus: c.status,
        toStatus: c.status,
        details: { breach, dueAt, level, fromUserId: c.ownerUserId, toUserId: ownerUserId },
        createdAt: now,
      }),
      ...(await auditStatement(new TenantDb(db, c.tenantId), {
        actor: { type: 'system', id: null },
        action: 'case.escalate',
        targetType: 'case',
        targetId: c.id,
        before: c,
        after: { ...c, ownerUserId, escalationLevel: level, escalated, updatedAt: now },
        details: { breach, level, toUserId: ownerUserId },
      })),
      webhookEvent(
        new TenantDb(db, c.tenantId),
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
  if (notice) await notifyEscalation(db, config, late, notice, breach, level, now);
  return true;
}

/** Tells the new owner of an escalated case; a failure for now is logged and retried by the next ticks (`unnoticed`). */
async function notifyEscalation(db: Db, config: Config, late: Late, owner: Person, breach: Breach, level: number, now: number) {
  const c = late.c;
  const settings = SettingsSchema.parse(late.settings ?? {});
  const dueAt = breach === 'first_contact' ? c.firstContactDueAt : c.resolutionDueAt;
  const message = caseMessage({
    heading: breach === 'first_contact' ? 'Escalated: no first contact in time' : 'Escalated: not resolved in time',
    caseId: c.id,
    score: c.score,
    comment: late.comment,
    unitName: late.unitName,
    timeZone: late.unitTimezone,
    contact: late.contact?.externalId ? { ...late.contact, name: late.contact.attributes?.name } : null,
    link: caseLink(config, c.id),
    dueAt,
  });
  await notifyOwner(db, config, settings, { tenantId: c.tenantId, caseId: c.id, owner, message, keyBase: `case.escalated:${c.id}:${breach}:${level}`, kind: `escalated:${breach}`, now }).catch(
    (err: Error) => {
      console.error(JSON.stringify({ level: 'error', job: 'escalateLateCases', caseId: c.id, message: String(err) }));
    },
  );
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
      if (await escalate(db, config, row, breach, scheduledTime)) escalatedCount++;
    } catch (err) {
      failures.push(err);
    }
  }
  // Notifications of earlier escalations that failed for now.
  for (const row of await unnoticed(db, scheduledTime)) {
    const breach = row.c.escalated[row.c.escalated.length - 1] as Breach | undefined;
    if (!breach) continue;
    const owner = ownerIn(await loadChain(db, row.c.tenantId, row.unitPath), row.c.ownerUserId);
    if (owner) await notifyEscalation(db, config, row, owner, breach, row.c.escalationLevel, scheduledTime);
  }
  if (failures.length) throw new AggregateError(failures, `${failures.length} case escalations failed`);
  return escalatedCount;
}
