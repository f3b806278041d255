import { backfillMarks } from '../comments/backfill-mark';
import { and, eq, inArray } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { z } from 'zod';
import { audit } from '../audit/record';
import { can } from '../auth/policy';
import { requireAnywhere } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import { contacts, events, RESPONSE_CHANNELS, responses, surveys, surveyVersions, touchpoints, units } from '../db/schema';
import type { TenantInsert } from '../db/tenant-db';
import { chunked } from '../events/invitation';
import type { Deps } from '../lib/deps';
import { ApiError, ERROR_STATUS, type ErrorCode } from '../lib/errors';
import { newId } from '../lib/ids';
import { categorize } from '../scoring/nps';
import { chooseLocale, type Definition } from '../surveys/definition';
import { checkAnswers } from './answers';
import { type QualityFlag, qualityFlags } from './quality';

/*
 * Answers collected elsewhere (docs/capture.md "Answers collected elsewhere"): a previous survey
 * vendor's history, an IVR system, paper. Each becomes a response of its touchpoint's published
 * survey, dated when it was answered, so the fold adds it to the rollups of that day as a late
 * answer; the same checks as capture (the score, the answers against the survey, the contact's
 * quality flags); idempotent by the other system's id; audited.
 */

/** At most this many answers a call; more is refused whole (413) before anything is written. */
export const MAX_IMPORT = 5000;
/** The earliest answer accepted. */
const FIRST_ANSWER = Date.parse('2000-01-01T00:00:00Z');
/** An answer may lie at most this far in the future (clock skew). */
const MAX_FUTURE_MS = 24 * 3600_000;

/** One imported answer, checked row by row (a row that is not right is reported, not the whole call refused). */
export const ImportedAnswer = z.strictObject({
  externalId: z.string().trim().min(1).max(200),
  answeredAt: z.iso.datetime({ offset: true }),
  unitId: z.string().min(1).max(64),
  touchpoint: z.string().min(1).max(100),
  channel: z.enum(RESPONSE_CHANNELS),
  contactId: z.string().min(1).max(200).optional(),
  score: z.number().int().min(0).max(10),
  comment: z.string().max(4000).optional(),
  answers: z.record(z.string(), z.unknown()).optional(),
  event: z.strictObject({ attributes: z.record(z.string(), z.unknown()) }).optional(),
});
export type ImportedAnswer = z.infer<typeof ImportedAnswer>;

export type ImportResult =
  | { row: number; externalId: string; status: 'imported' | 'unchanged'; responseId: string; counted: boolean; qualityFlags: QualityFlag[] }
  | { row: number; externalId?: string; error: { code: ErrorCode; message: string; status: number } };

const refuse = (row: number, externalId: string | undefined, code: ErrorCode, message: string): ImportResult => ({
  row,
  ...(externalId ? { externalId } : {}),
  error: { code, message, status: ERROR_STATUS[code] },
});

/** Imports a batch; a replay of an external id already imported changes nothing (`unchanged`). */
export async function importResponses(d: Deps, rows: unknown[]) {
  requireAnywhere(d, 'response.import', 'importing answers');
  if (rows.length > MAX_IMPORT) throw new ApiError('PAYLOAD_TOO_LARGE', `at most ${MAX_IMPORT} answers a call; this one has ${rows.length}: split it`);
  for (let attempt = 1; ; attempt++) {
    try {
      return await importOnce(d, rows);
    } catch (err) {
      // A concurrent import stored one of these external ids first: run again, it is a replay now.
      if (attempt < 3 && isUniqueViolation(err)) continue;
      throw err;
    }
  }
}

async function importOnce(d: Deps, rows: unknown[]) {
  const { t, actor } = d;
  const now = Date.now();
  const parsed = rows.map((r, i) => ({ row: i + 1, result: ImportedAnswer.safeParse(r) }));
  const valid = parsed.flatMap((p) => (p.result.success ? [{ row: p.row, a: p.result.data }] : []));
  const externalIds = [...new Set(valid.map((v) => v.a.externalId))];
  const contactIds = [...new Set(valid.flatMap((v) => (v.a.contactId ? [v.a.contactId] : [])))];
  const keys = [...new Set(valid.map((v) => v.a.touchpoint))];
  const unitIds = [...new Set(valid.map((v) => v.a.unitId))];
  const [stored, contactRows, programRows, unitRows] = await t.batch([
    t
      .select({ id: responses.id, externalId: responses.externalId, counted: responses.counted, qualityFlags: responses.qualityFlags })
      .from(responses)
      .where(inArray(responses.externalId, externalIds)),
    t.select().from(contacts).where(inArray(contacts.externalId, contactIds)),
    t
      .select({ touchpoint: touchpoints, survey: surveys, definition: surveyVersions.definition })
      .from(touchpoints)
      .innerJoin(surveys, eq(surveys.id, touchpoints.surveyId))
      .leftJoin(surveyVersions, and(eq(surveyVersions.surveyId, surveys.id), eq(surveyVersions.version, surveys.publishedVersion)))
      .where(inArray(touchpoints.key, keys)),
    t.select({ id: units.id, path: units.path }).from(units).where(inArray(units.id, unitIds)),
  ]);
  const replays = new Map(stored.map((r) => [r.externalId!, r]));
  const contactsByExternal = new Map(contactRows.map((c) => [c.externalId, c]));
  // Each touchpoint with its survey's published version (none: the touchpoint takes no answers).
  const programs = new Map<string, { touchpointId: string; surveyId: string; version: number; defaultLocale: string; definition: Definition }>();
  for (const p of programRows) {
    if (p.survey.publishedVersion === null || !p.definition) continue;
    programs.set(p.touchpoint.key, {
      touchpointId: p.touchpoint.id,
      surveyId: p.survey.id,
      version: p.survey.publishedVersion,
      defaultLocale: p.survey.defaultLocale,
      definition: p.definition as unknown as Definition,
    });
  }
  const unitPaths = new Map(unitRows.map((u) => [u.id, u.path]));

  type NewResponse = TenantInsert<typeof responses>;
  type NewEvent = TenantInsert<typeof events>;
  const responseRows: NewResponse[] = [];
  const eventRows: NewEvent[] = [];
  const results: ImportResult[] = [];
  const inBatch = new Map<string, string>();
  for (const p of parsed) {
    if (!p.result.success) {
      const raw = rows[p.row - 1] as { externalId?: unknown } | null;
      const externalId = raw && typeof raw.externalId === 'string' ? raw.externalId : undefined;
      results.push(refuse(p.row, externalId, 'VALIDATION_FAILED', p.result.error.issues.map((x) => `${x.path.join('.') || 'row'}: ${x.message}`).join('; ')));
      continue;
    }
    const a = p.result.data;
    const replay = replays.get(a.externalId);
    if (replay) {
      results.push({ row: p.row, externalId: a.externalId, status: 'unchanged', responseId: replay.id, counted: replay.counted, qualityFlags: replay.qualityFlags as QualityFlag[] });
      continue;
    }
    const earlier = inBatch.get(a.externalId);
    if (earlier) {
      results.push(refuse(p.row, a.externalId, 'CONFLICT', `externalId "${a.externalId}" appears twice in this call (first as response ${earlier})`));
      continue;
    }
    const at = Date.parse(a.answeredAt);
    const unitPath = unitPaths.get(a.unitId);
    const contact = a.contactId ? contactsByExternal.get(a.contactId) : undefined;
    const program = programs.get(a.touchpoint);
    // A unit outside the caller's reach answers like a missing one.
    if (unitPath === undefined || !can(actor, 'unit.read', unitPath)) results.push(refuse(p.row, a.externalId, 'NOT_FOUND', `unit "${a.unitId}" not found`));
    else if (!can(actor, 'response.import', unitPath)) results.push(refuse(p.row, a.externalId, 'FORBIDDEN', `your role does not import answers for unit "${a.unitId}"`));
    else if (!program) results.push(refuse(p.row, a.externalId, 'NOT_FOUND', `touchpoint "${a.touchpoint}" not found, or its survey is not published`));
    else if (a.contactId && !contact) results.push(refuse(p.row, a.externalId, 'NOT_FOUND', `contact "${a.contactId}" not found: upsert it first`));
    else if (at < FIRST_ANSWER || at > now + MAX_FUTURE_MS) results.push(refuse(p.row, a.externalId, 'UNPROCESSABLE', 'answeredAt: out of range (from 2000 to now)'));
    else {
      const category = categorize(a.score);
      const checked = checkAnswers(program.definition, category, { comment: a.comment, answers: a.answers }, { enforceRequired: false });
      if (checked.issues.length) {
        results.push(refuse(p.row, a.externalId, 'UNPROCESSABLE', checked.issues.map((x) => `${x.path}: ${x.message}`).join('; ')));
        continue;
      }
      const flags = qualityFlags({ honeypot: false, anonymous: null, contact: contact ?? null });
      const id = newId('rsp');
      let eventId: string | null = null;
      if (a.event) {
        eventId = newId('evt');
        eventRows.push({
          id: eventId,
          // Named after the response: it cannot meet an integration's own event id.
          eventId: `import:${id}`,
          type: 'response.imported',
          occurredAt: at,
          contactId: contact?.id ?? null,
          unitId: a.unitId,
          touchpointId: program.touchpointId,
          attributes: a.event.attributes,
          decision: 'skip',
          reason: 'imported',
          invitationId: null,
          createdAt: now,
        });
      }
      const available = Object.keys(program.definition.translations ?? {});
      responseRows.push({
        id,
        invitationId: null,
        touchpointId: program.touchpointId,
        unitId: a.unitId,
        contactId: contact?.id ?? null,
        surveyId: program.surveyId,
        surveyVersion: program.version,
        channel: a.channel,
        locale: chooseLocale(available, program.defaultLocale, contact?.locale),
        score: a.score,
        comment: checked.comment,
        answers: checked.answers,
        qualityFlags: flags,
        counted: flags.length === 0,
        segment: contact?.segment ?? null,
        lifetimeValue: contact?.lifetimeValue ?? null,
        tenureMonths: contact?.tenureMonths ?? null,
        contractSize: contact?.contractSize ?? null,
        supportTier: contact?.supportTier ?? null,
        answeredAt: at,
        // Dated when it was answered: the fold counts it on that local day, as a late answer.
        createdAt: at,
        updatedAt: now,
        externalId: a.externalId,
        eventId,
      });
      inBatch.set(a.externalId, id);
      results.push({ row: p.row, externalId: a.externalId, status: 'imported', responseId: id, counted: flags.length === 0, qualityFlags: flags });
    }
  }

  const summary = {
    imported: results.filter((r) => 'status' in r && r.status === 'imported').length,
    unchanged: results.filter((r) => 'status' in r && r.status === 'unchanged').length,
    rejected: results.filter((r) => 'error' in r).length,
  };
  if (responseRows.length > 0) {
    const dates = responseRows.map((r) => r.createdAt!).sort((x, y) => x - y);
    // Imported comments have no follow-up: the backfill job analyses them (docs/themes.md "Backfill").
    const marks = responseRows.some((r) => r.comment) ? await backfillMarks(t) : null;
    const statements: BatchItem<'sqlite'>[] = [
      ...(marks ? [marks.before] : []),
      ...chunked(eventRows).map((chunk) => t.insert(events).values(chunk)),
      ...chunked(responseRows).map((chunk) => t.insert(responses).values(chunk)),
      ...(marks ? [marks.after] : []),
      ...(await audit(d, {
        action: 'responses.import',
        targetType: 'response_batch',
        targetId: d.requestId ?? '',
        details: { received: rows.length, ...summary, firstAnsweredAt: new Date(dates[0]!).toISOString(), lastAnsweredAt: new Date(dates[dates.length - 1]!).toISOString() },
      })),
    ];
    await commit(t, statements);
  }
  return { ...summary, results };
}
