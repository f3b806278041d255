import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { audit } from '../audit/record';
import { authenticate } from '../auth/authenticate';
import { can } from '../auth/policy';
import { commit } from '../db/client';
import { revokedLinks, surveys, touchpoints, units } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { ApiError, forbidden, notFound } from '../lib/errors';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { signTouchpointLink, TOUCHPOINT_LINK_DAYS, verifyTouchpointLink } from './touchpoint-token';

const DAY = 24 * 60 * 60 * 1000;

const CreateLink = z
  .strictObject({
    unitId: z.string().min(1).max(64).openapi({ description: 'The unit the answers count for' }),
    expiresInDays: z
      .number()
      .int()
      .min(1)
      .max(730)
      .optional()
      .openapi({ description: `Lifetime of the link, default ${TOUCHPOINT_LINK_DAYS} days` }),
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

const RevokeLink = z
  .strictObject({
    url: z.string().min(1).max(2048).openapi({ description: 'The link to revoke: its URL as issued (`<PUBLIC_BASE_URL>/s/<token>`), or the token alone' }),
  })
  .openapi('RevokeTouchpointLink');

const RevokedSchema = z
  .object({
    touchpointId: z.string(),
    unitId: z.string(),
    expiresAt: z.string().openapi({ format: 'date-time', description: 'When the link would have expired' }),
    revokedAt: z.string().openapi({ format: 'date-time', description: 'When it was revoked (the first time, when revoked again)' }),
  })
  .openapi('RevokedTouchpointLink');

const revoke = createRoute({
  method: 'post',
  path: '/api/v1/touchpoints/{id}/links/revoke',
  tags: ['touchpoints'],
  summary: 'Revoke one anonymous link of a touchpoint; its other links keep working',
  description:
    "After this, the link's page and its submits answer 410 Gone (\"This survey has closed\"); answers already given stay. Revoking a revoked link changes nothing and answers as the first time. Needs the admin role on the link's unit; audited as `touchpoint.link_revoke`. A link that is not one of this touchpoint's (another touchpoint's, another tenant's) answers 404; one that is not a valid anonymous link, or has expired already, 422.",
  security,
  middleware: [authenticate] as const,
  request: { params: IdParam, body: jsonBody(RevokeLink) },
  responses: { 200: json(RevokedSchema, 'The link is revoked'), ...errors(...AUTHED, 422) },
});

/** The token of a link as an admin pastes it: the whole URL (query and fragment ignored) or the token. */
const tokenOf = (url: string) =>
  url
    .trim()
    .replace(/[?#].*$/, '')
    .split('/s/')
    .pop()!;

export const touchpointLinkRoutes = createRouter()
  .openapi(create, async (c) => {
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
      db
        .select({ id: units.id, path: units.path })
        .from(units)
        .where(and(eq(units.tenantId, actor.tenantId), eq(units.id, body.unitId))),
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
    await commit(db, await audit(deps(c), { action: 'touchpoint.link', targetType: 'touchpoint', targetId: tp.id, details: { unitId: unit.id, expiresAt: link.expiresAt } }));
    return c.json(link, 201);
  })
  .openapi(revoke, async (c) => {
    const { id } = c.req.valid('param');
    const actor = c.get('actor');
    const db = c.get('db');
    const check = await verifyTouchpointLink(c.get('config'), tokenOf(c.req.valid('json').url));
    if (!check.ok) {
      const message = check.reason === 'expired' ? 'the link has expired: it takes no answers already' : 'not an anonymous survey link';
      throw new ApiError('UNPROCESSABLE', message, [{ path: 'body.url', message }]);
    }
    const { claims, linkId, expiresAt } = check;
    // Another tenant's link, or another touchpoint's, is simply not found here.
    if (claims.tenantId !== actor.tenantId || claims.touchpointId !== id) throw notFound('link');
    const [[unit], [revoked]] = await db.batch([
      db
        .select({ path: units.path })
        .from(units)
        .where(and(eq(units.tenantId, actor.tenantId), eq(units.id, claims.unitId))),
      db
        .select({ revokedAt: revokedLinks.revokedAt })
        .from(revokedLinks)
        .where(and(eq(revokedLinks.tenantId, actor.tenantId), eq(revokedLinks.id, linkId))),
    ]);
    if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('link');
    if (!can(actor, 'touchpoint.link', unit.path)) throw forbidden('revoking an anonymous link needs the admin role on its unit');
    const answer = (revokedAt: number) =>
      c.json({ touchpointId: claims.touchpointId, unitId: claims.unitId, expiresAt: new Date(expiresAt).toISOString(), revokedAt: new Date(revokedAt).toISOString() }, 200);
    if (revoked) return answer(revoked.revokedAt);
    const now = Date.now();
    await commit(db, [
      db.insert(revokedLinks).values({ id: linkId, tenantId: actor.tenantId, touchpointId: claims.touchpointId, unitId: claims.unitId, expiresAt, revokedAt: now }).onConflictDoNothing(),
      ...(await audit(deps(c), {
        action: 'touchpoint.link_revoke',
        targetType: 'touchpoint',
        targetId: claims.touchpointId,
        details: { unitId: claims.unitId, linkId, expiresAt: new Date(expiresAt).toISOString() },
      })),
    ]);
    return answer(now);
  });
