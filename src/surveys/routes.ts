import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { DefinitionSchema } from './definition';
import { createSurvey, listSurveys, listVersions, publishSurvey, readSurvey, readVersion, updateSurvey } from './design';

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

export const surveyRoutes = createRouter()
  .openapi(routes.list, async (c) => c.json(await listSurveys(deps(c)), 200))
  .openapi(routes.create, async (c) => c.json(await createSurvey(deps(c), c.req.valid('json')), 201))
  .openapi(routes.get, async (c) => c.json(await readSurvey(deps(c), c.req.valid('param').id), 200))
  .openapi(routes.update, async (c) => c.json(await updateSurvey(deps(c), c.req.valid('param').id, c.req.valid('json')), 200))
  .openapi(routes.publish, async (c) => {
    const { version, unchanged } = await publishSurvey(deps(c), c.req.valid('param').id);
    return unchanged ? c.json({ version, unchanged }, 200) : c.json({ version }, 201);
  })
  .openapi(routes.versions, async (c) => c.json(await listVersions(deps(c), c.req.valid('param').id), 200))
  .openapi(routes.version, async (c) => {
    const { id, version } = c.req.valid('param');
    return c.json(await readVersion(deps(c), id, version), 200);
  });
