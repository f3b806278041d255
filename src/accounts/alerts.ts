import { and, eq, inArray } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { auditStatement } from '../audit/record';
import { caseTargets, dueTimes } from '../cases/targets';
import { type Chain, hierarchyOwner, loadChain, type Person } from '../cases/routing';
import type { AtRiskAccount } from '../cases/notify';
import { accounts, caseEvents, cases, units, users } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import { newId } from '../lib/ids';
import type { Settings } from '../settings/settings';
import { webhookEvent } from '../webhooks/emit';

/*
 * Predictive alerts (docs/accounts.md "Predictive alerts"): an account whose churn probability
 * goes over the tenant's threshold (`accounts.riskThreshold`) is a crossing. Each crossing opens
 * an at-risk case in the loop of detractor cases (owner, targets, escalation), or, while the
 * account's previous at-risk case is still open, is added to that case; either way the case is
 * made due for its owner's notification, which the every-minute case notification job sends
 * (src/cases/notify-due.ts) with the probability and the reasons. The statements go in the same
 * batch as the risks that record the crossing, so a re-scoring (or a redelivered job) finds the
 * account over the threshold already and sends nothing: one alert per crossing.
 */

export interface Crossing {
  accountId: string;
  probability: number;
  reasons: { feature: string; contribution: number }[];
}

/** The statements that open (or add to) the at-risk case of each crossing, notification due at `now`. */
export async function crossingStatements(t: TenantDb, crossings: readonly Crossing[], x: { settings: Settings; model: 'logistic' | 'rules'; now: number }): Promise<BatchItem<'sqlite'>[]> {
  if (crossings.length === 0) return [];
  const ids = crossings.map((c) => c.accountId);
  const [rows, open] = await t.batch([
    t
      .select({
        id: accounts.id,
        externalId: accounts.externalId,
        name: accounts.name,
        unitId: accounts.unitId,
        unitPath: units.path,
        owner: { id: users.id, email: users.email, name: users.name, status: users.status },
      })
      .from(accounts)
      .innerJoin(units, eq(units.id, accounts.unitId))
      .leftJoin(users, eq(users.id, accounts.ownerUserId))
      .where(inArray(accounts.id, ids)),
    t
      .select()
      .from(cases)
      .where(and(inArray(cases.accountId, ids), eq(cases.kind, 'at_risk'), inArray(cases.status, ['open', 'contacted']))),
  ]);
  const chains = new Map<string, Chain>();
  const chainOf = async (path: string) => {
    let c = chains.get(path);
    if (!c) chains.set(path, (c = await loadChain(t, path)));
    return c;
  };
  const { now, settings } = x;
  const statements: BatchItem<'sqlite'>[] = [];
  for (const crossing of crossings) {
    const a = rows.find((r) => r.id === crossing.accountId);
    if (!a) continue;
    const account: AtRiskAccount = {
      name: a.name,
      probability: crossing.probability,
      threshold: settings.accounts.riskThreshold,
      horizonDays: settings.accounts.horizonDays,
      model: x.model,
      reasons: crossing.reasons,
    };
    const details = { account, accountId: a.externalId, crossedAt: new Date(now).toISOString() };
    const existing = open.find((c) => c.accountId === a.id);
    if (existing) {
      // A new crossing while the last one's case is open: the case hears of it, its owner is told again.
      statements.push(
        t
          .update(cases)
          .set({ notifyDueAt: existing.ownerUserId ? now : null, updatedAt: now })
          .where(eq(cases.id, existing.id)),
        t.insert(caseEvents).values({ id: newId('cev'), caseId: existing.id, type: 'risk_crossed', actorType: 'system', actorId: null, details, createdAt: now }),
        ...(await auditStatement(t, {
          actor: { type: 'system', id: null },
          action: 'case.risk_crossed',
          targetType: 'case',
          targetId: existing.id,
          details: { accountId: a.externalId, probability: crossing.probability },
        })),
      );
      continue;
    }
    const chain = await chainOf(a.unitPath);
    // The account's owner (an active user); else the unit's manager by the hierarchy, as for detractor cases.
    const owned: { owner: Person | null; reason: string } =
      a.owner?.id && a.owner.status === 'active' ? { owner: { id: a.owner.id, email: a.owner.email, name: a.owner.name }, reason: 'account_owner' } : hierarchyOwner(chain);
    const targets = caseTargets(chain, null, settings);
    const due = dueTimes(now, targets, settings);
    const caseId = newId('case');
    const record = {
      id: caseId,
      kind: 'at_risk' as const,
      responseId: null,
      accountId: a.id,
      unitId: a.unitId,
      touchpointId: null,
      contactId: null,
      ownerUserId: owned.owner?.id ?? null,
      status: 'open' as const,
      score: null,
      ...due,
      notifyDueAt: owned.owner ? now : null,
      createdAt: now,
      updatedAt: now,
    };
    statements.push(
      t.insert(cases).values(record),
      t.insert(caseEvents).values({
        id: newId('cev'),
        caseId,
        type: 'opened',
        actorType: 'system',
        actorId: null,
        toStatus: 'open',
        details: { ownerUserId: record.ownerUserId, routing: owned.reason, targets, ...details },
        createdAt: now,
      }),
      ...(await auditStatement(t, {
        actor: { type: 'system', id: null },
        action: 'case.open',
        targetType: 'case',
        targetId: caseId,
        after: record,
        details: { accountId: a.externalId, routing: owned.reason },
      })),
      webhookEvent(
        t,
        'case.opened',
        {
          id: caseId,
          kind: 'at_risk',
          responseId: null,
          accountId: a.externalId,
          probability: crossing.probability,
          unitId: a.unitId,
          ownerUserId: record.ownerUserId,
          score: null,
          status: 'open',
          firstContactDueAt: new Date(due.firstContactDueAt).toISOString(),
          resolutionDueAt: new Date(due.resolutionDueAt).toISOString(),
        },
        now,
      ),
    );
  }
  return statements;
}
