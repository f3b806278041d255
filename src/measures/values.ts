import { parse } from 'csv-parse/sync';
import { inArray, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { audit } from '../audit/record';
import { can } from '../auth/policy';
import { requireAnywhere } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { measureValues, units } from '../db/schema';
import type { Deps } from '../lib/deps';
import { ApiError } from '../lib/errors';
import { measureByKey } from './measures';

/** At most this many values a call; more is refused whole (413) before anything is written. */
export const MAX_VALUES = 10_000;
/** The first day a value may be for; the last is tomorrow in UTC (a unit east of UTC has its tomorrow first). */
export const FIRST_DAY = '2000-01-01';
/** Rows per upsert statement (4 bound values each). */
const ROWS_PER_UPSERT = 500;

export interface ValueRejection {
  /** The row's place: its index in `values` from 1, or its line in the CSV (the header is line 1). */
  row: number;
  unitId?: string;
  date?: string;
  reason: string;
}

interface RawValue {
  row: number;
  unitId: unknown;
  date: unknown;
  value: unknown;
}

const isCalendarDay = (d: string) => /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d);
const NUMBER = /^\s*-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/** CSV with a header row naming `unitId`, `date` and `value` (in any order); each record its line. */
function csvValues(body: string): RawValue[] {
  const text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { info: true, relax_column_count: true, skip_empty_lines: true }) as unknown as typeof records;
  } catch (err) {
    throw new ApiError('VALIDATION_FAILED', 'the CSV cannot be read', [{ path: 'body', message: (err as Error).message }]);
  }
  const [header, ...rest] = records;
  if (!header) return [];
  const columns = header.record.map((c) => c.trim());
  const missing = ['unitId', 'date', 'value'].filter((c) => !columns.includes(c));
  if (missing.length)
    throw new ApiError('VALIDATION_FAILED', 'the CSV header is not valid', [{ path: 'body.header', message: `needs the columns unitId, date and value; missing ${missing.join(', ')}` }]);
  const at = (name: string) => columns.indexOf(name);
  return rest.map(({ record, info }) => {
    const cell = (name: string) => record[at(name)];
    const raw = cell('value');
    // A CSV cell is text: a number only when it reads as one.
    return { row: info.lines, unitId: cell('unitId'), date: cell('date'), value: raw !== undefined && NUMBER.test(raw) ? Number(raw) : raw };
  });
}

/**
 * Loads daily values of a unit measure: each row a (unit, day, value), idempotent per (unit, day)
 * (a repeat replaces the value). Rows with an unknown unit or one outside the caller's reach, a
 * day that is not a calendar day or out of range, a value that is not a finite number, or a
 * repeat of a (unit, day) of the same call are reported with their reason; the accepted rows
 * commit together with one audit row. Over MAX_VALUES rows: 413, nothing written.
 */
export async function putValues(d: Deps, key: string, input: { type: 'json'; values: unknown[] } | { type: 'csv'; body: string }) {
  const { t, actor } = d;
  requireAnywhere(d, 'measure.write', 'loading measure values');
  const raw: RawValue[] =
    input.type === 'csv'
      ? csvValues(input.body)
      : input.values.map((v, i) => {
          const o = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>;
          return { row: i + 1, unitId: o.unitId, date: o.date, value: o.value };
        });
  if (raw.length > MAX_VALUES) throw new ApiError('PAYLOAD_TOO_LARGE', `at most ${MAX_VALUES} values a call; this one has ${raw.length}: split it`);
  const measure = await measureByKey(t, key);
  if (measure.source === 'account') throw new ApiError('UNPROCESSABLE', `"${key}" is an account signal: load its values with PUT /api/v1/accounts/signals`);
  if (measure.source !== 'unit') throw new ApiError('UNPROCESSABLE', `"${key}" is an event measure: its values come with the events (attributes.${key})`);

  const ids = [...new Set(raw.flatMap((r) => (typeof r.unitId === 'string' && r.unitId.length <= 64 ? [r.unitId] : [])))];
  const found = ids.length ? await t.select({ id: units.id, path: units.path }).from(units).where(inArray(units.id, ids)) : [];
  const paths = new Map(found.map((u) => [u.id, u.path]));
  const last = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

  const rejected: ValueRejection[] = [];
  const accepted: { unitId: string; day: string; value: number }[] = [];
  const seen = new Map<string, number>();
  for (const r of raw) {
    const unitId = typeof r.unitId === 'string' ? r.unitId : undefined;
    const date = typeof r.date === 'string' ? r.date : undefined;
    const reject = (reason: string) => rejected.push({ row: r.row, ...(unitId ? { unitId } : {}), ...(date ? { date } : {}), reason });
    const path = unitId === undefined ? undefined : paths.get(unitId);
    if (!unitId) reject('unitId: required, a unit id');
    // A unit outside the caller's reach answers like a missing one: not disclosed.
    else if (path === undefined || !can(actor, 'unit.read', path)) reject(`unit "${unitId}" not found`);
    else if (!can(actor, 'measure.write', path)) reject(`your role does not load measures of unit "${unitId}"`);
    else if (!date || !isCalendarDay(date)) reject('date: a calendar day, YYYY-MM-DD');
    else if (date < FIRST_DAY || date > last) reject(`date: out of range (${FIRST_DAY} to ${last})`);
    else if (typeof r.value !== 'number' || !Number.isFinite(r.value)) reject('value: a finite number');
    else {
      const cell = `${unitId}|${date}`;
      const first = seen.get(cell);
      if (first !== undefined) reject(`the same unit and date as row ${first}`);
      else {
        seen.set(cell, r.row);
        accepted.push({ unitId, day: date, value: r.value });
      }
    }
  }

  if (accepted.length > 0) {
    const now = Date.now();
    const statements: BatchItem<'sqlite'>[] = [];
    for (let i = 0; i < accepted.length; i += ROWS_PER_UPSERT) {
      statements.push(
        t
          .insert(measureValues)
          .values(accepted.slice(i, i + ROWS_PER_UPSERT).map((v) => ({ measureId: measure.id, unitId: v.unitId, day: v.day, value: v.value, updatedAt: now })))
          .onConflictDoUpdate({
            target: [measureValues.tenantId, measureValues.measureId, measureValues.unitId, measureValues.day],
            set: { value: sql`excluded.value`, updatedAt: now },
          }),
      );
    }
    const days = accepted.map((v) => v.day).sort();
    statements.push(
      ...(await audit(d, {
        action: 'measure.values',
        targetType: 'measure',
        targetId: measure.id,
        details: { key, received: raw.length, accepted: accepted.length, rejected: rejected.length, firstDay: days[0], lastDay: days[days.length - 1] },
      })),
    );
    await commit(t, statements);
  }
  return { accepted: accepted.length, rejected };
}
