import { TenantDb } from '../db/tenant-db';
import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { and, eq, sql } from 'drizzle-orm';
import { audit } from '../audit/record';
import { authenticate } from '../auth/authenticate';
import { requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { contacts, responses, units } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { notFound } from '../lib/errors';
import { AUTHED, errors, json, jsonBody, security } from '../lib/openapi';
import { LifetimeValue } from '../contacts/contact';
import { cellOf, recomputeCells } from './fold';

const Body = z
  .strictObject({
    lifetimeValue: LifetimeValue.nullable().openapi({ description: 'The weight the answers should carry in `weight=ltv` (0, or from 0.000001 to 10^12); null: none (weight 0)' }),
    reason: z.string().trim().min(3).max(500),
    from: z.iso.datetime().optional().openapi({ description: 'Only answers created at or after this time' }),
    to: z.iso.datetime().optional().openapi({ description: 'Only answers created before this time' }),
  })
  .openapi('Reweight');

const reweight = createRoute({
  method: 'post',
  path: '/api/v1/contacts/{externalId}/reweight',
  tags: ['scores'],
  summary: "A correction: set the lifetime value a contact's past answers weigh with, and recompute their rollups",
  description: 'Answers keep the value their contact had when they came; this changes it for the answers in the range (all by default). Audited with the reason.',
  security,
  middleware: [authenticate] as const,
  request: {
    params: z.object({
      externalId: z
        .string()
        .min(1)
        .max(200)
        .openapi({ param: { name: 'externalId', in: 'path' } }),
    }),
    body: jsonBody(Body),
  },
  responses: { 200: json(z.object({ responses: z.number().int(), cells: z.number().int() }), 'How many answers and rollup cells changed'), ...errors(...AUTHED) },
});

export const reweightRoutes = createRouter().openapi(reweight, async (c) => {
  await requireTenantWide(deps(c), 'response.moderate', 'reweighting answers');
  const { externalId } = c.req.valid('param');
  const body = c.req.valid('json');
  const tenantId = c.get('actor').tenantId;
  const db = c.get('db');
  const [contact] = await db
    .select({ id: contacts.id })
    .from(contacts)
    .where(and(eq(contacts.tenantId, tenantId), eq(contacts.externalId, externalId)));
  if (!contact) throw notFound('contact');
  const inRange = and(
    eq(responses.tenantId, tenantId),
    eq(responses.contactId, contact.id),
    body.from ? sql`${responses.createdAt} >= ${Date.parse(body.from)}` : undefined,
    body.to ? sql`${responses.createdAt} < ${Date.parse(body.to)}` : undefined,
  );
  const affected = await db
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
    })
    .from(responses)
    .innerJoin(units, and(eq(units.id, responses.unitId), eq(units.tenantId, responses.tenantId)))
    .where(inRange);
  const now = Date.now();
  await commit(db, [
    db.update(responses).set({ lifetimeValue: body.lifetimeValue, updatedAt: now }).where(inRange),
    ...(await audit(deps(c), {
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
  await recomputeCells(new TenantDb(db, tenantId), cells);
  return c.json({ responses: affected.length, cells: cells.length }, 200);
});
