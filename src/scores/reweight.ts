import { and, eq, sql } from 'drizzle-orm';
import { audit } from '../audit/record';
import { findContact } from '../contacts/contact';
import { commit } from '../db/client';
import { responses, units } from '../db/schema';
import type { Deps } from '../lib/deps';
import { notFound } from '../lib/errors';
import { cellOf, recomputeCells } from './fold';

export interface Reweighting {
  /** The weight the answers carry in `weight=ltv`; null: none. */
  lifetimeValue: number | null;
  reason: string;
  /** ISO times: only answers created at or after `from`, before `to`. */
  from?: string;
  to?: string;
}

/**
 * A correction: the lifetime value a contact's answers in the range weigh with, set on the
 * answers (audited with the reason), and the rollup cells they count in recomputed. Answers
 * how many answers and cells changed.
 */
export async function reweightContact(d: Deps, externalId: string, body: Reweighting): Promise<{ responses: number; cells: number }> {
  const { t } = d;
  const contact = await findContact(t, externalId);
  if (!contact) throw notFound('contact');
  const inRange = and(
    eq(responses.contactId, contact.id),
    body.from ? sql`${responses.createdAt} >= ${Date.parse(body.from)}` : undefined,
    body.to ? sql`${responses.createdAt} < ${Date.parse(body.to)}` : undefined,
  );
  const affected = await t
    .select({
      unitId: responses.unitId,
      createdAt: responses.createdAt,
      timezone: units.timezone,
      touchpointId: responses.touchpointId,
      channel: responses.channel,
      segment: sql<string>`coalesce(${responses.segment}, '')`,
      locale: responses.locale,
      surveyId: responses.surveyId,
      surveyVersion: responses.surveyVersion,
      vendorId: responses.vendorId,
      agentId: responses.agentId,
    })
    .from(responses)
    .innerJoin(units, eq(units.id, responses.unitId))
    .where(inRange);
  const now = Date.now();
  await commit(t, [
    t.update(responses).set({ lifetimeValue: body.lifetimeValue, updatedAt: now }).where(inRange),
    ...(await audit(d, {
      action: 'responses.reweight',
      targetType: 'contact',
      targetId: contact.id,
      details: { externalId, lifetimeValue: body.lifetimeValue, reason: body.reason, from: body.from ?? null, to: body.to ?? null, responses: affected.length },
    })),
  ]);
  const cells = [
    ...new Map(
      affected.map((r) => {
        const k = cellOf(r);
        return [JSON.stringify(k), k];
      }),
    ).values(),
  ];
  await recomputeCells(t, cells);
  return { responses: affected.length, cells: cells.length };
}
