import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { authenticate } from '../auth/authenticate';
import { requireAnywhere } from '../auth/tenant-wide';
import { surveys } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { ApiError, notFound } from '../lib/errors';
import { base64url } from '../lib/ids';
import { AUTHED, errors, IdParam, jsonBody, security } from '../lib/openapi';
import { scorePage } from '../survey-page/render';
import { DefinitionSchema, missingTexts, type Definition } from './definition';

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
  requireAnywhere(deps(c), 'program.read', 'previewing surveys');
  const { locale, draft } = c.req.valid('json');
  const survey = await c
    .get('db')
    .select()
    .from(surveys)
    .where(and(eq(surveys.tenantId, c.get('actor').tenantId), eq(surveys.id, c.req.valid('param').id)))
    .limit(1)
    .get();
  if (!survey) throw notFound('survey');
  const definition = draft ?? (survey.draft as Definition);
  const locales = [...new Set([survey.defaultLocale, ...Object.keys(definition.translations)])];
  if (!locales.includes(locale)) throw new ApiError('UNPROCESSABLE', `the draft has no texts in "${locale}"; add the locale first`, { locales });
  const missing = missingTexts(definition, survey.defaultLocale)[locale]?.length ?? 0;
  const banner =
    `Preview (${locale}): this form cannot be sent — it has no survey link.` +
    (missing ? ` ${missing} text${missing === 1 ? '' : 's'} missing in ${locale}${locale === survey.defaultLocale ? '' : `, shown in ${survey.defaultLocale} where it has them`}.` : '');
  const nonce = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const page = await scorePage({ definition, defaultLocale: survey.defaultLocale, locale, action: '', state: '', nonce, preview: { banner } });
  c.header('cache-control', 'no-store');
  c.header('x-content-type-options', 'nosniff');
  // Opened on its own, the page stays inert: no script, no form target, sandboxed.
  c.header('content-security-policy', `default-src 'none'; style-src 'nonce-${nonce}'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox`);
  return c.html(page, 200);
});
