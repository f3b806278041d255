import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq } from 'drizzle-orm';
import { authenticate } from '../auth/authenticate';
import { can } from '../auth/policy';
import { CHANNELS, deliveryAttempts, INVITATION_STATUSES, invitations, units } from '../db/schema';
import { invitationLink } from '../delivery/link';
import { createRouter } from '../lib/create-app';
import { forbidden, notFound } from '../lib/errors';
import { AUTHED, errors, IdParam, json, security } from '../lib/openapi';

const DeliveryAttemptSchema = z
  .object({
    attempt: z.number().int().openapi({ description: 'Counts from 1 per kind' }),
    kind: z.enum(['invitation', 'reminder']),
    outcome: z.enum(['sent', 'failed']),
    statusCode: z.number().int().nullable().openapi({ description: "The provider's HTTP status; null when none answered or nothing was sent over HTTP" }),
    error: z.string().nullable(),
    at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('DeliveryAttempt');

const InvitationSchema = z
  .object({
    id: z.string(),
    status: z.enum(INVITATION_STATUSES).openapi({
      description: '`dead`: the provider kept failing (see lastError); `failed`: refused for good (no recipient, no provider, a 4xx)',
    }),
    channel: z.enum(CHANNELS),
    unitId: z.string(),
    touchpointId: z.string(),
    contactId: z.string().nullable(),
    locale: z.string().nullable(),
    dueAt: z.string().openapi({ format: 'date-time' }),
    sentAt: z.string().optional().openapi({ format: 'date-time', description: 'Once sent' }),
    remindedAt: z.string().optional().openapi({ format: 'date-time', description: 'Once a reminder went out' }),
    expiresAt: z.string().openapi({ format: 'date-time' }),
    attempts: z.number().int().openapi({ description: 'Delivery tries so far, reminders included' }),
    lastError: z.string().nullable(),
    link: z.string().optional().openapi({ description: 'The survey link, for admins only (whoever holds it can answer), while it can still be answered' }),
    deliveryAttempts: z.array(DeliveryAttemptSchema),
  })
  .openapi('Invitation');

const iso = (ms: number) => new Date(ms).toISOString();
const ANSWERABLE = new Set<string>(['scheduled', 'sending', 'sent', 'failed', 'dead']);

const routes = {
  get: createRoute({
    method: 'get',
    path: '/api/v1/invitations/{id}',
    tags: ['invitations'],
    summary: 'An invitation and its delivery: status, tries, the last error, and (admins) the link',
    description: 'Admins and analysts see every invitation, managers those of their subtree; other roles get 403 within their reach, 404 outside it.',
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam },
    responses: { 200: json(InvitationSchema, 'The invitation'), ...errors(...AUTHED) },
  }),
};

export const invitationRoutes = createRouter().openapi(routes.get, async (c) => {
  const actor = c.get('actor');
  const db = c.get('db');
  const { id } = c.req.valid('param');
  const [[row], tries] = await db.batch([
    db
      .select({ invitation: invitations, unitPath: units.path })
      .from(invitations)
      .innerJoin(units, and(eq(units.tenantId, invitations.tenantId), eq(units.id, invitations.unitId)))
      .where(and(eq(invitations.tenantId, actor.tenantId), eq(invitations.id, id))),
    db
      .select()
      .from(deliveryAttempts)
      .where(and(eq(deliveryAttempts.tenantId, actor.tenantId), eq(deliveryAttempts.invitationId, id)))
      .orderBy(asc(deliveryAttempts.createdAt), asc(deliveryAttempts.attempt)),
  ]);
  if (!row || !can(actor, 'unit.read', row.unitPath)) throw notFound('invitation');
  if (!can(actor, 'invitation.read', row.unitPath)) throw forbidden('your role does not allow reading invitations');
  const inv = row.invitation;
  const showLink = ANSWERABLE.has(inv.status) && can(actor, 'invitation.link', row.unitPath);
  return c.json(
    {
      id: inv.id,
      status: inv.status,
      channel: inv.channel,
      unitId: inv.unitId,
      touchpointId: inv.touchpointId,
      contactId: inv.contactId,
      locale: inv.locale,
      dueAt: iso(inv.dueAt),
      ...(inv.sentAt === null ? {} : { sentAt: iso(inv.sentAt) }),
      ...(inv.remindedAt === null ? {} : { remindedAt: iso(inv.remindedAt) }),
      expiresAt: iso(inv.expiresAt),
      attempts: inv.attempts,
      lastError: inv.lastError,
      ...(showLink ? { link: await invitationLink(c.get('config'), inv) } : {}),
      deliveryAttempts: tries.map((t) => ({ attempt: t.attempt, kind: t.kind, outcome: t.outcome, statusCode: t.statusCode, error: t.error, at: iso(t.createdAt) })),
    },
    200,
  );
});
