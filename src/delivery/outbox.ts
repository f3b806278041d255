import { desc, eq } from 'drizzle-orm';
import { requireTenantWide } from '../auth/tenant-wide';
import { devOutbox } from '../db/schema';
import type { Deps } from '../lib/deps';

/**
 * The dev outbox (local stack only): the tenant's email and SMS that would have gone out,
 * newest first, optionally only those to one address or number. Survey links and verbatims
 * are in these messages: the tenant's admin only, the tenant's own only.
 */
export async function outboxMessages(d: Deps, q: { to?: string; limit: number }) {
  await requireTenantWide(d, 'settings.manage', 'the dev outbox');
  return d.t
    .select()
    .from(devOutbox)
    .where(q.to === undefined ? undefined : eq(devOutbox.recipient, q.to))
    .orderBy(desc(devOutbox.createdAt), desc(devOutbox.id))
    .limit(q.limit);
}
