import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq, gte, lt, sql } from 'drizzle-orm';
import { authenticate } from '../auth/authenticate';
import { can, seesRespondent } from '../auth/policy';
import { contacts, responses, touchpoints, units } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { ApiError } from '../lib/errors';
import { AUTHED, errors, security } from '../lib/openapi';
import { reportUnit } from '../org/scope';
import { categorize } from '../scoring/nps';
import { localDay } from '../scores/local-day';
import { csvLine } from './csv';
import { ScoresQuery } from '../scores/routes';
import { scoreReport } from '../scores/report';

/** Rows read per round trip while streaming: memory stays constant whatever the export's size. */
const PAGE = 2000;
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');
const Query = z.object({
  unitId: z.string().min(1).max(64).optional(),
  from: day.optional(),
  to: day.optional(),
  includeUncounted: z.enum(['true', 'false']).default('false').openapi({ description: 'Also rows that do not count (flagged or excluded), with their flags' }),
});

const csv = { description: 'CSV (RFC 4180, UTF-8), streamed', content: { 'text/csv': { schema: z.string() } } };
const responsesCsv = createRoute({
  method: 'get',
  path: '/api/v1/exports/responses.csv',
  tags: ['exports'],
  summary: "Every response in reach as CSV, streamed; the comment column, and the contact's external id and lifetime value, only for roles that read verbatims",
  security,
  middleware: [authenticate] as const,
  request: { query: Query },
  responses: { 200: csv, ...errors(...AUTHED) },
});

const scoresCsv = createRoute({
  method: 'get',
  path: '/api/v1/exports/scores.csv',
  tags: ['exports'],
  summary: 'The scores of GET /api/v1/scores (same filters) as CSV',
  security,
  middleware: [authenticate] as const,
  request: { query: ScoresQuery },
  responses: { 200: csv, ...errors(...AUTHED, 422) },
});

const SCORE_COLUMNS = [
  'key',
  'period',
  'nps',
  'n',
  'promoters',
  'passives',
  'detractors',
  'ci_low',
  'ci_high',
  'ci_level',
  'effective_n',
  'suppressed',
  'suppressed_reason',
  'delta_points',
  'delta_p',
];

const COLUMNS = [
  'id',
  'created_at',
  'local_day',
  'unit_id',
  'unit_name',
  'touchpoint',
  'channel',
  'locale',
  'survey_id',
  'survey_version',
  'contact_external_id',
  'segment',
  'lifetime_value',
  'score',
  'category',
  'counted',
  'quality_flags',
];

/** The scores CSV of scoreReport's items: this export and saved reports (src/reports) write it here. */
export function scoresCsvBody(items: Awaited<ReturnType<typeof scoreReport>>): string {
  let body = csvLine(SCORE_COLUMNS);
  for (const i of items)
    body += csvLine([
      i.key,
      i.period ?? null,
      i.nps,
      i.n,
      i.promoters,
      i.passives,
      i.detractors,
      i.ci?.low ?? null,
      i.ci?.high ?? null,
      i.ci?.level ?? null,
      i.effectiveN ?? null,
      i.suppressed,
      i.suppressedReason ?? null,
      i.delta?.points ?? null,
      i.delta?.p ?? null,
    ]);
  return body;
}

export const exportRoutes = createRouter()
  .openapi(scoresCsv, async (c) => {
    const body = scoresCsvBody(await scoreReport(deps(c), c.req.valid('query')));
    return new Response(body, { headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="scores.csv"', 'x-request-id': c.get('requestId') } }) as never;
  })
  .openapi(responsesCsv, async (c) => {
    const q = c.req.valid('query');
    const actor = c.get('actor');
    const db = c.get('db');
    const unit = await reportUnit(deps(c), q.unitId);
    if (!can(actor, 'response.read', unit.path)) throw new ApiError('FORBIDDEN', 'your role does not read individual responses');
    const verbatims = seesRespondent(actor, unit.path);
    const header = csvLine(verbatims ? [...COLUMNS, 'comment'] : COLUMNS);
    // Created within 14 h of the local range; the unit's local day is checked exactly per row.
    const start = q.from ? Date.parse(`${q.from}T00:00:00Z`) - 14 * 3600_000 : 0;
    const end = q.to ? Date.parse(`${q.to}T23:59:59.999Z`) + 14 * 3600_000 : Number.MAX_SAFE_INTEGER;
    const tenantId = actor.tenantId;
    const subtree = and(gte(units.path, unit.path), lt(units.path, `${unit.path.slice(0, -1)}0`));
    let after = 0;
    const encoder = new TextEncoder();

    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(header));
      },
      // Pull-based: the next page is read only when the client has taken the previous one.
      async pull(controller) {
        const rows = await db
          .select({
            seq: sql<number>`${responses}.rowid`,
            id: responses.id,
            createdAt: responses.createdAt,
            timezone: units.timezone,
            unitPath: units.path,
            unitId: responses.unitId,
            unitName: units.name,
            touchpoint: touchpoints.key,
            channel: responses.channel,
            locale: responses.locale,
            surveyId: responses.surveyId,
            surveyVersion: responses.surveyVersion,
            contact: contacts.externalId,
            segment: responses.segment,
            lifetimeValue: responses.lifetimeValue,
            score: responses.score,
            counted: responses.counted,
            flags: responses.qualityFlags,
            comment: responses.comment,
          })
          .from(responses)
          .innerJoin(units, and(eq(units.id, responses.unitId), eq(units.tenantId, responses.tenantId)))
          .innerJoin(touchpoints, and(eq(touchpoints.id, responses.touchpointId), eq(touchpoints.tenantId, responses.tenantId)))
          .leftJoin(contacts, and(eq(contacts.id, responses.contactId), eq(contacts.tenantId, responses.tenantId)))
          .where(
            and(
              eq(responses.tenantId, tenantId),
              sql`${responses}.rowid > ${after}`,
              subtree,
              sql`${responses.createdAt} between ${start} and ${end}`,
              q.includeUncounted === 'true' ? undefined : eq(responses.counted, true),
            ),
          )
          .orderBy(asc(sql`${responses}.rowid`))
          .limit(PAGE);
        let chunk = '';
        for (const r of rows) {
          const local = localDay(r.createdAt, r.timezone);
          if ((q.from && local < q.from) || (q.to && local > q.to)) continue;
          // Who answered (external id, lifetime value) and what they wrote: behind the same gate as the responses API.
          const person = seesRespondent(actor, r.unitPath);
          const fields = [
            r.id,
            new Date(r.createdAt).toISOString(),
            local,
            r.unitId,
            r.unitName,
            r.touchpoint,
            r.channel,
            r.locale,
            r.surveyId,
            r.surveyVersion,
            person ? r.contact : null,
            r.segment,
            person ? r.lifetimeValue : null,
            r.score,
            r.score === null ? null : categorize(r.score),
            r.counted,
            r.flags.join(' '),
          ];
          chunk += csvLine(verbatims ? [...fields, person ? r.comment : null] : fields);
        }
        if (chunk) controller.enqueue(encoder.encode(chunk));
        if (rows.length < PAGE) controller.close();
        else after = rows[rows.length - 1]!.seq;
      },
    });
    return new Response(stream, {
      headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="responses-${unit.id}.csv"`, 'x-request-id': c.get('requestId') },
    }) as never;
  });
