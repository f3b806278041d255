import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import { audit } from '../audit/record';
import { authenticate } from '../auth/authenticate';
import { can, reach, seesRespondent, type Action } from '../auth/policy';
import { purposeKey } from '../auth/purpose-key';
import { commit } from '../db/client';
import { auditLog, CHANNELS, responses, surveyVersions, touchpoints, units } from '../db/schema';
import { opensCase } from '../cases/follow-up';
import { TouchpointRulesSchema } from '../touchpoints/rules';
import { capturedMessage, enqueueCaptured } from './capture';
import { createRouter, type AppContext } from '../lib/create-app';
import { ApiError, forbidden, notFound } from '../lib/errors';
import { base64url } from '../lib/ids';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { getUnit } from '../org/units';
import { categorize, type Category } from '../scoring/nps';
import { cellOf, recomputeCells } from '../scores/fold';
import { ScoresQuery } from '../scores/scores-query';
import type { Definition } from '../surveys/definition';
import { clip, createdOnLocalDays, intersect, underAny } from './local-range';
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

const CATEGORIES = ['promoter', 'passive', 'detractor'] as const;
/** The scores of a category, from the scoring module (the one place that knows 9-10 / 7-8 / 0-6). */
const scoresOf = (category: Category) => Array.from({ length: 11 }, (_, s) => s).filter((s) => categorize(s) === category);

export const ResponsesQuery = z
  .strictObject({
    unitId: z.string().min(1).max(64).optional().openapi({ description: 'The unit with its subtree; default everything in reach' }),
    from: ScoresQuery.shape.from.openapi({ description: "First local day (the unit's time zone, as scores count), inclusive" }),
    to: ScoresQuery.shape.to.openapi({ description: 'Last local day, inclusive' }),
    touchpoint: z.string().min(1).max(64).optional().openapi({ description: 'A touchpoint key or id' }),
    channel: z.enum(CHANNELS).optional(),
    category: z.enum(CATEGORIES).optional(),
    excluded: z.enum(['true', 'false', 'all']).default('all').openapi({ description: '`true`: only answers not counted (excluded or flagged); `false`: only counted ones' }),
    hasComment: z.enum(['true', 'false']).optional().openapi({ description: 'With (or without) a comment; limits the list to units where the caller reads verbatims' }),
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
    channel: z.enum(CHANNELS),
    locale: z.string(),
    score: z.number().int().nullable(),
    category: z.enum(CATEGORIES).nullable(),
    answeredAt: z.string().openapi({ format: 'date-time' }),
    excluded: z.boolean().openapi({ description: 'Not counted in scores: excluded by an admin, or flagged on capture (see qualityFlags)' }),
    exclusionReason: z.string().nullable().openapi({ description: "The admin's reason when an admin excluded it" }),
    qualityFlags: z.array(z.enum(QUALITY_FLAGS)),
    comment: z.string().nullable().optional().openapi({ description: 'Absent when the role does not read verbatims on the unit' }),
    answers: z.record(z.string(), z.unknown()).openapi({ description: 'Other answers; free-text ones only with verbatims' }),
  })
  .openapi('ResponseListItem');

/** A cursor is (created_at, id) of the last item, signed with the filters it was made for: anything else is refused. */
async function cursorSignature(c: AppContext, at: number, id: string, filters: string): Promise<string> {
  const key = await purposeKey(c.get('config').jwtKeys[0]!.secret, 'responses-cursor');
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`responses-cursor|${c.get('actor').tenantId}|${at}|${id}|${filters}`));
  return base64url(new Uint8Array(mac).slice(0, 16));
}

async function makeCursor(c: AppContext, at: number, id: string, filters: string): Promise<string> {
  return base64url(new TextEncoder().encode(JSON.stringify([at, id, await cursorSignature(c, at, id, filters)])));
}

async function readCursor(c: AppContext, cursor: string, filters: string): Promise<{ at: number; id: string }> {
  const bad = new ApiError('VALIDATION_FAILED', 'the request is not valid', [{ path: 'query.cursor', message: 'not a cursor of this list with these filters' }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(atob(cursor.replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    throw bad;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || !Number.isSafeInteger(parsed[0]) || typeof parsed[1] !== 'string' || typeof parsed[2] !== 'string') throw bad;
  const [at, id, sig] = parsed as [number, string, string];
  if (sig !== (await cursorSignature(c, at, id, filters))) throw bad;
  return { at, id };
}

/**
 * One page of answers within the caller's `response.read` reach, newest first. Comments and
 * free-text answers per row only where the caller reads verbatims, as for one response.
 */
async function listResponses(c: AppContext, q: z.infer<typeof ResponsesQuery>) {
  const actor = c.get('actor');
  const db = c.get('db');
  let paths = reach(actor, 'response.read');
  if (q.unitId) {
    const unit = await getUnit(c.get('tdb'), q.unitId);
    if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
    paths = clip(paths, unit.path);
  }
  if (paths.length === 0) throw forbidden('your role does not read individual responses');
  // Filtering on comments would disclose which answers have one: only where verbatims are read.
  if (q.hasComment) {
    paths = intersect(paths, reach(actor, 'verbatim.read'));
    if (paths.length === 0) throw forbidden('your role does not read verbatims');
  }
  const { cursor: _c, limit: _l, ...filterFields } = q;
  const filters = JSON.stringify(Object.entries(filterFields).sort(([a], [b]) => a.localeCompare(b)));
  const after = q.cursor ? await readCursor(c, q.cursor, filters) : undefined;
  const hasText = sql`${responses.comment} is not null and trim(${responses.comment}) <> ''`;
  const rows = await db
    .select({
      id: responses.id,
      unitId: responses.unitId,
      unitName: units.name,
      unitPath: units.path,
      touchpointId: responses.touchpointId,
      touchpoint: touchpoints.key,
      surveyId: responses.surveyId,
      surveyVersion: responses.surveyVersion,
      channel: responses.channel,
      locale: responses.locale,
      score: responses.score,
      comment: responses.comment,
      answers: responses.answers,
      qualityFlags: responses.qualityFlags,
      counted: responses.counted,
      createdAt: responses.createdAt,
    })
    .from(responses)
    .innerJoin(units, and(eq(units.tenantId, responses.tenantId), eq(units.id, responses.unitId)))
    .innerJoin(touchpoints, and(eq(touchpoints.tenantId, responses.tenantId), eq(touchpoints.id, responses.touchpointId)))
    .where(
      and(
        eq(responses.tenantId, actor.tenantId),
        underAny(paths),
        await createdOnLocalDays(c.get('tdb'), paths, q.from, q.to),
        q.touchpoint ? or(eq(touchpoints.key, q.touchpoint), eq(touchpoints.id, q.touchpoint)) : undefined,
        q.channel ? eq(responses.channel, q.channel) : undefined,
        q.category ? inArray(responses.score, scoresOf(q.category)) : undefined,
        q.excluded === 'all' ? undefined : eq(responses.counted, q.excluded === 'false'),
        q.hasComment === 'true' ? hasText : q.hasComment === 'false' ? sql`not (${hasText})` : undefined,
        after ? or(lt(responses.createdAt, after.at), and(eq(responses.createdAt, after.at), lt(responses.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(responses.createdAt), desc(responses.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const ids = page.map((r) => r.id);
  const versions = [...new Set(page.map((r) => `${r.surveyId}\u0000${r.surveyVersion}`))].map((k) => k.split('\u0000') as [string, string]);
  const [definitions, moderations] =
    page.length === 0
      ? [[], []]
      : await db.batch([
          db
            .select({ surveyId: surveyVersions.surveyId, version: surveyVersions.version, definition: surveyVersions.definition })
            .from(surveyVersions)
            .where(and(eq(surveyVersions.tenantId, actor.tenantId), or(...versions.map(([s, v]) => and(eq(surveyVersions.surveyId, s), eq(surveyVersions.version, Number(v))))))),
          // The admin's reason lives in the audit row of the exclusion: the latest moderation per answer.
          db
            .select({ targetId: auditLog.targetId, action: auditLog.action, details: auditLog.details })
            .from(auditLog)
            .where(and(eq(auditLog.tenantId, actor.tenantId), eq(auditLog.targetType, 'response'), inArray(auditLog.targetId, ids), inArray(auditLog.action, ['response.exclude', 'response.include'])))
            .orderBy(desc(auditLog.createdAt), desc(auditLog.id)),
        ]);
  const definitionOf = new Map(definitions.map((d) => [`${d.surveyId}\u0000${d.version}`, d.definition]));
  const lastModeration = new Map<string, { action: string; details: Record<string, unknown> | null }>();
  for (const m of moderations) if (!lastModeration.has(m.targetId)) lastModeration.set(m.targetId, m);
  const items = page.map((r) => {
    const verbatims = seesRespondent(actor, r.unitPath);
    const m = lastModeration.get(r.id);
    const reason = !r.counted && m?.action === 'response.exclude' && typeof m.details?.reason === 'string' ? m.details.reason : null;
    return {
      id: r.id,
      unitId: r.unitId,
      unitName: r.unitName,
      touchpointId: r.touchpointId,
      touchpoint: r.touchpoint,
      channel: r.channel,
      locale: r.locale,
      score: r.score,
      category: r.score === null ? null : categorize(r.score),
      answeredAt: new Date(r.createdAt).toISOString(),
      excluded: !r.counted,
      exclusionReason: reason,
      qualityFlags: r.qualityFlags as (typeof QUALITY_FLAGS)[number][],
      ...(verbatims ? { comment: r.comment } : {}),
      answers: visibleAnswers(definitionOf.get(`${r.surveyId}\u0000${r.surveyVersion}`) ?? null, r.answers, verbatims),
    };
  });
  const last = page[page.length - 1];
  return { items, nextCursor: rows.length > q.limit && last ? await makeCursor(c, last.createdAt, last.id, filters) : null };
}

const row = (db: AppContext['var']['db'], tenantId: string, id: string) =>
  db
    .select({ r: responses, unitPath: units.path, timezone: units.timezone, definition: surveyVersions.definition, rules: touchpoints.rules })
    .from(responses)
    .innerJoin(units, and(eq(units.tenantId, responses.tenantId), eq(units.id, responses.unitId)))
    .leftJoin(touchpoints, and(eq(touchpoints.tenantId, responses.tenantId), eq(touchpoints.id, responses.touchpointId)))
    .leftJoin(surveyVersions, and(eq(surveyVersions.tenantId, responses.tenantId), eq(surveyVersions.surveyId, responses.surveyId), eq(surveyVersions.version, responses.surveyVersion)))
    .where(and(eq(responses.tenantId, tenantId), eq(responses.id, id)));

type Row = Awaited<ReturnType<typeof row>>[number];

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The answers a caller may see: free-text ones (the survey's comment questions) only with verbatims. */
function visibleAnswers(definition: unknown, answers: Record<string, unknown>, verbatims: boolean) {
  if (verbatims) return answers;
  const textIds = new Set(((definition as Definition | null)?.questions ?? []).filter((q) => q.type === 'comment').map((q) => q.id));
  return Object.fromEntries(Object.entries(answers).filter(([id]) => !textIds.has(id)));
}

/**
 * The response as the caller may see it: verbatims (the comment, and the answers to the
 * survey's other comment questions) and the contact only for those who see the respondent
 * (policy `seesRespondent`).
 */
function present(found: Row, verbatims = true) {
  const r = found.r;
  const answers = visibleAnswers(found.definition, r.answers, verbatims);
  return {
    id: r.id,
    invitationId: r.invitationId,
    touchpointId: r.touchpointId,
    unitId: r.unitId,
    contactId: verbatims ? r.contactId : null,
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
    ...(await audit(deps(c), {
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
    await recomputeCells(c.get('tdb'), [cellOf({ ...found.r, segment: found.r.segment ?? '', timezone: found.timezone })]);
  }
  // Counted now, it gets the follow-up capture gave it none of: its case, through the normal
  // message (the follow-up opens one case per answer, however often this runs).
  const includePassives = TouchpointRulesSchema.safeParse(found.rules ?? {}).data?.includePassives ?? false;
  if (counted && !found.r.counted && opensCase({ score: found.r.score, counted }, includePassives)) {
    await enqueueCaptured(c.env, capturedMessage(found.r.tenantId, id, found.unitPath));
  }
  return after;
}

export const responseRoutes = createRouter()
  .openapi(routes.list, async (c) => c.json(await listResponses(c, c.req.valid('query')), 200))
  .openapi(routes.get, async (c) => {
    const found = await permitted(c, c.req.valid('param').id, 'response.read');
    return c.json(present(found, seesRespondent(c.get('actor'), found.unitPath)), 200);
  })
  .openapi(routes.exclude, async (c) => c.json(await moderate(c, c.req.valid('param').id, c.req.valid('json').reason, false), 200))
  .openapi(routes.include, async (c) => c.json(await moderate(c, c.req.valid('param').id, c.req.valid('json').reason, true), 200));
