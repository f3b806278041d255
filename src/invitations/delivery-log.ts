import { asc, eq } from 'drizzle-orm';
import { can } from '../auth/policy';
import { deliveryAttempts, invitations, units } from '../db/schema';
import { invitationLink } from '../delivery/link';
import type { Deps } from '../lib/deps';
import { forbidden, notFound } from '../lib/errors';

const iso = (ms: number) => new Date(ms).toISOString();
const ANSWERABLE = new Set<string>(['scheduled', 'sending', 'sent', 'failed', 'dead']);

/**
 * The delivery log: failed tries are rows; a successful try is the invitation's sent_at (or
 * reminded_at), numbered after the failures of its kind (its provider status is not kept).
 */
function deliveryLog(inv: typeof invitations.$inferSelect, failures: (typeof deliveryAttempts.$inferSelect)[]) {
  const log = failures.map((t) => ({ attempt: t.attempt, kind: t.kind, outcome: t.outcome, statusCode: t.statusCode, error: t.error, at: t.createdAt }));
  const success = (kind: 'invitation' | 'reminder', at: number | null) =>
    at !== null && log.push({ attempt: failures.filter((t) => t.kind === kind).length + 1, kind, outcome: 'sent', statusCode: null, error: null, at });
  success('invitation', inv.sentAt);
  success('reminder', inv.remindedAt);
  return log.sort((a, b) => a.at - b.at || a.attempt - b.attempt).map((t) => ({ ...t, at: iso(t.at) }));
}

/**
 * An invitation and its delivery as the caller may see it: 404 outside their reach, 403 within
 * it for roles that do not read invitations; the link for those who may hold it, while it can
 * still be answered.
 */
export async function invitationDelivery({ t, actor, config }: Pick<Deps, 't' | 'actor' | 'config'>, id: string) {
  const [[row], tries] = await t.batch([
    t.select({ invitation: invitations, unitPath: units.path }).from(invitations).innerJoin(units, eq(units.id, invitations.unitId)).where(eq(invitations.id, id)),
    t.select().from(deliveryAttempts).where(eq(deliveryAttempts.invitationId, id)).orderBy(asc(deliveryAttempts.createdAt), asc(deliveryAttempts.attempt)),
  ]);
  if (!row || !can(actor, 'unit.read', row.unitPath)) throw notFound('invitation');
  if (!can(actor, 'invitation.read', row.unitPath)) throw forbidden('your role does not allow reading invitations');
  const inv = row.invitation;
  const showLink = ANSWERABLE.has(inv.status) && can(actor, 'invitation.link', row.unitPath);
  return {
    id: inv.id,
    status: inv.status,
    channel: inv.channel,
    unitId: inv.unitId,
    touchpointId: inv.touchpointId,
    contactId: inv.contactId,
    locale: inv.locale,
    dueAt: iso(inv.dueAt),
    ...(inv.sentAt === null ? {} : { sentAt: iso(inv.sentAt) }),
    ...(inv.remindedAt === null ? {} : { remindedAt: iso(inv.remindedAt) }),
    expiresAt: iso(inv.expiresAt),
    attempts: inv.attempts,
    lastError: inv.lastError,
    ...(showLink ? { link: await invitationLink(config, inv, t.databaseId) } : {}),
    deliveryAttempts: deliveryLog(inv, tries),
  };
}
