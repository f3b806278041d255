import { TenantDb } from '../db/tenant-db';
import { dataPlane } from '../db/plane';
import { eq, sql } from 'drizzle-orm';
import { runBatch, tenantBatchStatement } from '../db/prepared';
import { auditStatement } from '../audit/record';
import { isUniqueViolation } from '../db/errors';
import { caseEvents, cases, commentAnalyses, contacts, responses, tenants, touchpoints, units } from '../db/schema';
import { ensureLibrary, libraryFrom, libraryReads } from '../comments/library';
import { insertAnalysis, responseAnalysis } from '../comments/tags';
import type { Config } from '../env';
import { newId } from '../lib/ids';
import { categorize } from '../scoring/nps';
import { SettingsSchema } from '../settings/settings';
import { TouchpointRulesSchema } from '../touchpoints/rules';
import { webhookEvent, webhookWants } from '../webhooks/emit';
import { caseLink, caseMessage, notifyOwner } from './notify';
import { chainOf, chainReads, loadChain, routeOwner, type Chain } from './routing';
import { caseTargets, dueTimes } from './targets';

/** Whether an answer opens a case: a counted detractor, or a counted passive when the touchpoint says so. */
export function opensCase(r: { score: number | null; counted: boolean }, includePassives: boolean): boolean {
  if (r.score === null || !r.counted) return false;
  const category = categorize(r.score);
  return category === 'detractor' || (includePassives && category === 'passive');
}

/** The answer with its unit, contact, touchpoint rules and tenant settings: built once per isolate (src/db/prepared.ts). */
const answerRead = tenantBatchStatement((t) =>
  t
    .select({
      r: responses,
      unit: { id: units.id, name: units.name, path: units.path, timezone: units.timezone },
      contact: {
        externalId: contacts.externalId,
        email: contacts.email,
        phone: contacts.phone,
        locale: contacts.locale,
        supportTier: contacts.supportTier,
        segment: contacts.segment,
        accountId: contacts.accountId,
        contractSize: contacts.contractSize,
        attributes: contacts.attributes,
      },
      rules: touchpoints.rules,
      settings: tenants.settings,
      // Whether any webhook wants `response.created`: most tenants' answers then need no write at all.
      hooked: webhookWants(t, 'response.created'),
      // Whether the comment is analysed already (a redelivery, or `comment.analyse` came first).
      analysed: commentAnalyses.id,
    })
    .from(responses)
    // The handle joins the tenant's own row (its settings) and scopes every other table.
    .innerJoin(tenants, undefined)
    .innerJoin(units, eq(units.id, responses.unitId))
    .leftJoin(contacts, eq(contacts.id, responses.contactId))
    .leftJoin(touchpoints, eq(touchpoints.id, responses.touchpointId))
    .leftJoin(commentAnalyses, eq(commentAnalyses.id, responses.id))
    .where(eq(responses.id, sql.placeholder('responseId')))
    .prepare(),
);

/**
 * The follow-up of one captured answer, exactly once in effect (docs/cases.md "Idempotency"):
 *  1. `response.created` for webhooks (its message ids derive from the response: idempotent) and,
 *     for a case-opening answer, the case with its `opened` event, audit row and `case.opened`,
 *     in one batch. The case's unique (tenant, response) key is the step: a second delivery hits
 *     it, the batch fails whole and nothing is written twice.
 *  2. step `response.captured:<id>:notify:<channel>`: the owner is told, once per channel, now
 *     when the answer has its comment; else the case waits (`notify_due_at`, the tenant's grace)
 *     and `notifyDueCases` tells the owner once the comment comes or the grace ends.
 * A failure in 2 throws; the redelivered message skips 1 and retries 2.
 */
export async function followUp(config: Config, tenantId: string, responseId: string, unitPath?: string): Promise<void> {
  const db = await dataPlane(config).forTenant(tenantId, { write: true, job: true });
  if (!db) return; // the tenant is gone: nothing to follow up
  const t = new TenantDb(db, tenantId);
  // Capture names the unit's path when it expects a case: the answer and its unit's chain then come in one round trip.
  // The theme library comes in the same round trip: the comment is analysed and tagged here (docs/themes.md).
  const answer = answerRead(t, { responseId });
  const library = libraryReads(t);
  let row: ReturnType<typeof answer.read>[number] | undefined;
  let prefetched: Chain | undefined;
  let libraryRows: [ReturnType<(typeof library)[0]['read']>, ReturnType<(typeof library)[1]['read']>];
  if (unitPath) {
    const [rows, state, themes, ...chainRows] = await runBatch(t, [answer, library[0], library[1], ...chainReads(t, unitPath)]);
    [row, prefetched, libraryRows] = [rows[0], chainOf(chainRows), [state, themes]];
  } else {
    const [rows, state, themes] = await runBatch(t, [answer, library[0], library[1]]);
    [row, libraryRows] = [rows[0], [state, themes]];
  }
  if (!row) throw new Error(`response ${responseId} of tenant ${tenantId} not found`);
  const r = row.r;
  // The comment's analysis, stored with the answer (one row), in the batch below.
  const analysis =
    r.comment?.trim() && !row.analysed ? responseAnalysis(await ensureLibrary(t, tenantId, libraryFrom(tenantId, ...libraryRows, library.known)), { ...r, comment: r.comment }, Date.now()) : null;
  const analysisStatements = analysis ? [insertAnalysis(t, analysis)] : [];
  const settings = SettingsSchema.parse(row.settings ?? {});
  const rules = TouchpointRulesSchema.safeParse(row.rules ?? {});
  const touchpointRules = rules.success ? rules.data : {};
  const openedAt = r.answeredAt ?? r.createdAt;
  // Keyed by the response: emitted again on a redelivery, it adds nothing. Built only when a webhook wants it.
  const createdEvent = () =>
    webhookEvent(
      t,
      'response.created',
      {
        id: r.id,
        touchpointId: r.touchpointId,
        unitId: r.unitId,
        contactId: r.contactId,
        score: r.score,
        counted: r.counted,
        locale: r.locale,
        answeredAt: r.answeredAt ? new Date(r.answeredAt).toISOString() : null,
      },
      Date.now(),
      r.id,
    );

  // Most answers open no case: their follow-up is the event alone, with no step row to write.
  if (!opensCase(r, touchpointRules.includePassives ?? false)) {
    const statements = [...(row.hooked ? [createdEvent()] : []), ...analysisStatements];
    return void (statements.length ? await runBatch(t, statements) : undefined);
  }

  // A unit moved since capture has another chain: read afresh.
  const chain = prefetched && row.unit.path === unitPath ? prefetched : await loadChain(t, row.unit.path);
  // Rules by theme see the themes of the comment analysed above (a comment that comes later does not reroute).
  const { owner, reason } = await routeOwner(t, chain, row.contact, settings.routingRules ?? [], analysis?.themes ?? []);
  const targets = caseTargets(chain, touchpointRules, settings);
  const due = dueTimes(openedAt, targets, settings);
  const now = Date.now();
  const caseId = newId('case');
  // Score first, comment later (capture): without the comment yet, the owner hears once it comes, or after the grace.
  const grace = settings.caseNotifyGraceMinutes * 60_000;
  const waits = owner !== null && !r.comment?.trim() && grace > 0;
  const record = {
    id: caseId,
    responseId: r.id,
    unitId: r.unitId,
    touchpointId: r.touchpointId,
    contactId: r.contactId,
    ownerUserId: owner?.id ?? null,
    status: 'open' as const,
    score: r.score!,
    ...due,
    notifyDueAt: waits ? now + grace : null,
    createdAt: openedAt,
    updatedAt: now,
  };
  const statements = [
    t.insert(cases).values(record),
    t.insert(caseEvents).values({
      id: newId('cev'),
      caseId,
      type: 'opened',
      actorType: 'system',
      actorId: null,
      toStatus: 'open',
      details: { ownerUserId: owner?.id ?? null, routing: reason, targets },
      createdAt: now,
    }),
    ...(await auditStatement(t, {
      actor: { type: 'system', id: null },
      action: 'case.open',
      targetType: 'case',
      targetId: caseId,
      after: { ...record, tenantId }, // the row as stored
      details: { responseId: r.id, routing: reason },
    })),
    ...(row.hooked ? [createdEvent()] : []),
    ...analysisStatements,
    webhookEvent(
      t,
      'case.opened',
      {
        id: caseId,
        responseId: r.id,
        unitId: r.unitId,
        ownerUserId: owner?.id ?? null,
        score: r.score,
        status: 'open',
        firstContactDueAt: new Date(due.firstContactDueAt).toISOString(),
        resolutionDueAt: new Date(due.resolutionDueAt).toISOString(),
      },
      now,
    ),
  ];
  let opened = true;
  try {
    await runBatch(t, statements);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    opened = false;
  }

  // Step 2 works on the case as stored: this run's (no read needed) or an earlier run's.
  const [stored] = opened ? [record] : await t.select().from(cases).where(eq(cases.responseId, r.id));
  if (!stored) throw new Error(`case of response ${r.id} missing after opening`);
  if (!stored.ownerUserId || stored.notifyDueAt !== null) return; // no owner, or waiting for the comment (notifyDueCases)
  const person = stored.ownerUserId === owner?.id ? owner : (await loadChain(t, row.unit.path)).granted.find((g) => g.user.id === stored.ownerUserId)?.user;
  if (!person) return;
  const message = openedMessage(config, { c: stored, comment: r.comment, answeredAt: r.answeredAt, unit: row.unit, contact: row.contact });
  // A case this run opened has no notification steps yet: no need to look them up.
  await notifyOwner(t, config, settings, { caseId: stored.id, owner: person, message, keyBase: openedKey(r.id), kind: 'opened', now: Date.now(), fresh: opened });
}

/** The step key base of a case's opening notification: one per answer, whoever sends it (follow-up or `notifyDueCases`). */
export const openedKey = (responseId: string) => `response.captured:${responseId}:notify`;

/** The message telling an owner about a new case. */
export function openedMessage(
  config: Config,
  x: {
    c: { id: string; score: number | null; firstContactDueAt: number | null };
    comment: string | null;
    answeredAt: number | null;
    unit: { name: string; timezone: string };
    contact: { externalId: string; email: string | null; phone: string | null; attributes: Record<string, unknown> | null } | null;
  },
) {
  return caseMessage({
    heading: 'New recovery case',
    caseId: x.c.id,
    score: x.c.score,
    comment: x.comment,
    unitName: x.unit.name,
    timeZone: x.unit.timezone,
    contact: x.contact ? { ...x.contact, name: x.contact.attributes?.name } : null,
    link: caseLink(config, x.c.id),
    answeredAt: x.answeredAt,
    dueAt: x.c.firstContactDueAt,
  });
}
