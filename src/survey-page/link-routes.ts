import { createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { audit } from '../audit/record';
import { authenticate } from '../auth/authenticate';
import { can } from '../auth/policy';
import { commit } from '../db/client';
import { surveys, touchpoints, units } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { ApiError, forbidden, notFound } from '../lib/errors';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { signTouchpointLink, TOUCHPOINT_LINK_DAYS } from './touchpoint-token';

const DAY = 24 * 60 * 60 * 1000;

const CreateLink = z
  .strictObject({
    unitId: z.string().min(1).max(64).openapi({ description: 'The unit the answers count for' }),
    expiresInDays: z.number().int().min(1).max(730).optional().openapi({ description: `Lifetime of the link, default ${TOUCHPOINT_LINK_DAYS} days` }),
  })
  .openapi('CreateTouchpointLink');

const LinkSchema = z
  .object({
    url: z.string().openapi({ description: 'The anonymous survey link: `<PUBLIC_BASE_URL>/s/<token>`' }),
    touchpointId: z.string(),
    unitId: z.string(),
    expiresAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('TouchpointLink');

const create = createRoute({
  method: 'post',
  path: '/api/v1/touchpoints/{id}/links',
  tags: ['touchpoints'],
  summary: 'An anonymous survey link of a touchpoint for a unit (QR codes, receipts, signage)',
  description:
    'The link names no invitation: answers through it carry no contact, are rate-limited per client address and flagged as duplicates when one client answers the same touchpoint twice within 24 hours. Needs the admin role on the unit. The link itself is not stored; its issue is audited.',
  security,
  middleware: [authenticate] as const,
  request: { params: IdParam, body: jsonBody(CreateLink) },
  responses: { 201: json(LinkSchema, 'The link'), ...errors(...AUTHED, 422) },
});

export const touchpointLinkRoutes = createRouter().openapi(create, async (c) => {
  const { id } = c.req.valid('param');
  const body = c.req.valid('json');
  const actor = c.get('actor');
  const db = c.get('db');
  const [[tp], [unit]] = await db.batch([
    db
      .select({ id: touchpoints.id, active: touchpoints.active, publishedVersion: surveys.publishedVersion })
      .from(touchpoints)
      .innerJoin(surveys, and(eq(surveys.tenantId, touchpoints.tenantId), eq(surveys.id, touchpoints.surveyId)))
      .where(and(eq(touchpoints.tenantId, actor.tenantId), eq(touchpoints.id, id))),
    db.select({ id: units.id, path: units.path }).from(units).where(and(eq(units.tenantId, actor.tenantId), eq(units.id, body.unitId))),
  ]);
  // A unit outside the caller's reach is not disclosed; the touchpoint is tenant-wide.
  if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
  if (!can(actor, 'touchpoint.link', unit.path)) throw forbidden('an anonymous link needs the admin role on its unit');
  if (!tp) throw notFound('touchpoint');
  if (!tp.active) throw new ApiError('UNPROCESSABLE', 'the touchpoint is inactive');
  if (tp.publishedVersion === null) throw new ApiError('UNPROCESSABLE', "the touchpoint's survey has no published version");
  const expiresAt = Date.now() + (body.expiresInDays ?? TOUCHPOINT_LINK_DAYS) * DAY;
  const config = c.get('config');
  const token = await signTouchpointLink(config, { tenantId: actor.tenantId, touchpointId: tp.id, unitId: unit.id }, expiresAt);
  const link = { url: `${config.publicBaseUrl}/s/${token}`, touchpointId: tp.id, unitId: unit.id, expiresAt: new Date(expiresAt).toISOString() };
  await commit(db, await audit(c, { action: 'touchpoint.link', targetType: 'touchpoint', targetId: tp.id, details: { unitId: unit.id, expiresAt: link.expiresAt } }));
  return c.json(link, 201);
});
