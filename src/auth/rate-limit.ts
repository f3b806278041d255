import { inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { rateLimits } from '../db/schema';

/** Failed sign-ins allowed per window: few per account (guessing), more per address (shared NATs). */
export const LOGIN_LIMITS = {
  windowMs: 15 * 60 * 1000,
  perAccount: 5,
  perAddress: 30,
} as const;

export const accountKey = (email: string) => `login:account:${email}`;
export const addressKey = (ip: string) => `login:ip:${ip}`;

/** Milliseconds until the caller may try again, or 0 when neither counter is exhausted. */
export async function loginRetryAfter(db: Db, email: string, ip: string, now: number): Promise<number> {
  const rows = await db
    .select()
    .from(rateLimits)
    .where(inArray(rateLimits.key, [accountKey(email), addressKey(ip)]));
  let wait = 0;
  for (const row of rows) {
    const limit = row.key.startsWith('login:account:') ? LOGIN_LIMITS.perAccount : LOGIN_LIMITS.perAddress;
    const windowEnd = row.windowStart + LOGIN_LIMITS.windowMs;
    if (row.count >= limit && windowEnd > now) wait = Math.max(wait, windowEnd - now);
  }
  return wait;
}

/**
 * Counts one hit against a key in a fixed window that restarts once it has passed, and
 * returns the count after it: one atomic upsert, so concurrent hits all count.
 */
export function countHit(db: Db, key: string, now: number, windowMs: number) {
  const expired = now - windowMs;
  return db
    .insert(rateLimits)
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

/** Counts one failed sign-in against a key. */
export const countFailure = (db: Db, key: string, now: number) => countHit(db, key, now, LOGIN_LIMITS.windowMs);
