import { and, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { can } from '../auth/policy';
import { invitations, touchpoints, units } from '../db/schema';
import type { Deps } from '../lib/deps';
import { forbidden, notFound } from '../lib/errors';

/*
 * Program health (docs/demo.md "The homes"): how the invitations due in a period went, for a
 * unit's subtree: invited → delivered → answered, by touchpoint and by channel. Counts only;
 * the response rate is answered over delivered.
 */

/** Every status but `cancelled` (an invitation called off before it was sent was never one). */
const COUNTED = ['scheduled', 'sending', 'sent', 'answered', 'failed', 'dead', 'expired'] as const;

export interface FunnelCounts {
  /** Invitations due in the period (every status but cancelled). */
  invited: number;
  /** Sent successfully (a `sentAt`): sent, answered or expired since. */
  delivered: number;
  answered: number;
  /** Given up after their attempts (`failed`, `dead`). */
  failed: number;
  /** answered / delivered; null when nothing was delivered. */
  responseRate: number | null;
}

const empty = () => ({ invited: 0, delivered: 0, answered: 0, failed: 0 });
const withRate = (c: ReturnType<typeof empty>): FunnelCounts => ({ ...c, responseRate: c.delivered ? c.answered / c.delivered : null });

const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`);

/** The funnel of the invitations due on the UTC days `from`..`to` (inclusive) at the unit and below. */
export async function programFunnel(d: Deps, q: { unitId: string; from: string; to: string }) {
  const { t, actor } = d;
  const [unit] = await t.select({ id: units.id, path: units.path }).from(units).where(eq(units.id, q.unitId));
  if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
  if (!can(actor, 'invitation.read', unit.path)) throw forbidden('your role does not allow reading invitations');
  const end = `${unit.path.slice(0, -1)}0`; // '/' + 1: every path below the unit sorts before it
  const [rows, tps] = await t.batch([
    t
      .select({
        touchpointId: invitations.touchpointId,
        channel: invitations.channel,
        status: invitations.status,
        n: sql<number>`count(*)`,
        sent: sql<number>`sum(${invitations.sentAt} is not null)`,
      })
      .from(invitations)
      .innerJoin(units, eq(units.id, invitations.unitId))
      .where(
        and(inArray(invitations.status, [...COUNTED]), gte(invitations.dueAt, dayStart(q.from)), lt(invitations.dueAt, dayStart(q.to) + 86_400_000), gte(units.path, unit.path), lt(units.path, end)),
      )
      .groupBy(invitations.touchpointId, invitations.channel, invitations.status),
    t.select({ id: touchpoints.id, key: touchpoints.key, name: touchpoints.name }).from(touchpoints),
  ]);
  const total = empty();
  const byTouchpoint = new Map<string, ReturnType<typeof empty>>();
  const byChannel = new Map<string, ReturnType<typeof empty>>();
  for (const r of rows) {
    for (const c of [total, get(byTouchpoint, r.touchpointId), get(byChannel, r.channel)]) {
      c.invited += r.n;
      c.delivered += r.sent;
      if (r.status === 'answered') c.answered += r.n;
      if (r.status === 'failed' || r.status === 'dead') c.failed += r.n;
    }
  }
  const tpOf = new Map(tps.map((tp) => [tp.id, tp]));
  return {
    unitId: unit.id,
    from: q.from,
    to: q.to,
    total: withRate(total),
    byTouchpoint: [...byTouchpoint.entries()]
      .map(([id, c]) => ({ touchpointId: id, key: tpOf.get(id)?.key ?? null, name: tpOf.get(id)?.name ?? null, ...withRate(c) }))
      .sort((a, b) => b.invited - a.invited),
    byChannel: [...byChannel.entries()].map(([channel, c]) => ({ channel, ...withRate(c) })).sort((a, b) => b.invited - a.invited),
  };
}

function get(m: Map<string, ReturnType<typeof empty>>, key: string) {
  let c = m.get(key);
  if (!c) m.set(key, (c = empty()));
  return c;
}
