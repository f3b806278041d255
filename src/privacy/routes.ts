import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { ContactSchema, ExternalIdParam, presentContact } from '../contacts/contact';
import { CASE_STATUSES, CHANNELS, INVITATION_STATUSES, RESPONSE_CHANNELS } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { AUTHED, errors, json, security } from '../lib/openapi';
import { eraseContact, exportContact } from './erasure';

const at = z.string().openapi({ format: 'date-time' });
const Holdings = z
  .object({
    contact: ContactSchema,
    events: z.array(
      z.object({
        eventId: z.string(),
        type: z.string(),
        occurredAt: at,
        unitId: z.string().nullable(),
        touchpointId: z.string().nullable(),
        attributes: z.record(z.string(), z.unknown()),
        decision: z.enum(['invite', 'skip']),
        reason: z.string(),
        invitationId: z.string().nullable(),
      }),
    ),
    invitations: z.array(
      z.object({
        id: z.string(),
        unitId: z.string(),
        touchpointId: z.string(),
        channel: z.enum(CHANNELS),
        locale: z.string().nullable(),
        status: z.enum(INVITATION_STATUSES),
        sentAt: at.nullable(),
        expiresAt: at,
        createdAt: at,
      }),
    ),
    responses: z.array(
      z.object({
        id: z.string(),
        invitationId: z.string().nullable(),
        unitId: z.string(),
        touchpointId: z.string(),
        surveyId: z.string(),
        surveyVersion: z.number().int(),
        channel: z.enum(RESPONSE_CHANNELS),
        locale: z.string(),
        score: z.number().int().nullable(),
        comment: z.string().nullable(),
        answers: z.record(z.string(), z.unknown()),
        counted: z.boolean(),
        segment: z.string().nullable(),
        lifetimeValue: z.number().nullable(),
        answeredAt: at.nullable(),
        createdAt: at,
      }),
    ),
    cases: z.array(
      z.object({
        id: z.string(),
        responseId: z.string(),
        unitId: z.string(),
        status: z.enum(CASE_STATUSES),
        score: z.number().int(),
        rootCause: z.string().nullable(),
        tags: z.array(z.string()),
        createdAt: at,
        timeline: z.array(
          z.object({ type: z.string(), fromStatus: z.string().nullable(), toStatus: z.string().nullable(), note: z.string().nullable(), reason: z.string().nullable(), createdAt: at }),
        ),
      }),
    ),
    exportedAt: at,
  })
  .openapi('ContactHoldings');

const tags = ['contacts'];
const routes = {
  export: createRoute({
    method: 'get',
    path: '/api/v1/contacts/{externalId}/export',
    tags,
    summary: 'Everything held about one contact (right of access), as JSON',
    description:
      'The contact, the events and invitations naming them, their answers with comments, and the cases opened from them with their timelines. Root admin; audited (`contact.export`). docs/privacy.md.',
    security,
    middleware: [authenticate] as const,
    request: { params: ExternalIdParam },
    responses: { 200: json(Holdings, 'What is held about the contact'), ...errors(...AUTHED) },
  }),
  erase: createRoute({
    method: 'delete',
    path: '/api/v1/contacts/{externalId}',
    tags,
    summary: 'Erase one contact (right to erasure); their scores stay counted, anonymously',
    description:
      'Deletes the contact and their invitations (their survey links answer 404), and removes from their answers the comment, free-text and hidden answers and every link to them; the case notes and reasons of their cases go too. ' +
      'Scores and rollups do not change. Audited (`contact.erase`, with a keyed hash of the external id) in the same batch; webhook subscribers get `contact.erased`. ' +
      'A contact created later with the same external id is a new contact with no link to the erased answers. Root admin. docs/privacy.md.',
    security,
    middleware: [authenticate] as const,
    request: { params: ExternalIdParam },
    responses: { 204: { description: 'Erased' }, ...errors(...AUTHED) },
  }),
};

export const privacyRoutes = createRouter()
  .openapi(routes.export, async (c) => {
    const { contact, holdings } = await exportContact(deps(c), c.req.valid('param').externalId);
    return c.json({ contact: presentContact(contact), ...holdings, exportedAt: new Date().toISOString() }, 200);
  })
  .openapi(routes.erase, async (c) => {
    await eraseContact(deps(c), c.req.valid('param').externalId);
    return c.body(null, 204);
  });
