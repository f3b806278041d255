import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { issueLink, revokeLink } from './links';
import { TOUCHPOINT_LINK_DAYS } from './touchpoint-token';

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

export const touchpointLinkRoutes = createRouter()
  .openapi(create, async (c) => c.json(await issueLink(deps(c), c.req.valid('param').id, c.req.valid('json')), 201))
  .openapi(revoke, async (c) => c.json(await revokeLink(deps(c), c.req.valid('param').id, c.req.valid('json').url), 200));
