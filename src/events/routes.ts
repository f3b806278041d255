import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { requireAnywhere } from '../auth/tenant-wide';
import { createRouter } from '../lib/create-app';
import { AUTHED, errors, json, jsonBody, security } from '../lib/openapi';
import { REASONS } from './eligibility';
import { ingestEvents } from './ingest';

/** At most this many events a call; more is refused whole (400) before anything is written. */
export const MAX_EVENTS = 500;

const EventItem = z
  .strictObject({
    id: z
      .string()
      .min(1)
      .max(128)
      .refine((id) => !id.startsWith('wave:'), 'ids starting with "wave:" are reserved for wave runs')
      .openapi({ description: "The integration's own id: a replay with the same id returns the stored decision and writes nothing" }),
    type: z
      .string()
      .regex(/^[a-z0-9_]+(\.[a-z0-9_]+)*$/, 'dot-separated lower-case words, e.g. ticket.resolved')
      .max(100)
      .openapi({ description: 'e.g. `ticket.resolved`; `interaction.negative` feeds the suppression rule' }),
    occurredAt: z.iso.datetime({ offset: true }).openapi({ description: 'When it happened; at most 24 h in the future' }),
    contactId: z.string().min(1).max(128).openapi({ description: "The contact's external id (PUT /api/v1/contacts/{externalId})" }),
    unitId: z.string().min(1).max(64).optional().openapi({ description: 'The unit accountable for the experience; needed with a touchpoint' }),
    vendorId: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .openapi({ description: 'The vendor unit (kind `vendor`) that performed the work, whatever the site: the answer counts for the site and for the vendor (docs/dimensions.md)' }),
    agentId: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
      .optional()
      .openapi({ description: "Who handled it: a user id of the tenant, or the integration's own agent id, mapped to a user later (docs/dimensions.md)" }),
    touchpoint: z.string().min(1).max(60).optional().openapi({ description: "The touchpoint's key; without one the event is only recorded (decision skip, reason no_touchpoint)" }),
    attributes: z
      .record(z.string().min(1).max(100), z.unknown())
      .refine((a) => JSON.stringify(a).length <= 8192, 'at most 8 KiB of JSON')
      .optional()
      .openapi({ description: 'Free data; `ticketStatus` other than resolved or closed skips the event as unresolved' }),
  })
  .refine((e) => e.touchpoint === undefined || e.unitId !== undefined, { message: 'an event with a touchpoint needs a unitId', path: ['unitId'] });

const EventBatch = z.strictObject({ events: z.array(EventItem).min(1).max(MAX_EVENTS) }).openapi('EventBatch');

const EventResult = z
  .union([
    z.object({ eventId: z.string(), decision: z.enum(['invite', 'skip']), reason: z.enum(REASONS), invitationId: z.string().optional() }),
    z.object({ eventId: z.string(), error: z.object({ code: z.string(), message: z.string(), status: z.number().int() }) }),
  ])
  .openapi('EventResult');
const EventResults = z.object({ results: z.array(EventResult).openapi({ description: 'One per event, in the order sent' }) }).openapi('EventResults');

const ingest = createRoute({
  method: 'post',
  path: '/api/v1/events',
  tags: ['events'],
  summary: `Operational events, up to ${MAX_EVENTS} a call: each gets an eligibility decision`,
  description:
    'Each event is decided by the delivery rules (docs/delivery-rules.md) and stored with its decision and reason; `invite` creates ' +
    'a scheduled invitation. Idempotent by event id. An event that cannot be taken (unknown contact, touchpoint or unit; more than 24 h ' +
    'in the future, a `vendorId` that is not a vendor unit) gets an `error` with its own 4xx status and writes nothing, while the others are processed. 200 when at least ' +
    'one event has a decision, else 422 (with the same body).',
  security,
  middleware: [authenticate] as const,
  request: { body: jsonBody(EventBatch) },
  responses: { 200: json(EventResults, 'Decisions'), 422: json(EventResults, 'No event could be taken'), ...errors(...AUTHED) },
});

export const eventRoutes = createRouter().openapi(ingest, async (c) => {
  requireAnywhere(deps(c), 'event.ingest', 'sending events');
  const results = await ingestEvents(deps(c), c.req.valid('json').events);
  return c.json({ results }, results.some((r) => 'decision' in r) ? 200 : 422);
});
