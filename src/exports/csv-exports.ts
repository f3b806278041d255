import { and, asc, eq, gte, inArray, lt, or, sql } from 'drizzle-orm';
import { can, seesRespondent } from '../auth/policy';
import { contacts, responses, touchpoints, units } from '../db/schema';
import type { Deps } from '../lib/deps';
import { ApiError } from '../lib/errors';
import { reportUnit } from '../org/scope';
import { categorize } from '../scoring/nps';
import { localDay } from '../scores/local-day';
import { scoreReport } from '../scores/report';
import type { ScoresQuery } from '../scores/scores-query';
import { type CATEGORIES, scoresOf, searchCondition } from '../responses/listing';
import { csvLine, scoresCsvBody } from './csv';

/** Rows read per round trip while streaming: memory stays constant whatever the export's size. */
const PAGE = 2000;

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

/** The scores of GET /api/v1/scores for the caller, as CSV. */
export async function exportScoresCsv(d: Deps, q: ScoresQuery): Promise<string> {
  return scoresCsvBody(await scoreReport(d, q));
}

export interface ResponsesExport {
  unitId?: string;
  /** Local days, inclusive, YYYY-MM-DD. */
  from?: string;
  to?: string;
  includeUncounted: 'true' | 'false';
  touchpoint?: string;
  category?: (typeof CATEGORIES)[number];
  q?: string;
}

/**
 * Every response in the caller's reach under the unit as CSV, streamed page by page as the
 * client reads: the contact's external id, lifetime value and comment only where the caller
 * sees respondents. Answers the unit exported and the stream.
 */
export async function exportResponsesCsv(d: Deps, q: ResponsesExport): Promise<{ unitId: string; stream: ReadableStream<Uint8Array> }> {
  const { t, actor } = d;
  const unit = await reportUnit(d, q.unitId);
  if (!can(actor, 'response.read', unit.path)) throw new ApiError('FORBIDDEN', 'your role does not read individual responses');
  const verbatims = seesRespondent(actor, unit.path);
  // Searching comments and names discloses them: only where the whole unit's verbatims are read.
  if (q.q && !verbatims) throw new ApiError('FORBIDDEN', 'your role does not read verbatims');
  const header = csvLine(verbatims ? [...COLUMNS, 'comment'] : COLUMNS);
  // Created within 14 h of the local range; the unit's local day is checked exactly per row.
  const start = q.from ? Date.parse(`${q.from}T00:00:00Z`) - 14 * 3600_000 : 0;
  const end = q.to ? Date.parse(`${q.to}T23:59:59.999Z`) + 14 * 3600_000 : Number.MAX_SAFE_INTEGER;
  const subtree = and(gte(units.path, unit.path), lt(units.path, `${unit.path.slice(0, -1)}0`));
  let after = 0;
  const encoder = new TextEncoder();

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(header));
    },
    // Pull-based: the next page is read only when the client has taken the previous one.
    async pull(controller) {
      const rows = await t
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
        .innerJoin(units, eq(units.id, responses.unitId))
        .innerJoin(touchpoints, eq(touchpoints.id, responses.touchpointId))
        .leftJoin(contacts, eq(contacts.id, responses.contactId))
        .where(
          and(
            sql`${responses}.rowid > ${after}`,
            subtree,
            sql`${responses.createdAt} between ${start} and ${end}`,
            q.includeUncounted === 'true' ? undefined : eq(responses.counted, true),
            q.touchpoint ? or(eq(touchpoints.key, q.touchpoint), eq(touchpoints.id, q.touchpoint)) : undefined,
            q.category ? inArray(responses.score, scoresOf(q.category)) : undefined,
            q.q ? searchCondition(q.q) : undefined,
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
  return { unitId: unit.id, stream };
}
