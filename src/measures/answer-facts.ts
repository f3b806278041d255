import { and, eq, type SQL, sql } from 'drizzle-orm';
import { commentAnalyses, events, responses, surveyVersions, units } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import { inSubtree } from '../org/units';
import { createdOnLocalDays } from '../responses/local-range';

/*
 * The operational facts of each answer: the numeric attributes of its event (the one that invited
 * it, which capture keeps on the answer, or an imported answer's own) and its numeric follow-up
 * answers (CSAT 1–5, CES 1–7). The event is read by its primary key; nothing is copied, so keeping
 * event measures costs no row written per answer (docs/drivers.md).
 */

/** A JSON value as a number: integers and reals as they are, true as 1 and false as 0, anything else null. */
function numeric(json: SQL, path: string): SQL<number | null> {
  return sql<
    number | null
  >`case json_type(${json}, ${path}) when 'integer' then json_extract(${json}, ${path}) when 'real' then json_extract(${json}, ${path}) when 'true' then 1 when 'false' then 0 end`;
}

/** An event measure's value on an answer, from its event. */
export const eventFact = (key: string) => numeric(sql`${events.attributes}`, `$.${key}`);

/**
 * Whether the answer's analysed comment mentions a library theme: 1 or 0, and null for an answer
 * without an analysed comment (no comment, or not analysed yet). Needs `{ analyses: true }`.
 * The stored tags are a JSON array of theme ids (ids have no quote), so a quoted id found in
 * the text is a tag.
 */
export const themeFact = (themeId: string) =>
  sql<number | null>`case when ${commentAnalyses.id} is null then null when instr(${commentAnalyses.themes}, ${JSON.stringify(themeId)}) > 0 then 1 else 0 end`;

/** A numeric follow-up question's answer. */
export const questionFact = (id: string) => sql<number | null>`case json_type(${responses.answers}, ${`$.${id}`}) when 'integer' then json_extract(${responses.answers}, ${`$.${id}`}) end`;

export interface AnswerScope {
  path: string;
  from: string;
  to: string;
  touchpointId?: string;
}

/**
 * A select over the counted, scored answers of a subtree on the local days [from, to], joined
 * to their unit and to the event that carries their facts; `fields` picks what to read. Wrapped
 * (`{ query }`): a drizzle query is thenable and would run if returned bare from an async function.
 */
export async function answersWithFacts(t: TenantDb, scope: AnswerScope, fields: Record<string, SQL>, opts: { analyses?: boolean } = {}) {
  const days = await createdOnLocalDays(t, [scope.path], scope.from, scope.to);
  const joined = t.select(fields).from(responses).innerJoin(units, eq(units.id, responses.unitId)).leftJoin(events, eq(events.id, responses.eventId)).$dynamic();
  // The stored analysis of the answer's comment (its id is the response's): one primary-key probe per answer.
  const query = (opts.analyses ? joined.leftJoin(commentAnalyses, and(eq(commentAnalyses.id, responses.id), eq(commentAnalyses.kind, 'response'))) : joined).where(
    and(inSubtree(scope.path), days, eq(responses.counted, true), sql`${responses.score} is not null`, scope.touchpointId ? eq(responses.touchpointId, scope.touchpointId) : undefined),
  );
  return { query };
}

/** The ids of the numeric follow-up questions (CSAT, CES) of the tenant's published surveys (of one survey when given). */
export async function numericQuestions(t: TenantDb, surveyId?: string): Promise<string[]> {
  const rows = await t
    .select({ definition: surveyVersions.definition })
    .from(surveyVersions)
    .where(surveyId ? eq(surveyVersions.surveyId, surveyId) : undefined);
  const ids = new Set<string>();
  for (const r of rows) {
    const questions = (r.definition as { questions?: { id: string; type: string }[] }).questions ?? [];
    for (const q of questions) if (q.type === 'csat' || q.type === 'ces') ids.add(q.id);
  }
  return [...ids].sort();
}
