import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { RESPONSE_CHANNELS } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { ScoresQuery } from '../scores/scores-query';
import { CATEGORIES, listResponses } from './listing';
import { moderate, readResponse } from './moderation';
import { QUALITY_FLAGS } from './quality';

const ResponseSchema = z
  .object({
    id: z.string(),
    invitationId: z.string().nullable().openapi({ description: 'null for answers through an anonymous touchpoint link' }),
    touchpointId: z.string(),
    unitId: z.string(),
    contactId: z.string().nullable().openapi({ description: 'null for anonymous answers, erased contacts, and when the role does not read verbatims' }),
    surveyId: z.string(),
    surveyVersion: z.number().int(),
    channel: z.enum(RESPONSE_CHANNELS),
    locale: z.string(),
    score: z.number().int().nullable(),
    category: z.enum(['detractor', 'passive', 'promoter']).nullable(),
    comment: z.string().nullable().openapi({ description: 'null also when the role does not read verbatims' }),
    answers: z.record(z.string(), z.unknown()),
    qualityFlags: z.array(z.enum(QUALITY_FLAGS)).openapi({ description: 'Why the answer was not counted when it came (docs/capture.md)' }),
    counted: z.boolean().openapi({ description: 'Whether the answer counts in scores' }),
    answeredAt: z.string().nullable().openapi({ format: 'date-time' }),
    createdAt: z.string().openapi({ format: 'date-time' }),
    updatedAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Response');

const Reason = z.strictObject({ reason: z.string().trim().min(3).max(500).openapi({ description: 'Why: kept in the audit trail' }) }).openapi('ModerationReason');

export const ResponsesQuery = z
  .strictObject({
    unitId: z.string().min(1).max(64).optional().openapi({ description: 'The unit with its subtree; default everything in reach' }),
    from: ScoresQuery.shape.from.openapi({ description: "First local day (the unit's time zone, as scores count), inclusive" }),
    to: ScoresQuery.shape.to.openapi({ description: 'Last local day, inclusive' }),
    touchpoint: z.string().min(1).max(64).optional().openapi({ description: 'A touchpoint key or id' }),
    vendorId: z.string().min(1).max(64).optional().openapi({
      description: "Only answers whose job this vendor unit performed (docs/dimensions.md); a vendor's users list their own vendor's answers at every unit, another vendor answers 404",
    }),
    channel: z.enum(RESPONSE_CHANNELS).optional(),
    category: z.enum(CATEGORIES).optional(),
    excluded: z.enum(['true', 'false', 'all']).default('all').openapi({ description: '`true`: only answers not counted (excluded or flagged); `false`: only counted ones' }),
    hasComment: z.enum(['true', 'false']).optional().openapi({ description: 'With (or without) a comment; limits the list to units where the caller reads verbatims' }),
    q: z.string().trim().min(1).max(200).optional().openapi({
      description:
        "Words to find in the comment or the customer's name: every word must occur (case-insensitive for ASCII letters). Like hasComment, limits the list to units where the caller reads verbatims (403 for roles that read none)",
    }),
    cursor: z.string().min(1).max(400).optional().openapi({ description: '`nextCursor` of the previous page, with the same filters' }),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .superRefine((q, ctx) => {
    if (q.from && q.to && q.from > q.to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after `to`' });
  });

const ListItem = z
  .object({
    id: z.string(),
    unitId: z.string(),
    unitName: z.string(),
    touchpointId: z.string(),
    touchpoint: z.string().openapi({ description: 'The touchpoint key' }),
    touchpointName: z.string().openapi({ description: 'The touchpoint name' }),
    channel: z.enum(RESPONSE_CHANNELS),
    locale: z.string(),
    score: z.number().int().nullable(),
    category: z.enum(CATEGORIES).nullable(),
    contactName: z
      .string()
      .nullable()
      .optional()
      .openapi({ description: "The customer's name (the contact's `name` attribute), null when unknown; absent when the role does not read verbatims on the unit" }),
    caseId: z.string().nullable().openapi({ description: 'The recovery case opened for the answer; null when none, or when the role does not read cases on the unit' }),
    answeredAt: z.string().openapi({ format: 'date-time' }),
    excluded: z.boolean().openapi({ description: 'Not counted in scores: excluded by an admin, or flagged on capture (see qualityFlags)' }),
    exclusionReason: z.string().nullable().openapi({ description: "The admin's reason when an admin excluded it" }),
    qualityFlags: z.array(z.enum(QUALITY_FLAGS)),
    comment: z.string().nullable().optional().openapi({ description: 'Absent when the role does not read verbatims on the unit' }),
    answers: z.record(z.string(), z.unknown()).openapi({ description: 'Other answers; free-text ones only with verbatims' }),
    vendorId: z.string().nullable().openapi({ description: 'The vendor unit that performed the job, from its event (docs/dimensions.md)' }),
    agentId: z.string().nullable().openapi({ description: 'The agent who handled the job, from its event' }),
  })
  .openapi('ResponseListItem');

const tags = ['responses'];
const routes = {
  list: createRoute({
    method: 'get',
    path: '/api/v1/responses',
    tags,
    summary: 'Answers in reach, newest first, filtered and paged by cursor',
    description:
      'Roles that read responses (admin, analyst, manager, vendor) within their reach; a unit outside it answers 404. The comment and free-text answers only where the role reads verbatims (admin, analyst, manager): for others the field is absent. Ordered by the time of the answer, newest first; `nextCursor` continues with the same filters (any other cursor answers 400).',
    security,
    middleware: [authenticate] as const,
    request: { query: ResponsesQuery },
    responses: { 200: json(z.object({ items: z.array(ListItem), nextCursor: z.string().nullable() }), 'One page'), ...errors(...AUTHED) },
  }),
  get: createRoute({
    method: 'get',
    path: '/api/v1/responses/{id}',
    tags,
    summary: 'One response: score, comment, answers, quality flags, whether it counts',
    description:
      'Roles that read responses (admin, analyst, manager, vendor) within reach of its unit; the comment and free-text answers only for roles that read verbatims (admin, analyst, manager).',
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam },
    responses: { 200: json(ResponseSchema, 'The response'), ...errors(...AUTHED) },
  }),
  exclude: createRoute({
    method: 'post',
    path: '/api/v1/responses/{id}/exclude',
    tags,
    summary: 'Exclude a response from scores (counted = false), with a reason',
    description: 'Audited with the reason; the affected rollups are recomputed. Excluding an excluded response changes nothing but is audited again.',
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam, body: jsonBody(Reason) },
    responses: { 200: json(ResponseSchema, 'The response'), ...errors(...AUTHED) },
  }),
  include: createRoute({
    method: 'post',
    path: '/api/v1/responses/{id}/include',
    tags,
    summary: 'Include a response in scores (counted = true) even when flagged, with a reason',
    description:
      'Audited with the reason and the flags the admin overrode; the affected rollups are recomputed. An answer that now counts gets the follow-up it would have had on capture: a detractor (or a passive where the touchpoint says so) opens its recovery case, once.',
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam, body: jsonBody(Reason) },
    responses: { 200: json(ResponseSchema, 'The response'), ...errors(...AUTHED) },
  }),
};

export const responseRoutes = createRouter()
  .openapi(routes.list, async (c) => c.json(await listResponses(deps(c), c.req.valid('query')), 200))
  .openapi(routes.get, async (c) => c.json(await readResponse(deps(c), c.req.valid('param').id), 200))
  .openapi(routes.exclude, async (c) => c.json(await moderate(deps(c), c.req.valid('param').id, c.req.valid('json').reason, false), 200))
  .openapi(routes.include, async (c) => c.json(await moderate(deps(c), c.req.valid('param').id, c.req.valid('json').reason, true), 200));
