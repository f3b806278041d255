import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { RESPONSE_CHANNELS } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, json, jsonBody, security } from '../lib/openapi';
import { importResponses, MAX_IMPORT } from './import';

// Loose on purpose: each answer is checked on its own (src/responses/import.ts), and one that is not right is reported, not the whole call refused.
const ImportedAnswer = z
  .object({
    externalId: z.unknown().openapi({ type: 'string', description: "The other system's id: a replay of it changes nothing" }),
    answeredAt: z.unknown().openapi({ type: 'string', format: 'date-time' }),
    unitId: z.unknown().openapi({ type: 'string' }),
    touchpoint: z.unknown().openapi({ type: 'string', description: 'The touchpoint key' }),
    channel: z.unknown().openapi({ type: 'string', enum: [...RESPONSE_CHANNELS] }),
    contactId: z.unknown().optional().openapi({ type: 'string', description: "The contact's external id (upserted before)" }),
    score: z.unknown().openapi({ type: 'integer', minimum: 0, maximum: 10 }),
    comment: z.unknown().optional().openapi({ type: 'string' }),
    answers: z.unknown().optional().openapi({ type: 'object', description: "By question id of the touchpoint's published survey" }),
    event: z.unknown().optional().openapi({ type: 'object', description: '`{"attributes":{…}}`: the operational facts of the service moment (event measures)' }),
  })
  .openapi('ImportedAnswer');

const ImportBody = z.strictObject({ responses: z.array(ImportedAnswer) }).openapi('ResponseImport');

const Result = z.union([
  z.object({
    row: z.number().int(),
    externalId: z.string(),
    status: z.enum(['imported', 'unchanged']),
    responseId: z.string(),
    counted: z.boolean(),
    qualityFlags: z.array(z.string()),
  }),
  z.object({ row: z.number().int(), externalId: z.string().optional(), error: z.object({ code: z.string(), message: z.string(), status: z.number().int() }) }),
]);

const ImportResult = z.object({ imported: z.number().int(), unchanged: z.number().int(), rejected: z.number().int(), results: z.array(Result) }).openapi('ResponseImportResult');

const importRoute = createRoute({
  method: 'post',
  path: '/api/v1/responses/import',
  tags: ['responses'],
  summary: `Import up to ${MAX_IMPORT} answers collected elsewhere: a previous survey vendor, an IVR system, paper`,
  description:
    'Admin of the units. Each answer becomes a response of the touchpoint’s published survey dated `answeredAt`, folded into that day’s rollups as a late answer; ' +
    'checked like a captured one (score 0–10, answers against the survey, the contact’s test and employee flags). Idempotent by `externalId`. ' +
    `Each answer that is not right gets its own 4xx in \`results\`; the others commit together, audited. Over ${MAX_IMPORT}: 413, nothing imported. No recovery case is opened for imported answers (docs/capture.md).`,
  security,
  middleware: [authenticate] as const,
  request: { body: jsonBody(ImportBody) },
  responses: { 200: json(ImportResult, 'What was imported, replayed and refused, answer by answer'), ...errors(...AUTHED) },
});

export const responseImportRoutes = createRouter().openapi(importRoute, async (c) => c.json(await importResponses(deps(c), c.req.valid('json').responses), 200));
