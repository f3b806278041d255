import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { MEASURE_DIRECTIONS, MEASURE_SOURCES } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { ApiError } from '../lib/errors';
import { deps } from '../lib/deps';
import { AUTHED, errors, json, jsonBody, security } from '../lib/openapi';
import { createMeasure, listMeasures, MEASURE_KEY } from './measures';
import { MAX_VALUES, putValues } from './values';

const tags = ['measures'];

const Measure = z
  .object({
    key: z.string(),
    name: z.string(),
    unit: z.string(),
    direction: z.enum(MEASURE_DIRECTIONS),
    source: z.enum(MEASURE_SOURCES),
    createdAt: z.string(),
  })
  .openapi('Measure');

const NewMeasure = z
  .strictObject({
    key: z
      .string()
      .regex(MEASURE_KEY, 'a letter, then letters, digits or _ (at most 64)')
      .openapi({ description: 'For an event measure: the event attribute of that name (e.g. `resolutionHours`)', example: 'resolutionHours' }),
    name: z.string().trim().min(1).max(120),
    unit: z.string().trim().min(1).max(40).openapi({ description: 'What the numbers are in: hours, minutes, %, 0/1…' }),
    direction: z.enum(MEASURE_DIRECTIONS),
    source: z.enum(MEASURE_SOURCES).openapi({ description: '`event`: a numeric event attribute, linked to the answer its event invited; `unit`: a daily series per unit' }),
  })
  .openapi('NewMeasure');

export const KeyParam = z.object({
  key: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'key', in: 'path' } }),
});

// Loose on purpose: each row is checked on its own, and one that is not right is reported, not the whole call refused.
const ValueRow = z
  .object({
    unitId: z.unknown().openapi({ type: 'string' }),
    date: z.unknown().openapi({ type: 'string', description: 'YYYY-MM-DD, the local day' }),
    value: z.unknown().openapi({ type: 'number' }),
  })
  .openapi('MeasureValue', { description: 'Checked row by row: a row that is not right is reported in `rejected`, the others are loaded' });
const Values = z.strictObject({ values: z.array(ValueRow) }).openapi('MeasureValues');

const ValuesResult = z
  .object({
    accepted: z.number().int(),
    rejected: z.array(
      z.object({
        row: z.number().int().openapi({ description: 'The index in `values` from 1, or the CSV line (the header is line 1)' }),
        unitId: z.string().optional(),
        date: z.string().optional(),
        reason: z.string(),
      }),
    ),
  })
  .openapi('MeasureValuesResult');

const routes = {
  create: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'post',
    path: '/api/v1/measures',
    summary: 'Define an operational measure: an event attribute or a daily series per unit',
    description: 'Root admin. A key already defined answers 409. Audited.',
    request: { body: jsonBody(NewMeasure) },
    responses: { 201: json(Measure, 'Defined'), ...errors(...AUTHED, 409) },
  }),
  list: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/measures',
    summary: "The tenant's measures",
    responses: { 200: json(z.object({ items: z.array(Measure) }), 'Measures, by key'), ...errors(...AUTHED) },
  }),
  values: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'put',
    path: '/api/v1/measures/{key}/values',
    summary: `Load up to ${MAX_VALUES} daily values of a unit measure`,
    description:
      'JSON `{"values":[{"unitId","date","value"}]}` or CSV (`text/csv`, a header with `unitId`, `date` and `value`). Idempotent per (unit, date): a repeat replaces the value. ' +
      'Each row that is not right (a unit not found or outside your reach, a date that is not a calendar day or out of range, a value that is not a number, a repeat of a unit and date of the call) ' +
      `is listed with its reason; the others commit together, audited. Over ${MAX_VALUES} rows: 413, nothing loaded. An event measure answers 422.`,
    request: {
      params: KeyParam,
      // Not `required`: the JSON validator then leaves a CSV body alone (the body guard has checked the type).
      body: { required: false, content: { 'application/json': { schema: Values }, 'text/csv': { schema: z.string() } } },
    },
    responses: { 200: json(ValuesResult, 'What was loaded and what was refused'), ...errors(...AUTHED, 422) },
  }),
};

export const measureRoutes = createRouter()
  .openapi(routes.create, async (c) => c.json(await createMeasure(deps(c), c.req.valid('json')), 201))
  .openapi(routes.list, async (c) => c.json({ items: await listMeasures(deps(c)) }, 200))
  .openapi(routes.values, async (c) => {
    const { key } = c.req.valid('param');
    // The body guard has checked the type against its table (JSON or CSV).
    const csv = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase() === 'text/csv';
    const body = csv ? undefined : (c.req.valid('json') as { values: unknown[] } | undefined);
    if (!csv && !body) throw new ApiError('VALIDATION_FAILED', 'the request is not valid', [{ path: 'body', message: 'a JSON body with `values`, or CSV' }]);
    const input = csv ? { type: 'csv' as const, body: await c.req.text() } : { type: 'json' as const, values: body!.values };
    return c.json(await putValues(deps(c), key, input), 200);
  });
