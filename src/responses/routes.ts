import { createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { audit } from '../audit/record';
import { authenticate } from '../auth/authenticate';
import { can, type Action } from '../auth/policy';
import { commit } from '../db/client';
import { CHANNELS, responses, surveyVersions, units } from '../db/schema';
import { createRouter, type AppContext } from '../lib/create-app';
import { forbidden, notFound } from '../lib/errors';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { categorize } from '../scoring/nps';
import { cellOf, recomputeCells } from '../scores/fold';
import type { Definition } from '../surveys/definition';
import { QUALITY_FLAGS } from './quality';

const ResponseSchema = z
  .object({
    id: z.string(),
    invitationId: z.string().nullable().openapi({ description: 'null for answers through an anonymous touchpoint link' }),
    touchpointId: z.string(),
    unitId: z.string(),
    contactId: z.string().nullable(),
    surveyId: z.string(),
    surveyVersion: z.number().int(),
    channel: z.enum(CHANNELS),
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

const row = (db: AppContext['var']['db'], tenantId: string, id: string) =>
  db
    .select({ r: responses, unitPath: units.path, timezone: units.timezone, definition: surveyVersions.definition })
    .from(responses)
    .innerJoin(units, and(eq(units.tenantId, responses.tenantId), eq(units.id, responses.unitId)))
    .leftJoin(surveyVersions, and(eq(surveyVersions.tenantId, responses.tenantId), eq(surveyVersions.surveyId, responses.surveyId), eq(surveyVersions.version, responses.surveyVersion)))
    .where(and(eq(responses.tenantId, tenantId), eq(responses.id, id)));

type Row = Awaited<ReturnType<typeof row>>[number];

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The response as the caller may see it: verbatims (the comment, and the answers to the
 * survey's other comment questions) only for roles that read verbatims (policy `verbatim.read`).
 */
function present(found: Row, verbatims = true) {
  const r = found.r;
  const textIds = new Set(((found.definition as unknown as Definition | null)?.questions ?? []).filter((q) => q.type === 'comment').map((q) => q.id));
  const answers = verbatims ? r.answers : Object.fromEntries(Object.entries(r.answers).filter(([id]) => !textIds.has(id)));
  return {
    id: r.id,
    invitationId: r.invitationId,
    touchpointId: r.touchpointId,
    unitId: r.unitId,
    contactId: r.contactId,
    surveyId: r.surveyId,
    surveyVersion: r.surveyVersion,
    channel: r.channel,
    locale: r.locale,
    score: r.score,
    category: r.score === null ? null : categorize(r.score),
    comment: verbatims ? r.comment : null,
    answers,
    qualityFlags: r.qualityFlags as (typeof QUALITY_FLAGS)[number][],
    counted: r.counted,
    answeredAt: iso(r.answeredAt),
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
  };
}

/** The response if the caller may `action` on its unit: 404 outside the caller's reach (not disclosed), 403 within it. */
async function permitted(c: AppContext, id: string, action: Action): Promise<Row> {
  const actor = c.get('actor');
  const [found] = await row(c.get('db'), actor.tenantId, id);
  if (!found || !can(actor, 'unit.read', found.unitPath)) throw notFound('response');
  if (!can(actor, action, found.unitPath)) throw forbidden(action === 'response.read' ? 'your role does not read individual responses' : 'only an admin may include or exclude responses');
  return found;
}

const tags = ['responses'];
const routes = {
  get: createRoute({
    method: 'get',
    path: '/api/v1/responses/{id}',
    tags,
    summary: 'One response: score, comment, answers, quality flags, whether it counts',
    description: 'Roles that read responses (admin, analyst, manager, vendor) within reach of its unit; the comment and free-text answers only for roles that read verbatims (admin, analyst, manager).',
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
    description: 'Audited with the reason and the flags the admin overrode; the affected rollups are recomputed.',
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam, body: jsonBody(Reason) },
    responses: { 200: json(ResponseSchema, 'The response'), ...errors(...AUTHED) },
  }),
};

async function moderate(c: AppContext, id: string, reason: string, counted: boolean) {
  const db = c.get('db');
  const found = await permitted(c, id, 'response.moderate');
  const before = present(found);
  const now = Date.now();
  const after = { ...before, counted, updatedAt: new Date(now).toISOString() };
  await commit(db, [
    db
      .update(responses)
      .set({ counted, updatedAt: now })
      .where(and(eq(responses.tenantId, found.r.tenantId), eq(responses.id, id))),
    ...(await audit(c, {
      action: counted ? 'response.include' : 'response.exclude',
      targetType: 'response',
      targetId: id,
      before,
      after,
      details: { reason, counted, wasCounted: before.counted, qualityFlags: before.qualityFlags },
    })),
  ]);
  // The answer's rollup cell, if already folded, is rebuilt from the raw answers.
  if (found.r.score !== null) {
    await recomputeCells(db, found.r.tenantId, [cellOf({ ...found.r, segment: found.r.segment ?? '', timezone: found.timezone })]);
  }
  return after;
}

export const responseRoutes = createRouter()
  .openapi(routes.get, async (c) => {
    const found = await permitted(c, c.req.valid('param').id, 'response.read');
    return c.json(present(found, can(c.get('actor'), 'verbatim.read', found.unitPath)), 200);
  })
  .openapi(routes.exclude, async (c) => c.json(await moderate(c, c.req.valid('param').id, c.req.valid('json').reason, false), 200))
  .openapi(routes.include, async (c) => c.json(await moderate(c, c.req.valid('param').id, c.req.valid('json').reason, true), 200));
