import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, desc, eq } from 'drizzle-orm';
import { audit } from '../audit/record';
import { authenticate } from '../auth/authenticate';
import { requireAnywhere, requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import { surveys, surveyVersions } from '../db/schema';
import { createRouter, type AppContext } from '../lib/create-app';
import { ApiError, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { DefinitionSchema, missingTexts, requiredTexts, type Definition } from './definition';
import { standardSurvey } from './templates';

const locale = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a BCP 47 language tag such as en, de or pt-BR');

const SurveySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    defaultLocale: z.string(),
    draft: z.unknown().openapi({ description: 'The editable definition: `{questions, translations}`' }),
    publishedVersion: z.number().int().nullable(),
    /** Texts the draft still lacks per locale; publishing needs none missing. */
    missingTexts: z.record(z.string(), z.array(z.string())),
    /** The text keys every locale of the draft needs (the editor's rows; other keys are optional). */
    requiredTexts: z.array(z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Survey');

const VersionSchema = z.object({ surveyId: z.string(), version: z.number().int(), definition: z.unknown(), publishedBy: z.string().nullable(), publishedAt: z.string() }).openapi('SurveyVersion');

const CreateSurvey = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    defaultLocale: locale.default('en'),
    definition: DefinitionSchema.optional().openapi({ description: 'Omit for the standard NPS survey (recommend question and a comment by category, en and de)' }),
  })
  .openapi('CreateSurvey');
const UpdateSurvey = z
  .strictObject({ name: z.string().trim().min(1).max(200).optional(), defaultLocale: locale.optional(), definition: DefinitionSchema.optional() })
  .refine((b) => Object.keys(b).length > 0, 'give at least one field to change')
  .openapi('UpdateSurvey');
const VersionParams = IdParam.extend({
  version: z.coerce
    .number()
    .int()
    .min(1)
    .openapi({ param: { name: 'version', in: 'path' } }),
});

type SurveyRow = typeof surveys.$inferSelect;
const present = (s: SurveyRow) => ({
  id: s.id,
  name: s.name,
  defaultLocale: s.defaultLocale,
  draft: s.draft,
  publishedVersion: s.publishedVersion,
  missingTexts: missingTexts(s.draft as Definition, s.defaultLocale),
  requiredTexts: requiredTexts(s.draft as Definition),
  createdAt: new Date(s.createdAt).toISOString(),
  updatedAt: new Date(s.updatedAt).toISOString(),
});

async function findSurvey(c: AppContext, id: string) {
  const tenantId = c.get('actor').tenantId;
  const survey = await c
    .get('db')
    .select()
    .from(surveys)
    .where(and(eq(surveys.tenantId, tenantId), eq(surveys.id, id)))
    .limit(1)
    .get();
  if (!survey) throw notFound('survey');
  return survey;
}

const canonical = (d: unknown) => JSON.stringify(d);

const tags = ['surveys'];
const routes = {
  list: createRoute({
    method: 'get',
    path: '/api/v1/surveys',
    tags,
    summary: 'Surveys of the tenant',
    security,
    middleware: [authenticate] as const,
    responses: { 200: json(z.object({ items: z.array(SurveySchema) }), 'Surveys'), ...errors(...AUTHED) },
  }),
  create: createRoute({
    method: 'post',
    path: '/api/v1/surveys',
    tags,
    summary: 'Create a survey (a draft)',
    security,
    middleware: [authenticate] as const,
    request: { body: jsonBody(CreateSurvey) },
    responses: { 201: json(SurveySchema, 'Created'), ...errors(...AUTHED) },
  }),
  get: createRoute({
    method: 'get',
    path: '/api/v1/surveys/{id}',
    tags,
    summary: 'A survey with its draft',
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam },
    responses: { 200: json(SurveySchema, 'The survey'), ...errors(...AUTHED) },
  }),
  update: createRoute({
    method: 'patch',
    path: '/api/v1/surveys/{id}',
    tags,
    summary: 'Edit the draft, the name or the default locale',
    description: 'Published versions never change; publish again to make the draft live.',
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam, body: jsonBody(UpdateSurvey) },
    responses: { 200: json(SurveySchema, 'Updated'), ...errors(...AUTHED) },
  }),
  publish: createRoute({
    method: 'post',
    path: '/api/v1/surveys/{id}/publish',
    tags,
    summary: 'Publish the draft as a new immutable version',
    description: 'Fails with 422 listing, per locale, every text the draft lacks. Publishing an unchanged draft answers the current version.',
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam },
    responses: {
      201: json(z.object({ version: z.number().int() }), 'Published'),
      200: json(z.object({ version: z.number().int(), unchanged: z.literal(true) }), 'Nothing changed since the last version'),
      ...errors(...AUTHED, 422),
    },
  }),
  versions: createRoute({
    method: 'get',
    path: '/api/v1/surveys/{id}/versions',
    tags,
    summary: 'Every published version, newest first',
    security,
    middleware: [authenticate] as const,
    request: { params: IdParam },
    responses: { 200: json(z.object({ items: z.array(VersionSchema) }), 'Versions'), ...errors(...AUTHED) },
  }),
  version: createRoute({
    method: 'get',
    path: '/api/v1/surveys/{id}/versions/{version}',
    tags,
    summary: 'One published version, as answered (retired questions stay readable here)',
    security,
    middleware: [authenticate] as const,
    request: { params: VersionParams },
    responses: { 200: json(VersionSchema, 'The version'), ...errors(...AUTHED) },
  }),
};

const presentVersion = (v: typeof surveyVersions.$inferSelect) => ({
  surveyId: v.surveyId,
  version: v.version,
  definition: v.definition,
  publishedBy: v.publishedBy,
  publishedAt: new Date(v.createdAt).toISOString(),
});

export const surveyRoutes = createRouter()
  .openapi(routes.list, async (c) => {
    requireAnywhere(deps(c), 'program.read', 'reading surveys');
    const rows = await c
      .get('db')
      .select()
      .from(surveys)
      .where(eq(surveys.tenantId, c.get('actor').tenantId))
      .orderBy(asc(surveys.createdAt));
    return c.json({ items: rows.map(present) }, 200);
  })
  .openapi(routes.create, async (c) => {
    await requireTenantWide(deps(c), 'program.write', 'designing surveys');
    const body = c.req.valid('json');
    const db = c.get('db');
    const now = Date.now();
    const survey: SurveyRow = {
      id: newId('srv'),
      tenantId: c.get('actor').tenantId,
      name: body.name,
      defaultLocale: body.defaultLocale,
      draft: body.definition ?? standardSurvey(body.name),
      publishedVersion: null,
      createdAt: now,
      updatedAt: now,
    };
    await commit(db, [db.insert(surveys).values(survey), ...(await audit(deps(c), { action: 'survey.create', targetType: 'survey', targetId: survey.id, after: survey }))]);
    return c.json(present(survey), 201);
  })
  .openapi(routes.get, async (c) => {
    requireAnywhere(deps(c), 'program.read', 'reading surveys');
    return c.json(present(await findSurvey(c, c.req.valid('param').id)), 200);
  })
  .openapi(routes.update, async (c) => {
    await requireTenantWide(deps(c), 'program.write', 'designing surveys');
    const patch = c.req.valid('json');
    const db = c.get('db');
    const survey = await findSurvey(c, c.req.valid('param').id);
    const after: SurveyRow = { ...survey, name: patch.name ?? survey.name, defaultLocale: patch.defaultLocale ?? survey.defaultLocale, draft: patch.definition ?? survey.draft, updatedAt: Date.now() };
    await commit(db, [
      db
        .update(surveys)
        .set({ name: after.name, defaultLocale: after.defaultLocale, draft: after.draft, updatedAt: after.updatedAt })
        .where(and(eq(surveys.tenantId, survey.tenantId), eq(surveys.id, survey.id))),
      ...(await audit(deps(c), { action: 'survey.update', targetType: 'survey', targetId: survey.id, before: survey, after, details: { changed: Object.keys(patch) } })),
    ]);
    return c.json(present(after), 200);
  })
  .openapi(routes.publish, async (c) => {
    await requireTenantWide(deps(c), 'program.write', 'publishing surveys');
    const db = c.get('db');
    const survey = await findSurvey(c, c.req.valid('param').id);
    const draft = survey.draft as Definition;
    const missing = missingTexts(draft, survey.defaultLocale);
    if (Object.keys(missing).length > 0) throw new ApiError('UNPROCESSABLE', 'the draft lacks texts; add them before publishing', { missing });
    if (survey.publishedVersion !== null) {
      const [latest] = await db
        .select({ definition: surveyVersions.definition })
        .from(surveyVersions)
        .where(and(eq(surveyVersions.tenantId, survey.tenantId), eq(surveyVersions.surveyId, survey.id), eq(surveyVersions.version, survey.publishedVersion)));
      if (latest && canonical(latest.definition) === canonical(draft)) return c.json({ version: survey.publishedVersion, unchanged: true as const }, 200);
    }
    const version = (survey.publishedVersion ?? 0) + 1;
    const now = Date.now();
    const actor = c.get('actor');
    try {
      await commit(db, [
        db.insert(surveyVersions).values({ id: newId('srv_v'), tenantId: survey.tenantId, surveyId: survey.id, version, definition: draft, publishedBy: actor.id, createdAt: now }),
        // Guarded by the version read above: a concurrent publish of the same version fails the unique index instead.
        db
          .update(surveys)
          .set({ publishedVersion: version, updatedAt: now })
          .where(and(eq(surveys.tenantId, survey.tenantId), eq(surveys.id, survey.id))),
        ...(await audit(deps(c), { action: 'survey.publish', targetType: 'survey', targetId: survey.id, after: { version, definition: draft }, details: { version } })),
      ]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ApiError('CONFLICT', 'another publish of this survey happened at the same time; try again');
      throw err;
    }
    return c.json({ version }, 201);
  })
  .openapi(routes.versions, async (c) => {
    requireAnywhere(deps(c), 'program.read', 'reading surveys');
    const survey = await findSurvey(c, c.req.valid('param').id);
    const rows = await c
      .get('db')
      .select()
      .from(surveyVersions)
      .where(and(eq(surveyVersions.tenantId, survey.tenantId), eq(surveyVersions.surveyId, survey.id)))
      .orderBy(desc(surveyVersions.version));
    return c.json({ items: rows.map(presentVersion) }, 200);
  })
  .openapi(routes.version, async (c) => {
    requireAnywhere(deps(c), 'program.read', 'reading surveys');
    const { id, version } = c.req.valid('param');
    const survey = await findSurvey(c, id);
    const [row] = await c
      .get('db')
      .select()
      .from(surveyVersions)
      .where(and(eq(surveyVersions.tenantId, survey.tenantId), eq(surveyVersions.surveyId, survey.id), eq(surveyVersions.version, version)));
    if (!row) throw notFound('survey version');
    return c.json(presentVersion(row), 200);
  });
