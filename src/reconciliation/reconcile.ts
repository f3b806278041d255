import { z } from '@hono/zod-openapi';
import { parse } from 'csv-parse/sync';
import { and, eq, sql } from 'drizzle-orm';
import { audit } from '../audit/record';
import { commit } from '../db/client';
import { contacts, responses, units } from '../db/schema';
import type { Deps } from '../lib/deps';
import { ApiError } from '../lib/errors';
import { newId } from '../lib/ids';
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

type Theirs = { row: number; externalId: string; date: string; score: number };

/**
 * Compares another survey vendor's export (CSV `external_id,score,date`) with our scored
 * responses: rows pair with ours of the same contact on the same local day of the unit; the
 * report lists matches, score mismatches and rows missing on each side (ours: the days the
 * upload covers). Audited; nothing else changes.
 */
export async function reconcile(d: Deps, csv: string) {
  const { t } = d;
  let records: Record<string, string>[];
  try {
    records = parse(csv, { columns: (h: string[]) => h.map((x) => x.trim().toLowerCase()), skip_empty_lines: true, bom: true, relax_column_count: true });
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
    const rows = await t
      .select({ id: responses.id, externalId: contacts.externalId, score: responses.score, createdAt: responses.createdAt, timezone: units.timezone })
      .from(responses)
      .innerJoin(contacts, eq(contacts.id, responses.contactId))
      .innerJoin(units, eq(units.id, responses.unitId))
      .where(and(sql`${responses.score} is not null`, sql`${responses.createdAt} between ${start} and ${end}`));
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
  for (const x of theirs) {
    const candidates = pool.get(key(x)) ?? [];
    const i = candidates.findIndex((o) => o.score === x.score);
    if (i >= 0) {
      candidates.splice(i, 1);
      matched++;
    } else unpaired.push(x);
  }
  const mismatches = [];
  const missingHere = [];
  for (const x of unpaired) {
    const o = pool.get(key(x))?.shift();
    if (o) mismatches.push({ externalId: x.externalId, date: x.date, score: x.score, ourScore: o.score, responseId: o.responseId });
    else missingHere.push({ row: x.row, externalId: x.externalId, date: x.date, score: x.score });
  }
  const missingThere = [...pool.values()].flat().map((o) => ({ externalId: o.externalId, date: o.date, score: o.score, responseId: o.responseId }));
  const report = { id: newId('rec'), rows: records.length, matched, mismatches, missingHere, missingThere, rejected };
  await commit(
    t,
    await audit(d, {
      action: 'reconciliation.run',
      targetType: 'reconciliation',
      targetId: report.id,
      details: { rows: report.rows, matched, mismatches: mismatches.length, missingHere: missingHere.length, missingThere: missingThere.length, rejected: rejected.length },
    }),
  );
  return report;
}
