import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { and, eq, sql } from 'drizzle-orm';
import { parse } from 'csv-parse/sync';
import { audit } from '../audit/record';
import { authenticate } from '../auth/authenticate';
import { requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { contacts, responses, units } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { ApiError } from '../lib/errors';
import { newId } from '../lib/ids';
import { AUTHED, errors, json, security } from '../lib/openapi';
import { localDay } from '../scores/local-day';

/** At most this many rows an upload. */
export const MAX_RECONCILIATION_ROWS = 50_000;

const Row = z.object({
  external_id: z.string().trim().min(1).max(200),
  score: z
    .string()
    .regex(/^(10|[0-9])$/, 'an integer 0..10')
    .transform(Number),
  date: z
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}/, 'a date YYYY-MM-DD (an ISO time may follow)')
    .transform((d) => d.slice(0, 10)),
});

const Entry = z.object({ externalId: z.string(), date: z.string(), score: z.number().int() });
const Report = z
  .object({
    id: z.string(),
    rows: z.number().int(),
    matched: z.number().int().openapi({ description: 'Same contact, day and score on both sides' }),
    mismatches: z.array(Entry.extend({ ourScore: z.number().int(), responseId: z.string() })).openapi({ description: 'Same contact and day, different score' }),
    missingHere: z.array(Entry.extend({ row: z.number().int() })).openapi({ description: 'In the upload, not in our responses' }),
    missingThere: z.array(Entry.extend({ responseId: z.string() })).openapi({ description: 'In our responses (same days), not in the upload' }),
    rejected: z.array(z.object({ row: z.number().int(), reason: z.string() })),
  })
  .openapi('ReconciliationReport');

const reconcile = createRoute({
  method: 'post',
  path: '/api/v1/reconciliations',
  tags: ['reconciliation'],
  summary: "Compare another survey vendor's export with our responses",
  description:
    'CSV (text/csv) with a header `external_id,score,date` (contact external id, 0–10, the local day of the answer). Rows pair with our scored responses of the same contact on the same local day of the unit; the report lists matches, score mismatches and rows missing on each side (our side: the days the upload covers). Audited; nothing else changes.',
  security,
  middleware: [authenticate] as const,
  request: { body: { required: true, content: { 'text/csv': { schema: z.string() } } } },
  responses: { 200: json(Report, 'The report'), ...errors(...AUTHED, 413, 415) },
});

type Theirs = { row: number; externalId: string; date: string; score: number };

export const reconciliationRoutes = createRouter().openapi(reconcile, async (c) => {
  await requireTenantWide(deps(c), 'program.write', 'reconciling survey data');
  const tenantId = c.get('actor').tenantId;
  const db = c.get('db');
  let records: Record<string, string>[];
  try {
    records = parse(await c.req.text(), { columns: (h: string[]) => h.map((x) => x.trim().toLowerCase()), skip_empty_lines: true, bom: true, relax_column_count: true });
  } catch (err) {
    throw new ApiError('VALIDATION_FAILED', 'the CSV cannot be read', [{ path: 'body', message: (err as Error).message }]);
  }
  if (records.length > MAX_RECONCILIATION_ROWS) throw new ApiError('PAYLOAD_TOO_LARGE', `at most ${MAX_RECONCILIATION_ROWS} rows an upload`);
  const theirs: Theirs[] = [];
  const rejected: { row: number; reason: string }[] = [];
  records.forEach((r, i) => {
    const row = i + 2; // the header is row 1
    const parsed = Row.safeParse(r);
    if (parsed.success) theirs.push({ row, externalId: parsed.data.external_id, date: parsed.data.date, score: parsed.data.score });
    else rejected.push({ row, reason: parsed.error.issues.map((x) => `${x.path.join('.') || 'row'}: ${x.message}`).join('; ') });
  });
  if (theirs.length === 0 && rejected.length > 0 && !('external_id' in (records[0] ?? {}))) {
    throw new ApiError('VALIDATION_FAILED', 'the header must name external_id, score and date', [{ path: 'body', message: 'missing columns' }]);
  }

  // Ours: scored responses of the days the upload covers (±14 h for time zones; days checked exactly).
  const days = new Set(theirs.map((x) => x.date));
  const sorted = [...days].sort();
  const ours: { responseId: string; externalId: string; date: string; score: number }[] = [];
  if (sorted.length > 0) {
    const start = Date.parse(`${sorted[0]}T00:00:00Z`) - 14 * 3600_000;
    const end = Date.parse(`${sorted[sorted.length - 1]}T23:59:59.999Z`) + 14 * 3600_000;
    const rows = await db
      .select({ id: responses.id, externalId: contacts.externalId, score: responses.score, createdAt: responses.createdAt, timezone: units.timezone })
      .from(responses)
      .innerJoin(contacts, and(eq(contacts.id, responses.contactId), eq(contacts.tenantId, responses.tenantId)))
      .innerJoin(units, and(eq(units.id, responses.unitId), eq(units.tenantId, responses.tenantId)))
      .where(and(eq(responses.tenantId, tenantId), sql`${responses.score} is not null`, sql`${responses.createdAt} between ${start} and ${end}`));
    for (const r of rows) {
      const date = localDay(r.createdAt, r.timezone);
      if (days.has(date)) ours.push({ responseId: r.id, externalId: r.externalId, date, score: r.score! });
    }
  }

  // Pair within (contact, day): equal scores first, then the rest as mismatches.
  const key = (x: { externalId: string; date: string }) => `${x.externalId}\u0000${x.date}`;
  const pool = new Map<string, typeof ours>();
  for (const o of ours) pool.set(key(o), [...(pool.get(key(o)) ?? []), o]);
  let matched = 0;
  const unpaired: Theirs[] = [];
  for (const t of theirs) {
    const candidates = pool.get(key(t)) ?? [];
    const i = candidates.findIndex((o) => o.score === t.score);
    if (i >= 0) {
      candidates.splice(i, 1);
      matched++;
    } else unpaired.push(t);
  }
  const mismatches = [];
  const missingHere = [];
  for (const t of unpaired) {
    const o = pool.get(key(t))?.shift();
    if (o) mismatches.push({ externalId: t.externalId, date: t.date, score: t.score, ourScore: o.score, responseId: o.responseId });
    else missingHere.push({ row: t.row, externalId: t.externalId, date: t.date, score: t.score });
  }
  const missingThere = [...pool.values()].flat().map((o) => ({ externalId: o.externalId, date: o.date, score: o.score, responseId: o.responseId }));
  const report = { id: newId('rec'), rows: records.length, matched, mismatches, missingHere, missingThere, rejected };
  await commit(
    db,
    await audit(deps(c), {
      action: 'reconciliation.run',
      targetType: 'reconciliation',
      targetId: report.id,
      details: { rows: report.rows, matched, mismatches: mismatches.length, missingHere: missingHere.length, missingThere: missingThere.length, rejected: rejected.length },
    }),
  );
  return c.json(report, 200);
});
