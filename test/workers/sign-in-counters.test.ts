import { env } from 'cloudflare:workers';
import { inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { LOGIN_COUNTER_TTL_MS } from '../../src/auth/rate-limit';
import { openDb } from '../../src/db/client';
import { rateLimits } from '../../src/db/schema';
import { SCHEDULES } from '../../src/jobs/cron';
import { db, runCron, uniq } from './support';

/*
 * Sign-in counters are kept where sign-in counts them: in the directory on the data plane
 * (workers-plane), in the one database without it (workers). The daily cron forgets those
 * stale for every limit and keeps the others, in both.
 */
const counters = () => (env.DIRECTORY_URL ? openDb(env.DIRECTORY_URL) : db());

describe('sign-in counters', () => {
  it('the daily cron forgets stale ones and keeps live ones, wherever sign-in keeps them', async () => {
    const now = Date.now();
    const stale = `login:ip:stale-${uniq()}`;
    const live = `login:ip:live-${uniq()}`;
    await counters()
      .insert(rateLimits)
      .values([
        { key: stale, windowStart: now - LOGIN_COUNTER_TTL_MS - 60_000, count: 3 },
        { key: live, windowStart: now - 60_000, count: 2 },
      ]);
    await runCron(SCHEDULES.daily, now);
    const left = await counters()
      .select({ key: rateLimits.key })
      .from(rateLimits)
      .where(inArray(rateLimits.key, [stale, live]));
    expect(left).toEqual([{ key: live }]);
  });
});
