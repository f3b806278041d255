import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { MEASURE_DIRECTIONS, MEASURE_SOURCES } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { ApiError } from '../lib/errors';
import { deps } from '../lib/deps';
import { AUTHED, errors, json, jsonBody, security } from '../lib/openapi';
import { createMeasure, listMeasures, MEASURE_KEY } from './measures';
import { efficiencyQuadrant, kpiCorrelation, measureSeries } from './correlation';
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
    source: z.enum(MEASURE_SOURCES).openapi({
      description:
        '`event`: a numeric event attribute, linked to the answer its event invited; `unit`: a daily series per unit; `account`: a daily behaviour signal per B2B account (docs/accounts.md)',
    }),
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

const DAY = 86_400_000;
const day = z.iso.date();
const rangeQuery = {
  unitId: z.string().min(1).max(64).optional().openapi({ description: 'The unit whose children are compared; default the root' }),
  from: day.optional().openapi({ description: 'First local day, inclusive' }),
  to: day.optional().openapi({ description: "Last local day, inclusive; default the unit's local today" }),
};
const inOrder = (q: { from?: string; to?: string }) => !(q.from && q.to && q.from > q.to);
const withinCap = (q: { from?: string; to?: string }) => !(q.from && q.to && Date.parse(q.to) - Date.parse(q.from) > 3 * 366 * DAY);
const PeriodQuery = z
  .strictObject({ ...rangeQuery, period: z.enum(['week', 'month']).default('month') })
  .refine(inOrder, { path: ['from'], message: 'must not be after `to`' })
  .refine(withinCap, { path: ['from'], message: 'at most three years per query' });
const RangeQuery = z
  .strictObject(rangeQuery)
  .refine(inOrder, { path: ['from'], message: 'must not be after `to`' })
  .refine(withinCap, { path: ['from'], message: 'at most three years per query' });

const Correlation = z
  .object({
    measure: z.string(),
    unitId: z.string(),
    from: z.string(),
    to: z.string(),
    period: z.enum(['week', 'month']),
    rho: z.number().nullable().openapi({ description: "Spearman's ρ between the period's NPS and the measure's mean in the same period, over the children × periods" }),
    p: z.number().nullable().openapi({ description: 'Two-sided p of ρ' }),
    pairs: z.number().int().openapi({ description: '(child, period) pairs with both an NPS (not suppressed) and the measure' }),
    lags: z
      .array(z.object({ lag: z.number().int(), rho: z.number().nullable(), p: z.number().nullable() }))
      .openapi({ description: 'lag > 0: the measure leading NPS by that many periods; lag < 0: lagging it' }),
    relation: z
      .enum(['leading', 'lagging', 'concurrent'])
      .nullable()
      .openapi({ description: 'By the strongest lag significant at 0.05/7 (Bonferroni over the seven lags) with at least 20 pairs; null for none' }),
    lag: z.number().int().nullable().openapi({ description: 'The lag the relation is named by' }),
  })
  .openapi('KpiCorrelation');

const SeriesPoint = z.object({ unitId: z.string(), period: z.string(), nps: z.number().nullable(), n: z.number().int(), measure: z.number().nullable() });
const Series = z.object({ measure: z.string(), unitId: z.string(), from: z.string(), to: z.string(), period: z.enum(['week', 'month']), items: z.array(SeriesPoint) }).openapi('MeasureSeries');

const QuadrantSchema = z
  .object({
    measure: z.string(),
    direction: z.enum(MEASURE_DIRECTIONS),
    unitId: z.string(),
    from: z.string(),
    to: z.string(),
    minN: z.number().int(),
    medians: z.object({ nps: z.number().nullable(), measure: z.number().nullable() }),
    items: z.array(
      z.object({
        unitId: z.string(),
        name: z.string(),
        nps: z.number().nullable(),
        ci: z.object({ low: z.number(), high: z.number(), level: z.number() }).nullable(),
        n: z.number().int(),
        suppressed: z.boolean(),
        measure: z.number().nullable(),
        quadrant: z.enum(['high_nps_efficient', 'high_nps_inefficient', 'low_nps_efficient', 'low_nps_inefficient']).nullable(),
      }),
    ),
  })
  .openapi('EfficiencyQuadrant');

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
  correlation: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/measures/{key}/correlation',
    summary: "Spearman's ρ of NPS and a measure over the unit's children × periods, with leads and lags of 1–3 periods",
    description: 'score.read on the unit (a manager: its subtree). Default range: the 365 days to today. docs/drivers.md "KPI correlation".',
    request: { params: KeyParam, query: PeriodQuery },
    responses: { 200: json(Correlation, 'The correlation and its lag profile'), ...errors(...AUTHED) },
  }),
  series: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/measures/{key}/series',
    summary: "NPS and the measure's mean per child unit and period",
    request: { params: KeyParam, query: PeriodQuery },
    responses: { 200: json(Series, 'Both series'), ...errors(...AUTHED) },
  }),
  quadrant: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/measures/{key}/quadrant',
    summary: 'The efficiency quadrant: each child unit by its NPS and the measure, against the medians',
    description: 'Default range: the 90 days to today. docs/drivers.md "Efficiency quadrant".',
    request: { params: KeyParam, query: RangeQuery },
    responses: { 200: json(QuadrantSchema, 'The quadrant'), ...errors(...AUTHED) },
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
  })
  .openapi(routes.correlation, async (c) => c.json(await kpiCorrelation(deps(c), c.req.valid('param').key, c.req.valid('query')), 200))
  .openapi(routes.series, async (c) => c.json(await measureSeries(deps(c), c.req.valid('param').key, c.req.valid('query')), 200))
  .openapi(routes.quadrant, async (c) => c.json(await efficiencyQuadrant(deps(c), c.req.valid('param').key, c.req.valid('query')), 200));
