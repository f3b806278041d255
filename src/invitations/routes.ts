import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { CHANNELS, INVITATION_STATUSES } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, IdParam, json, security } from '../lib/openapi';
import { invitationDelivery } from './delivery-log';

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

export const invitationRoutes = createRouter().openapi(routes.get, async (c) => c.json(await invitationDelivery(deps(c), c.req.valid('param').id), 200));
