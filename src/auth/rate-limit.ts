import { inArray, eq, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { Db } from '../db/client';
import type { TenantDb } from '../db/tenant-db';
import { rateLimits } from '../db/schema';

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

type Limit = keyof typeof LOGIN_LIMITS;

/** Counters older than this are stale for every limit (the daily purge). */
export const LOGIN_COUNTER_TTL_MS = Math.max(...Object.values(LOGIN_LIMITS).map((l) => l.windowMs));

const loginKeys = (email: string, ip: string): Record<Limit, string> => ({
  accountAddress: `login:account-ip:${email}|${ip}`,
  address: `login:ip:${ip}`,
  account: `login:account:${email}`,
});

/** What writes a counter: the database (sign-in) or a tenant's handle (capture: rate_limits holds no tenant data, written as given). */
type CounterWriter = Pick<Db, 'insert'> | Pick<TenantDb, 'insert'>;

/**
 * Counts one hit against a key in a fixed window that restarts once it has passed, and
 * returns the count after it: one atomic upsert, so concurrent hits all count.
 */
export function countHit(db: CounterWriter, key: string, now: number, windowMs: number) {
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

/**
 * Counts a sign-in attempt against every limit before its password is checked, so parallel
 * attempts cannot all read a counter with room left: each gets its own place in the count.
 * Answers the milliseconds until the caller may try again, or 0 when every limit still has
 * room for this attempt.
 */
export async function countLoginAttempt(db: Db, email: string, ip: string, now: number): Promise<number> {
  const keys = loginKeys(email, ip);
  const limits = Object.keys(LOGIN_LIMITS) as Limit[];
  const counted = await db.batch(limits.map((l) => countHit(db, keys[l], now, LOGIN_LIMITS[l].windowMs)) as [ReturnType<typeof countHit>]);
  let wait = 0;
  limits.forEach((l, i) => {
    const row = counted[i]![0]!;
    if (row.count > LOGIN_LIMITS[l].max) wait = Math.max(wait, row.windowStart + LOGIN_LIMITS[l].windowMs - now);
  });
  return wait;
}

/**
 * A right password: the account starts over at this address, and the attempt is taken back
 * from the shared counters (a busy office's own sign-ins never use up its allowance).
 */
export function forgiveLoginAttempt(db: Db, email: string, ip: string): BatchItem<'sqlite'>[] {
  const keys = loginKeys(email, ip);
  return [
    db.delete(rateLimits).where(eq(rateLimits.key, keys.accountAddress)),
    db
      .update(rateLimits)
      .set({ count: sql`max(${rateLimits.count} - 1, 0)` })
      .where(inArray(rateLimits.key, [keys.address, keys.account])),
  ];
}
