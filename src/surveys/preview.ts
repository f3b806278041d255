import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, IdParam, jsonBody, security } from '../lib/openapi';
import { DefinitionSchema } from './definition';
import { previewSurvey } from './design';

const PreviewBody = z
  .strictObject({
    locale: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a BCP 47 language tag such as en, de or pt-BR'),
    draft: DefinitionSchema.optional().openapi({ description: 'The unsaved draft, validated as in PATCH; omit for the stored draft' }),
  })
  .openapi('SurveyPreview');

const route = createRoute({
  method: 'post',
  path: '/api/v1/surveys/{id}/preview',
  tags: ['surveys'],
  summary: 'The hosted survey page of a draft, as a respondent would see it in one locale',
  description:
    'Rendered by the survey page itself, with a banner saying it is a preview and a form that cannot be sent (no link token, no action, no script). Changes nothing. 422 when the draft has no texts in the locale.',
  security,
  middleware: [authenticate] as const,
  request: { params: IdParam, body: jsonBody(PreviewBody) },
  responses: { 200: { description: 'The page (HTML)', content: { 'text/html': { schema: z.string() } } }, ...errors(...AUTHED, 422) },
});

/**
 * POST rather than GET: the editor sends its unsaved draft. Reading survey designs is enough
 * (program.read: admin, analyst, manager) since nothing is stored and the stored draft is
 * readable through GET /api/v1/surveys/{id} anyway.
 */
export const surveyPreviewRoutes = createRouter().openapi(route, async (c) => {
  const { page, nonce } = await previewSurvey(deps(c), c.req.valid('param').id, c.req.valid('json'));
  c.header('cache-control', 'no-store');
  c.header('x-content-type-options', 'nosniff');
  // Opened on its own, the page stays inert: no script, no form target, sandboxed.
  c.header('content-security-policy', `default-src 'none'; style-src 'nonce-${nonce}'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox`);
  return c.html(page, 200);
});
