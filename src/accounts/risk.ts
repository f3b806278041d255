import { and, asc, desc, eq, gte, inArray, isNotNull, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { audit } from '../audit/record';
import { can } from '../auth/policy';
import { requireAnywhere, requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { accountOutcomes, accountRisks, accounts, accountSignalValues, cases, churnModels, commentAnalyses, contacts, measures, responses, units } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Env } from '../env';
import type { Deps } from '../lib/deps';
import { forbidden, notFound } from '../lib/errors';
import { inSubtree } from '../org/units';
import { getSettings, type Settings } from '../settings/settings';
import { type Crossing, crossingStatements } from './alerts';
import { requireAccountAdmin } from './accounts';
import { type AccountHistory, type ChurnCard, HISTORY_MONTHS, measureDrift, npsImpact, riskNow, trainChurn } from './churn';

/*
 * The churn model's storage and reads (docs/accounts.md "Churn model"): the queue job loads the
 * tenant's account histories, trains (or lays the rules score), measures the previous model's
 * drift, scores every current account and keeps the card and the risks; the at-risk list and the
 * model card read what it kept.
 */

const RISK_ROWS_PER_UPSERT = 400;

/** The first instant of the next month (UTC): when a model trained now is due again. */
const nextMonth = (now: number) => {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
};

/** The statement that lays a tenant's churn model due now when it has none yet (the first account does). */
export const layModelDue = (t: TenantDb, now: number) =>
  t.insert(churnModels).values({ kind: 'rules', status: 'pending', card: null, trainedAt: null, dueAt: now, updatedAt: now }).onConflictDoNothing();

export interface ChurnTrainMessage {
  type: 'churn.train';
  tenantId: string;
  idempotencyKey: string;
}

export interface ChurnScoreMessage {
  type: 'churn.score';
  tenantId: string;
  idempotencyKey: string;
}

/** Every account's history over the months the features read (24 month ends and the year before the first). */
export async function loadHistories(t: TenantDb, now: number): Promise<{ histories: AccountHistory[]; signalKeys: string[] }> {
  const start = new Date(now);
  const from = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() - HISTORY_MONTHS - 12, 1);
  const fromDay = new Date(from).toISOString().slice(0, 10);
  const [rows, answers, signals, outcomes, declared] = await Promise.all([
    t.select().from(accounts),
    t
      .select({
        accountKey: contacts.accountId,
        contactId: responses.contactId,
        role: contacts.stakeholderRole,
        score: responses.score,
        at: responses.createdAt,
        caseOpenedAt: cases.createdAt,
        caseDoneAt: sql<number | null>`coalesce(${cases.resolvedAt}, ${cases.closedAt})`,
        caseDueAt: cases.resolutionDueAt,
        themes: sql<number>`coalesce(json_array_length(${commentAnalyses.themes}), 0)`,
      })
      .from(responses)
      .innerJoin(contacts, eq(contacts.id, responses.contactId))
      .leftJoin(cases, eq(cases.responseId, responses.id))
      // The comment's analysis (its id is the answer's): how many library themes it mentions.
      .leftJoin(commentAnalyses, eq(commentAnalyses.id, responses.id))
      .where(and(gte(responses.createdAt, from), isNotNull(contacts.accountId), eq(responses.counted, true), isNotNull(responses.score)))
      .orderBy(asc(responses.createdAt)),
    t
      .select({ accountId: accountSignalValues.accountId, key: measures.key, day: accountSignalValues.day, value: accountSignalValues.value })
      .from(accountSignalValues)
      .innerJoin(measures, eq(measures.id, accountSignalValues.measureId))
      .where(gte(accountSignalValues.day, fromDay))
      .orderBy(asc(accountSignalValues.day)),
    t.select().from(accountOutcomes).orderBy(asc(accountOutcomes.occurredAt)),
    t.select({ key: measures.key }).from(measures).where(eq(measures.source, 'account')).orderBy(asc(measures.key)),
  ]);
  const signalKeys = declared.map((m) => m.key);
  const byExternal = new Map<string, AccountHistory>();
  const byId = new Map<string, AccountHistory>();
  for (const a of rows) {
    const h: AccountHistory = {
      id: a.id,
      externalId: a.externalId,
      name: a.name,
      ownerUserId: a.ownerUserId,
      annualRevenue: a.annualRevenue,
      segment: a.segment,
      createdAt: a.createdAt,
      answers: [],
      signals: new Map(signalKeys.map((k) => [k, []])),
      outcomes: [],
    };
    byExternal.set(a.externalId, h);
    byId.set(a.id, h);
  }
  for (const r of answers) {
    const h = byExternal.get(r.accountKey!);
    if (h)
      h.answers.push({
        contactId: r.contactId!,
        role: r.role ?? 'user',
        score: r.score!,
        at: r.at,
        caseOpenedAt: r.caseOpenedAt,
        caseDoneAt: r.caseDoneAt,
        caseDueAt: r.caseDueAt,
        themes: Number(r.themes),
      });
  }
  for (const s of signals)
    byId
      .get(s.accountId)
      ?.signals.get(s.key)
      ?.push({ at: Date.parse(`${s.day}T00:00:00Z`), value: s.value });
  for (const o of outcomes) byId.get(o.accountId)?.outcomes.push({ type: o.type, at: o.occurredAt });
  return { histories: [...byId.values()], signalKeys };
}

/**
 * Trains the tenant's churn model and scores its accounts (the `churn.train` job): the previous
 * logistic model's drift is measured on the outcomes since its training, the new card replaces
 * it, and each current account's risk is kept with whether it is over the tenant's threshold
 * (`crossedAt` set when it goes over). Idempotent: the same data and day give the same card.
 */
export async function trainAndScore(t: TenantDb, now: number): Promise<ChurnCard> {
  const settings = await getSettings(t);
  const { histories, signalKeys } = await loadHistories(t, now);
  const [previous] = await t.select().from(churnModels);
  let { card } = trainChurn(histories, signalKeys, settings.accounts, now);
  const before = previous?.card as ChurnCard | null | undefined;
  if (card.kind === 'logistic' && before?.kind === 'logistic') card = { ...card, drift: measureDrift(before, histories, now, settings.accounts.roleWeights) };
  if (card.kind === 'logistic') card = { ...card, impact: npsImpact(card, histories, now, settings.accounts.roleWeights) };
  const kept = { kind: card.kind, status: 'ready' as const, card: card as unknown as Record<string, unknown>, trainedAt: now, dueAt: nextMonth(now), scoreDueAt: nextDay(now), updatedAt: now };
  await commit(t, [
    t
      .insert(churnModels)
      .values(kept)
      .onConflictDoUpdate({ target: [churnModels.tenantId], set: kept }),
    ...(await scoreStatements(t, card, histories, signalKeys, settings, now)),
  ]);
  return card;
}

/** The first instant of the next UTC day: when accounts scored now are scored again (the daily cron at 03:00 finds them due). */
const nextDay = (now: number) => {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
};

/**
 * Re-scores the tenant's accounts with the kept card (the daily `churn.score` job): the
 * probabilities of today, and an alert for each account that crossed the threshold since the
 * last scoring (src/accounts/alerts.ts). Without a trained card there is nothing to score with.
 * Idempotent: a second run the same day finds no new crossing. Returns how many crossed.
 */
export async function rescore(t: TenantDb, now: number): Promise<{ scored: number; crossed: number } | null> {
  const [model] = await t.select({ card: churnModels.card }).from(churnModels);
  const card = model?.card as unknown as ChurnCard | null | undefined;
  if (!card) {
    await t.update(churnModels).set({ scoreDueAt: null });
    return null;
  }
  const settings = await getSettings(t);
  const { histories, signalKeys } = await loadHistories(t, now);
  const statements = await scoreStatements(t, card, histories, signalKeys, settings, now);
  await commit(t, [t.update(churnModels).set({ scoreDueAt: nextDay(now) }), ...statements]);
  return { scored: statements.scored, crossed: statements.crossed };
}

/**
 * The statements that keep each current account's risk under `card` (over the threshold or not,
 * `crossedAt` set when it goes over), forget the risks of churned accounts, and open the at-risk
 * cases of the accounts that went over since their last scoring (a crossing: not over before,
 * or never scored). Falling back under and going over again is a new crossing.
 */
async function scoreStatements(
  t: TenantDb,
  card: ChurnCard,
  histories: readonly AccountHistory[],
  signalKeys: readonly string[],
  settings: Settings,
  now: number,
): Promise<BatchItem<'sqlite'>[] & { scored: number; crossed: number }> {
  const existing = new Map((await t.select({ accountId: accountRisks.accountId, atRisk: accountRisks.atRisk, crossedAt: accountRisks.crossedAt }).from(accountRisks)).map((r) => [r.accountId, r]));
  const crossings: Crossing[] = [];
  const risks = histories
    .filter((h) => !h.outcomes.some((o) => o.type === 'churned'))
    .map((h) => {
      const r = riskNow(card, h, now, signalKeys, settings.accounts.roleWeights);
      const atRisk = r.probability >= settings.accounts.riskThreshold;
      const was = existing.get(h.id);
      const crossed = atRisk && !was?.atRisk;
      if (crossed) crossings.push({ accountId: h.id, probability: r.probability, reasons: r.reasons });
      const crossedAt = crossed ? now : (was?.crossedAt ?? null);
      return { accountId: h.id, probability: r.probability, revenueAtRisk: r.probability * (h.annualRevenue ?? 0), reasons: r.reasons, atRisk, crossedAt, computedAt: now };
    });
  const statements: BatchItem<'sqlite'>[] = [];
  for (let i = 0; i < risks.length; i += RISK_ROWS_PER_UPSERT) {
    statements.push(
      t
        .insert(accountRisks)
        .values(risks.slice(i, i + RISK_ROWS_PER_UPSERT))
        .onConflictDoUpdate({
          target: [accountRisks.tenantId, accountRisks.accountId],
          set: {
            probability: sql`excluded.probability`,
            revenueAtRisk: sql`excluded.revenue_at_risk`,
            reasons: sql`excluded.reasons`,
            atRisk: sql`excluded.at_risk`,
            crossedAt: sql`excluded.crossed_at`,
            computedAt: sql`excluded.computed_at`,
          },
        }),
    );
  }
  const churned = histories.filter((h) => h.outcomes.some((o) => o.type === 'churned')).map((h) => h.id);
  for (let i = 0; i < churned.length; i += 500) statements.push(t.delete(accountRisks).where(inArray(accountRisks.accountId, churned.slice(i, i + 500))));
  statements.push(...(await crossingStatements(t, crossings, { settings, model: card.kind, now })));
  return Object.assign(statements, { scored: risks.length, crossed: crossings.length });
}

/** Asks the workflow queue to train the tenant's model (root admin); the card shows `pending` meanwhile. Audited. */
export async function requestTraining(d: Deps & { env: Env }) {
  await requireAccountAdmin(d);
  const now = Date.now();
  if (!d.env.WORKFLOW_QUEUE) throw new Error('WORKFLOW_QUEUE is not bound');
  await commit(d.t, [
    d.t
      .insert(churnModels)
      .values({ kind: 'rules', status: 'pending', card: null, trainedAt: null, updatedAt: now })
      .onConflictDoUpdate({ target: [churnModels.tenantId], set: { status: 'pending', updatedAt: now } }),
    ...(await audit(d, { action: 'churn.train', targetType: 'tenant', targetId: d.actor.tenantId })),
  ]);
  const message: ChurnTrainMessage = { type: 'churn.train', tenantId: d.actor.tenantId, idempotencyKey: `churn.train:${d.actor.tenantId}:${now}` };
  await d.env.WORKFLOW_QUEUE.send(message);
  return { status: 'pending' as const, retryAfterSeconds: 30 };
}

/** The model card (anyone who reads scores somewhere): the kept card and whether a training is pending. */
export async function modelCard(d: Deps) {
  requireAnywhere(d, 'score.read', 'reading the churn model');
  const [row] = await d.t.select().from(churnModels);
  if (!row?.card) return { status: row ? ('pending' as const) : ('untrained' as const), card: null };
  return { status: row.status, card: row.card as unknown as ChurnCard };
}

/**
 * How far down the tenant's revenue-at-risk index the list first looks: the accounts with the
 * RISK_WINDOW largest revenues at risk of the whole tenant. A subtree holding at least `limit` of
 * them is served from there alone (a walk of the index, whatever the number of accounts); a
 * smaller one is read from its own accounts (an index walk of the subtree).
 */
export const RISK_WINDOW = 1000;

/**
 * The accounts of a unit's subtree by revenue at risk (probability × annual revenue), largest
 * first, with their reasons and owners: score.read on the unit (default the root).
 */
export async function atRisk(d: Deps, q: { unitId?: string; limit: number }) {
  const { t, actor } = d;
  const [unit] = q.unitId ? await t.select().from(units).where(eq(units.id, q.unitId)) : await t.select().from(units).where(sql`${units.parentId} is null`);
  if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
  if (!can(actor, 'score.read', unit.path)) throw forbidden('your role does not read scores of this unit');
  const columns = {
    accountId: accounts.externalId,
    name: accounts.name,
    probability: accountRisks.probability,
    revenueAtRisk: accountRisks.revenueAtRisk,
    reasons: accountRisks.reasons,
    ownerUserId: accounts.ownerUserId,
  };
  const order = [desc(accountRisks.revenueAtRisk), desc(accountRisks.probability)] as const;
  const end = `${unit.path.slice(0, -1)}0`;
  // The RISK_WINDOW-th largest revenue at risk of the tenant (none: the tenant has fewer risks, the window is all of them).
  const floor = t
    .select({ revenueAtRisk: accountRisks.revenueAtRisk })
    .from(accountRisks)
    .orderBy(desc(accountRisks.revenueAtRisk))
    .limit(1)
    .offset(RISK_WINDOW - 1);
  const [model, windowFloor, inWindow] = await t.batch([
    // The card's kind and AUC alone (the whole card holds the calibration, the intervals, the impact).
    t
      .select({
        kind: sql<string | null>`json_extract(${churnModels.card}, '$.kind')`,
        auc: sql<number | null>`json_extract(${churnModels.card}, '$.validation.auc')`,
        trainedAt: churnModels.trainedAt,
      })
      .from(churnModels),
    floor,
    // Down the revenue index from the largest: the unit's path is tested on each row (`+`: not the
    // path index, which would read the whole subtree and sort it).
    t
      .select(columns)
      .from(accountRisks)
      .innerJoin(accounts, eq(accounts.id, accountRisks.accountId))
      .innerJoin(units, eq(units.id, accounts.unitId))
      .where(and(gte(accountRisks.revenueAtRisk, sql`coalesce((${floor}), -1)`), sql`+${units.path} >= ${unit.path}`, sql`+${units.path} < ${end}`))
      .orderBy(...order)
      .limit(q.limit),
  ]);
  const items =
    inWindow.length === q.limit || windowFloor.length === 0
      ? inWindow
      : // Fewer than `limit` of the subtree's accounts among the tenant's largest: the subtree's own accounts, sorted.
        await t
          .select(columns)
          .from(accountRisks)
          .innerJoin(accounts, eq(accounts.id, accountRisks.accountId))
          .innerJoin(units, eq(units.id, accounts.unitId))
          .where(inSubtree(unit.path))
          .orderBy(...order)
          .limit(q.limit);
  const [card] = model;
  const auc = card?.kind === 'logistic' ? card.auc : null;
  return {
    model: {
      kind: (card?.kind ?? 'rules') as ChurnCard['kind'],
      ...(auc !== undefined && auc !== null ? { auc } : {}),
      ...(card?.trainedAt ? { trainedAt: new Date(card.trainedAt).toISOString() } : {}),
    },
    items,
  };
}

/**
 * What NPS is worth (tenant-wide score readers): the modelled change in churn probability and
 * revenue at risk for 10 more points of account NPS, by segment, from the last training. Needs the
 * logistic model: before it, `available: false` and why.
 */
export async function npsImpactReport(d: Deps, q: { segment?: string }) {
  await requireTenantWide(d, 'score.read', 'the NPS impact across accounts');
  const [row] = await d.t.select({ card: churnModels.card }).from(churnModels);
  const card = row?.card as unknown as ChurnCard | null | undefined;
  if (card?.kind !== 'logistic' || !card.impact) return { available: false as const, reason: 'needs the logistic churn model (30 churns, a training since)', points: 10, items: [] };
  const items = card.impact.segments.filter((s) => q.segment === undefined || s.segment === q.segment);
  return { available: true as const, trainedAt: card.trainedAt, points: card.impact.points, auc: card.validation?.auc ?? null, items };
}
