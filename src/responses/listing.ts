import { and, desc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import { can, reach, seesRespondent } from '../auth/policy';
import { purposeKey } from '../auth/purpose-key';
import { auditLog, cases, contacts, responses, surveyVersions, touchpoints, units, type ResponseChannel } from '../db/schema';
import type { Deps } from '../lib/deps';
import { ApiError, forbidden, notFound } from '../lib/errors';
import { base64url } from '../lib/ids';
import { getRoot, getUnit } from '../org/units';
import { categorize, type Category } from '../scoring/nps';
import { clip, createdOnLocalDays, intersect, underAny } from './local-range';
import { visibleAnswers } from './moderation';
import type { QUALITY_FLAGS } from './quality';

export const CATEGORIES = ['promoter', 'passive', 'detractor'] as const;
/** The scores of a category, from the scoring module (the one place that knows 9-10 / 7-8 / 0-6). */
export const scoresOf = (category: Category) => Array.from({ length: 11 }, (_, s) => s).filter((s) => categorize(s) === category);

/** The filters of a page of answers (GET /api/v1/responses), validated. */
export interface ResponseFilters {
  unitId?: string;
  from?: string;
  to?: string;
  touchpoint?: string;
  vendorId?: string;
  channel?: ResponseChannel;
  category?: (typeof CATEGORIES)[number];
  excluded: 'true' | 'false' | 'all';
  hasComment?: 'true' | 'false';
  /** Words in the comment or the customer's name (case-insensitive); only where verbatims are read. */
  q?: string;
  cursor?: string;
  limit: number;
}

/** A cursor is (created_at, id) of the last item, signed with the filters it was made for: anything else is refused. */
async function cursorSignature({ config, actor }: Deps, at: number, id: string, filters: string): Promise<string> {
  const key = await purposeKey(config.jwtKeys[0]!.secret, 'responses-cursor');
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`responses-cursor|${actor.tenantId}|${at}|${id}|${filters}`));
  return base64url(new Uint8Array(mac).slice(0, 16));
}

async function makeCursor(d: Deps, at: number, id: string, filters: string): Promise<string> {
  return base64url(new TextEncoder().encode(JSON.stringify([at, id, await cursorSignature(d, at, id, filters)])));
}

async function readCursor(d: Deps, cursor: string, filters: string): Promise<{ at: number; id: string }> {
  const bad = new ApiError('VALIDATION_FAILED', 'the request is not valid', [{ path: 'query.cursor', message: 'not a cursor of this list with these filters' }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(atob(cursor.replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    throw bad;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || !Number.isSafeInteger(parsed[0]) || typeof parsed[1] !== 'string' || typeof parsed[2] !== 'string') throw bad;
  const [at, id, sig] = parsed as [number, string, string];
  if (sig !== (await cursorSignature(d, at, id, filters))) throw bad;
  return { at, id };
}

/** The customer's name: the contact's `name` attribute (contacts joined). */
const contactNameSql = sql<string | null>`json_extract(${contacts.attributes}, '$.name')`;

/** Every word of the search in the comment or the customer's name, case-insensitive (LIKE with the wildcards escaped). */
export function searchCondition(text: string, name = contactNameSql) {
  const words = text.trim().split(/\s+/).filter(Boolean).slice(0, 8);
  return and(
    ...words.map((w) => {
      const pattern = `%${w.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
      return sql`(lower(coalesce(${responses.comment}, '')) like ${pattern} escape '\\' or lower(coalesce(${name}, '')) like ${pattern} escape '\\')`;
    }),
  );
}

/**
 * One page of answers within the caller's `response.read` reach, newest first. Comments and
 * free-text answers per row only where the caller reads verbatims, as for one response.
 */
/**
 * The subtrees a vendor filter lists (docs/dimensions.md): a reader of the vendor unit's
 * responses lists its answers at every unit; callers with other grants within their own reach;
 * a vendor unit that does not exist, or another vendor for a caller with vendor grants only, 404.
 */
async function vendorReach({ t, actor }: Deps, vendorId: string, unitId: string | undefined): Promise<string[] | null> {
  const vendor = await getUnit(t, vendorId);
  if (vendor?.kind !== 'vendor') throw notFound('vendor unit');
  if (!can(actor, 'response.read', vendor.path)) {
    if (actor.grants.every((g) => g.role === 'vendor')) throw notFound('vendor unit');
    return null;
  }
  const unit = unitId === undefined ? await getRoot(t) : await getUnit(t, unitId);
  if (!unit) throw notFound('unit');
  return [unit.path];
}

export async function listResponses(d: Deps, q: ResponseFilters) {
  const { t, actor } = d;
  let paths = reach(actor, 'response.read');
  const vendorPaths = q.vendorId === undefined ? null : await vendorReach(d, q.vendorId, q.unitId);
  if (vendorPaths) paths = vendorPaths;
  else if (q.unitId) {
    const unit = await getUnit(t, q.unitId);
    if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
    paths = clip(paths, unit.path);
  }
  if (paths.length === 0) throw forbidden('your role does not read individual responses');
  // Filtering on comments (or searching them and the customer's name) would disclose what they say: only where verbatims are read.
  if (q.hasComment || q.q) {
    paths = intersect(paths, reach(actor, 'verbatim.read'));
    if (paths.length === 0) throw forbidden('your role does not read verbatims');
  }
  const { cursor: _c, limit: _l, ...filterFields } = q;
  const filters = JSON.stringify(Object.entries(filterFields).sort(([a], [b]) => a.localeCompare(b)));
  const after = q.cursor ? await readCursor(d, q.cursor, filters) : undefined;
  const hasText = sql`${responses.comment} is not null and trim(${responses.comment}) <> ''`;
  const name = contactNameSql;
  const search = q.q ? searchCondition(q.q, name) : undefined;
  const rows = await t
    .select({
      id: responses.id,
      unitId: responses.unitId,
      unitName: units.name,
      unitPath: units.path,
      touchpointId: responses.touchpointId,
      touchpoint: touchpoints.key,
      touchpointName: touchpoints.name,
      contactName: name,
      caseId: cases.id,
      surveyId: responses.surveyId,
      surveyVersion: responses.surveyVersion,
      channel: responses.channel,
      locale: responses.locale,
      score: responses.score,
      comment: responses.comment,
      answers: responses.answers,
      qualityFlags: responses.qualityFlags,
      counted: responses.counted,
      vendorId: responses.vendorId,
      agentId: responses.agentId,
      createdAt: responses.createdAt,
    })
    .from(responses)
    .innerJoin(units, eq(units.id, responses.unitId))
    .innerJoin(touchpoints, eq(touchpoints.id, responses.touchpointId))
    .leftJoin(contacts, eq(contacts.id, responses.contactId))
    .leftJoin(cases, eq(cases.responseId, responses.id))
    .where(
      and(
        underAny(paths),
        search,
        await createdOnLocalDays(t, paths, q.from, q.to),
        q.touchpoint ? or(eq(touchpoints.key, q.touchpoint), eq(touchpoints.id, q.touchpoint)) : undefined,
        q.channel ? eq(responses.channel, q.channel) : undefined,
        q.vendorId ? eq(responses.vendorId, q.vendorId) : undefined,
        q.category ? inArray(responses.score, scoresOf(q.category)) : undefined,
        q.excluded === 'all' ? undefined : eq(responses.counted, q.excluded === 'false'),
        q.hasComment === 'true' ? hasText : q.hasComment === 'false' ? sql`not (${hasText})` : undefined,
        after ? or(lt(responses.createdAt, after.at), and(eq(responses.createdAt, after.at), lt(responses.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(responses.createdAt), desc(responses.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const ids = page.map((r) => r.id);
  const versions = [...new Set(page.map((r) => `${r.surveyId}\u0000${r.surveyVersion}`))].map((k) => k.split('\u0000') as [string, string]);
  const [definitions, moderations] =
    page.length === 0
      ? [[], []]
      : await t.batch([
          t
            .select({ surveyId: surveyVersions.surveyId, version: surveyVersions.version, definition: surveyVersions.definition })
            .from(surveyVersions)
            .where(or(...versions.map(([s, v]) => and(eq(surveyVersions.surveyId, s), eq(surveyVersions.version, Number(v)))))),
          // The admin's reason lives in the audit row of the exclusion: the latest moderation per answer.
          t
            .select({ targetId: auditLog.targetId, action: auditLog.action, details: auditLog.details })
            .from(auditLog)
            .where(and(eq(auditLog.targetType, 'response'), inArray(auditLog.targetId, ids), inArray(auditLog.action, ['response.exclude', 'response.include'])))
            .orderBy(desc(auditLog.createdAt), desc(auditLog.id)),
        ]);
  const definitionOf = new Map(definitions.map((v) => [`${v.surveyId}\u0000${v.version}`, v.definition]));
  const lastModeration = new Map<string, { action: string; details: Record<string, unknown> | null }>();
  for (const m of moderations) if (!lastModeration.has(m.targetId)) lastModeration.set(m.targetId, m);
  const items = page.map((r) => {
    const verbatims = seesRespondent(actor, r.unitPath);
    const m = lastModeration.get(r.id);
    const reason = !r.counted && m?.action === 'response.exclude' && typeof m.details?.reason === 'string' ? m.details.reason : null;
    return {
      id: r.id,
      unitId: r.unitId,
      unitName: r.unitName,
      touchpointId: r.touchpointId,
      touchpoint: r.touchpoint,
      touchpointName: r.touchpointName,
      channel: r.channel,
      locale: r.locale,
      score: r.score,
      category: r.score === null ? null : categorize(r.score),
      answeredAt: new Date(r.createdAt).toISOString(),
      excluded: !r.counted,
      exclusionReason: reason,
      qualityFlags: r.qualityFlags as (typeof QUALITY_FLAGS)[number][],
      ...(verbatims ? { comment: r.comment, contactName: typeof r.contactName === 'string' && r.contactName.trim() ? r.contactName : null } : {}),
      // The case only for those who may open it (a vendor reads its own unit's cases; analysts read every case in reach).
      caseId: r.caseId && can(actor, 'case.read', r.unitPath) ? r.caseId : null,
      answers: visibleAnswers(definitionOf.get(`${r.surveyId}\u0000${r.surveyVersion}`) ?? null, r.answers, verbatims),
      vendorId: r.vendorId,
      agentId: r.agentId,
    };
  });
  const last = page[page.length - 1];
  return { items, nextCursor: rows.length > q.limit && last ? await makeCursor(d, last.createdAt, last.id, filters) : null };
}
