import type { Channel } from '../db/schema';
import type { invitations } from '../db/schema';
import { newId } from '../lib/ids';
import { DAY_MS } from './eligibility';

export type NewInvitation = typeof invitations.$inferInsert;

/**
 * The invitation an `invite` decision creates: scheduled for the touchpoint's delay after the
 * occasion (never in the past), expiring `linkExpiryDays` after it is due, in the contact's
 * locale, naming where it came from (`event:<eventId>`, `wave:<waveId>:<runAt>`).
 */
export function scheduledInvitation(x: {
  tenantId: string;
  contact: { id: string; locale: string | null };
  touchpoint: { id: string; surveyId: string; delayMinutes: number };
  surveyVersion: number;
  unitId: string;
  /** The event's vendor unit and agent (docs/dimensions.md); waves name none. */
  vendorId?: string | null;
  agentId?: string | null;
  channel: Channel;
  /** The occasion: the event's occurredAt or the wave run's time. */
  at: number;
  now: number;
  linkExpiryDays: number;
  source: string;
}): NewInvitation {
  const dueAt = Math.max(x.now, x.at + x.touchpoint.delayMinutes * 60_000);
  return {
    id: newId('inv'),
    tenantId: x.tenantId,
    contactId: x.contact.id,
    unitId: x.unitId,
    vendorId: x.vendorId ?? null,
    agentId: x.agentId ?? null,
    touchpointId: x.touchpoint.id,
    surveyId: x.touchpoint.surveyId,
    surveyVersion: x.surveyVersion,
    channel: x.channel,
    locale: x.contact.locale,
    status: 'scheduled',
    source: x.source,
    dueAt,
    attempts: 0,
    expiresAt: dueAt + x.linkExpiryDays * DAY_MS,
    createdAt: x.now,
    updatedAt: x.now,
  };
}

/** Multi-row inserts of at most this many rows: well under SQLite's bound-parameter limit. */
const ROWS_PER_INSERT = 100;

/** Rows as multi-row insert statements, ROWS_PER_INSERT at a time. */
export function chunked<T>(rows: T[], size = ROWS_PER_INSERT): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
