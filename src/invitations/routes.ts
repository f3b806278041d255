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
    statusCode: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "The provider's HTTP status of a failed try; null when none answered, and for the successful try (kept on the invitation as sentAt / remindedAt, without its status)" }),
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

/**
 * The delivery log: failed tries are rows; a successful try is the invitation's sent_at (or
 * reminded_at), numbered after the failures of its kind (its provider status is not kept).
 */
function deliveryLog(inv: typeof invitations.$inferSelect, failures: (typeof deliveryAttempts.$inferSelect)[]) {
  const log = failures.map((t) => ({ attempt: t.attempt, kind: t.kind, outcome: t.outcome, statusCode: t.statusCode, error: t.error, at: t.createdAt }));
  const success = (kind: 'invitation' | 'reminder', at: number | null) =>
    at !== null && log.push({ attempt: failures.filter((t) => t.kind === kind).length + 1, kind, outcome: 'sent', statusCode: null, error: null, at });
  success('invitation', inv.sentAt);
  success('reminder', inv.remindedAt);
  return log.sort((a, b) => a.at - b.at || a.attempt - b.attempt).map((t) => ({ ...t, at: iso(t.at) }));
}

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
      deliveryAttempts: deliveryLog(inv, tries),
    },
    200,
  );
});
