import { and, eq, inArray, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { audit } from '../audit/record';
import { commit } from '../db/client';
import { accountSignalValues, measures } from '../db/schema';
import type { Deps } from '../lib/deps';
import { ApiError } from '../lib/errors';
import { accountIds, requireAccountAdmin } from './accounts';

/*
 * Daily behaviour signals of accounts (docs/accounts.md "Signals"): declared like measures
 * (POST /api/v1/measures with `source: "account"`: logins, activeUsers, featureUsage, tickets…),
 * loaded in bulk, idempotent per (account, signal, day).
 */

/** At most this many values a call; more is refused whole (413) before anything is written. */
export const MAX_SIGNAL_VALUES = 10_000;
const FIRST_DAY = '2000-01-01';
/** Rows per upsert statement (5 bound values each). */
const ROWS_PER_UPSERT = 500;
/** Undeclared signals named in the 422's details, at most. */
const MAX_DETAILS = 20;

export interface SignalRejection {
  /** The row's index in `values`, from 1. */
  row: number;
  accountId?: string;
  signal?: string;
  date?: string;
  reason: string;
}

const isCalendarDay = (d: string) => /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d);

/**
 * Loads signal values. A signal that is not declared (no measure of that key with source
 * `account`) refuses the whole call (422, nothing written): the mapping of the integration is
 * wrong, not a row. Otherwise each row with an unknown account, a day that is not a calendar day
 * or out of range (2000-01-01 to tomorrow, UTC), a value that is not a finite number, or a repeat
 * of an (account, signal, day) of the same call is reported with its reason; the accepted rows
 * commit together with one audit row.
 */
export async function putSignals(d: Deps, values: unknown[]) {
  await requireAccountAdmin(d);
  const { t } = d;
  if (values.length > MAX_SIGNAL_VALUES) throw new ApiError('PAYLOAD_TOO_LARGE', `at most ${MAX_SIGNAL_VALUES} values a call; this one has ${values.length}: split it`);
  const raw = values.map((v, i) => {
    const o = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>;
    return { row: i + 1, accountId: o.accountId, signal: o.signal, date: o.date, value: o.value };
  });
  const keys = [...new Set(raw.flatMap((r) => (typeof r.signal === 'string' && r.signal.length <= 64 ? [r.signal] : [])))];
  const declared = keys.length
    ? await t
        .select({ id: measures.id, key: measures.key })
        .from(measures)
        .where(and(inArray(measures.key, keys), eq(measures.source, 'account')))
    : [];
  const signalIds = new Map(declared.map((m) => [m.key, m.id]));
  const undeclared = raw.filter((r) => typeof r.signal === 'string' && !signalIds.has(r.signal));
  if (undeclared.length) {
    throw new ApiError(
      'UNPROCESSABLE',
      `signals not declared: ${[...new Set(undeclared.map((r) => r.signal as string))].slice(0, MAX_DETAILS).join(', ')} (declare each with POST /api/v1/measures, source "account"); nothing was loaded`,
      undeclared.slice(0, MAX_DETAILS).map((r) => ({ path: `body.values.${r.row - 1}.signal`, message: `signal "${r.signal as string}" is not declared` })),
    );
  }
  const ids = await accountIds(t, [...new Set(raw.flatMap((r) => (typeof r.accountId === 'string' && r.accountId.length <= 128 ? [r.accountId] : [])))]);
  const last = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

  const rejected: SignalRejection[] = [];
  const accepted: { accountId: string; measureId: string; day: string; value: number }[] = [];
  const seen = new Map<string, number>();
  for (const r of raw) {
    const accountId = typeof r.accountId === 'string' ? r.accountId : undefined;
    const signal = typeof r.signal === 'string' ? r.signal : undefined;
    const date = typeof r.date === 'string' ? r.date : undefined;
    const reject = (reason: string) => rejected.push({ row: r.row, ...(accountId ? { accountId } : {}), ...(signal ? { signal } : {}), ...(date ? { date } : {}), reason });
    const account = accountId === undefined ? undefined : ids.get(accountId);
    if (!accountId) reject('accountId: required, the account id');
    else if (!account) reject(`account "${accountId}" not found`);
    else if (!signal) reject('signal: required, a declared signal key');
    else if (!date || !isCalendarDay(date)) reject('date: a calendar day, YYYY-MM-DD');
    else if (date < FIRST_DAY || date > last) reject(`date: out of range (${FIRST_DAY} to ${last})`);
    else if (typeof r.value !== 'number' || !Number.isFinite(r.value)) reject('value: a finite number');
    else {
      const cell = `${accountId}|${signal}|${date}`;
      const first = seen.get(cell);
      if (first !== undefined) reject(`the same account, signal and date as row ${first}`);
      else {
        seen.set(cell, r.row);
        accepted.push({ accountId: account.id, measureId: signalIds.get(signal)!, day: date, value: r.value });
      }
    }
  }
  if (accepted.length > 0) {
    const now = Date.now();
    const statements: BatchItem<'sqlite'>[] = [];
    for (let i = 0; i < accepted.length; i += ROWS_PER_UPSERT) {
      statements.push(
        t
          .insert(accountSignalValues)
          .values(accepted.slice(i, i + ROWS_PER_UPSERT).map((v) => ({ ...v, updatedAt: now })))
          .onConflictDoUpdate({
            target: [accountSignalValues.tenantId, accountSignalValues.accountId, accountSignalValues.measureId, accountSignalValues.day],
            set: { value: sql`excluded.value`, updatedAt: now },
          }),
      );
    }
    const days = accepted.map((v) => v.day).sort();
    statements.push(
      ...(await audit(d, {
        action: 'account.signals',
        targetType: 'tenant',
        targetId: d.actor.tenantId,
        details: { received: raw.length, accepted: accepted.length, rejected: rejected.length, signals: keys, firstDay: days[0], lastDay: days[days.length - 1] },
      })),
    );
    await commit(t, statements);
  }
  return { accepted: accepted.length, rejected };
}
