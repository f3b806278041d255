import { sql } from 'drizzle-orm';
import type { ResultSet } from '@libsql/client/web';
import type { SQLiteInsertBase } from 'drizzle-orm/sqlite-core';
import { rateLimits } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';

/**
 * Sign-in attempts allowed per window. One account from one address is limited tightly
 * (guessing); one address across accounts more loosely (shared NATs); one account from
 * everywhere slowly and much higher, so that no single address, which gets at most
 * 4 × 5 = 20 tries an hour, can lock a colleague out from elsewhere.
 */
export const LOGIN_LIMITS = {
  accountAddress: { max: 5, windowMs: 15 * 60 * 1000 },
  address: { max: 30, windowMs: 15 * 60 * 1000 },
  account: { max: 50, windowMs: 60 * 60 * 1000 },
} as const;

export type LoginLimit = keyof typeof LOGIN_LIMITS;

/** Counters older than this are stale for every limit (the daily purge). */
export const LOGIN_COUNTER_TTL_MS = Math.max(...Object.values(LOGIN_LIMITS).map((l) => l.windowMs));

export const loginKeys = (email: string, ip: string): Record<LoginLimit, string> => ({
  accountAddress: `login:account-ip:${email}|${ip}`,
  address: `login:ip:${ip}`,
  account: `login:account:${email}`,
});

/** An insert into rate_limits, from whichever handle holds the counters. */
export interface CounterInsert {
  values(row: typeof rateLimits.$inferInsert): SQLiteInsertBase<typeof rateLimits, 'async', ResultSet>;
}

/**
 * Counts one hit against a key in a fixed window that restarts once it has passed, and
 * returns the count after it: one atomic upsert, so concurrent hits all count.
 */
export function hitUpsert(insert: CounterInsert, key: string, now: number, windowMs: number) {
  const expired = now - windowMs;
  return insert
    .values({ key, windowStart: now, count: 1 })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        count: sql`case when ${rateLimits.windowStart} <= ${expired} then 1 else ${rateLimits.count} + 1 end`,
        windowStart: sql`case when ${rateLimits.windowStart} <= ${expired} then ${now} else ${rateLimits.windowStart} end`,
      },
    })
    .returning({ count: rateLimits.count, windowStart: rateLimits.windowStart });
}

/**
 * A hit on a counter of a tenant's database (rate_limits has no tenant column: the handle writes
 * the row as given, keyed by the caller).
 */
export function countHit(t: TenantDb, key: string, now: number, windowMs: number) {
  return hitUpsert(t.insert(rateLimits), key, now, windowMs);
}
