import { eq, getTableColumns, inArray } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { audit } from '../audit/record';
import { can } from '../auth/policy';
import { commit } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import { contacts, events, invitations, surveys, tenants, touchpoints, units } from '../db/schema';
import type { TenantDb, TenantInsert } from '../db/tenant-db';
import type { Deps } from '../lib/deps';
import { ERROR_STATUS, type ErrorCode } from '../lib/errors';
import { newId } from '../lib/ids';
import { SettingsSchema } from '../settings/settings';
import { contactHistory, decide, invitedTodayQuery, NEGATIVE_EVENT_TYPE, readRules, recordInvitation, recordNegative, samplePoint, toHistory, type Reason } from './eligibility';
import { chunked, scheduledInvitation, type NewInvitation } from './invitation';

/** An event may lie at most this far in the future (clock skew); later is refused per item. */
export const MAX_FUTURE_MS = 24 * 3600_000;

export interface EventInput {
  id: string;
  type: string;
  occurredAt: string;
  contactId: string;
  unitId?: string;
  vendorId?: string;
  agentId?: string;
  touchpoint?: string;
  attributes?: Record<string, unknown>;
}

export type EventResult = { eventId: string; decision: 'invite' | 'skip'; reason: Reason; invitationId?: string } | { eventId: string; error: { code: ErrorCode; message: string; status: number } };

const itemError = (eventId: string, code: ErrorCode, message: string): EventResult => ({ eventId, error: { code, message, status: ERROR_STATUS[code] } });

type NewEvent = TenantInsert<typeof events>;

/** Reads everything a batch needs in one round trip: replays, contacts, touchpoints, units, settings, history. */
function load(t: TenantDb, batch: EventInput[], now: number) {
  const ids = [...new Set(batch.map((e) => e.id))];
  const externalIds = [...new Set(batch.map((e) => e.contactId))];
  const keys = [...new Set(batch.flatMap((e) => (e.touchpoint ? [e.touchpoint] : [])))];
  const unitIds = [...new Set(batch.flatMap((e) => [e.unitId, e.vendorId].filter((id): id is string => id !== undefined)))];
  const times = batch.map((e) => Date.parse(e.occurredAt));
  const touchpointScope = t.select({ id: touchpoints.id }).from(touchpoints).where(inArray(touchpoints.key, keys));
  return t.batch([
    t.select({ eventId: events.eventId, decision: events.decision, reason: events.reason, invitationId: events.invitationId }).from(events).where(inArray(events.eventId, ids)),
    // Each contact with its history (eligibility.ts contactHistory).
    t
      .select({ ...getTableColumns(contacts), ...contactHistory(t, { from: Math.min(...times), to: Math.max(...times) }) })
      .from(contacts)
      .where(inArray(contacts.externalId, externalIds)),
    t.select({ touchpoint: touchpoints, publishedVersion: surveys.publishedVersion }).from(touchpoints).innerJoin(surveys, eq(surveys.id, touchpoints.surveyId)).where(inArray(touchpoints.key, keys)),
    t.select({ id: units.id, path: units.path, kind: units.kind }).from(units).where(inArray(units.id, unitIds)),
    t.select({ settings: tenants.settings }).from(tenants),
    invitedTodayQuery(t, touchpointScope, now),
  ]);
}

/**
 * Decides a batch of events: replays answer their stored decision; each new event is checked
 * (contact, touchpoint, unit within the caller's reach, not too far in the future), decided by
 * the eligibility rules in batch order, and stored with its decision, together with the
 * invitations and one audit row, in one commit. An item that fails its checks writes nothing.
 */
export async function ingestEvents(d: Deps, batch: EventInput[]): Promise<EventResult[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ingestOnce(d, batch);
    } catch (err) {
      // A concurrent request stored one of these event ids first: run again, it is a replay now.
      if (attempt < 3 && isUniqueViolation(err)) continue;
      throw err;
    }
  }
}

async function ingestOnce(d: Deps, batch: EventInput[]): Promise<EventResult[]> {
  const { t, actor } = d;
  const tenantId = actor.tenantId;
  const now = Date.now();
  const [stored, contactRows, touchpointRows, unitRows, [tenant], today] = await load(t, batch, now);
  const settings = SettingsSchema.parse(tenant?.settings ?? {});
  const history = toHistory(contactRows, today);
  const replays = new Map(stored.map((e) => [e.eventId, e]));
  const contactsByExternal = new Map(contactRows.map((c) => [c.externalId, c]));
  const programs = new Map(touchpointRows.map(({ touchpoint: t, publishedVersion }) => [t.key, { ...t, rules: readRules(t.id, t.rules), publishedVersion }]));
  const unitPaths = new Map(unitRows.map((u) => [u.id, u.path]));
  const unitKinds = new Map(unitRows.map((u) => [u.id, u.kind]));

  // Checks first: which events are new and valid. Negative interactions of the batch are facts
  // with their own times, so every one of them counts, whatever its place in the batch.
  type Valid = { input: EventInput; at: number; contact: (typeof contactRows)[number] };
  const checked = new Map<string, Valid | EventResult>();
  for (const e of batch) {
    if (checked.has(e.id)) continue; // the same id twice in a batch: one event, one answer
    const replay = replays.get(e.id);
    if (replay) {
      checked.set(e.id, { eventId: e.id, decision: replay.decision, reason: replay.reason as Reason, ...(replay.invitationId ? { invitationId: replay.invitationId } : {}) });
      continue;
    }
    const at = Date.parse(e.occurredAt);
    const contact = contactsByExternal.get(e.contactId);
    const unitPath = e.unitId === undefined ? undefined : unitPaths.get(e.unitId);
    if (at > now + MAX_FUTURE_MS) checked.set(e.id, itemError(e.id, 'UNPROCESSABLE', 'occurredAt is more than 24 hours in the future'));
    else if (!contact) checked.set(e.id, itemError(e.id, 'NOT_FOUND', `contact "${e.contactId}" not found: upsert it first`));
    else if (e.touchpoint !== undefined && !programs.has(e.touchpoint)) checked.set(e.id, itemError(e.id, 'NOT_FOUND', `touchpoint "${e.touchpoint}" not found`));
    // A unit outside the caller's reach is not disclosed: it answers like a missing one.
    else if (e.unitId !== undefined && (unitPath === undefined || !can(actor, 'event.ingest', unitPath))) checked.set(e.id, itemError(e.id, 'NOT_FOUND', `unit "${e.unitId}" not found`));
    // The vendor: a unit of this tenant in reach (else not found, like a unit), and a vendor unit (else 422).
    else if (e.vendorId !== undefined && (!unitPaths.has(e.vendorId) || !can(actor, 'event.ingest', unitPaths.get(e.vendorId)!)))
      checked.set(e.id, itemError(e.id, 'NOT_FOUND', `vendor unit "${e.vendorId}" not found`));
    else if (e.vendorId !== undefined && unitKinds.get(e.vendorId) !== 'vendor') checked.set(e.id, itemError(e.id, 'UNPROCESSABLE', `unit "${e.vendorId}" is not a vendor unit`));
    else {
      checked.set(e.id, { input: e, at, contact });
      if (e.type === NEGATIVE_EVENT_TYPE) recordNegative(history, contact.id, at);
    }
  }

  const eventRows: NewEvent[] = [];
  const invitationRows: NewInvitation[] = [];
  const results = new Map<string, EventResult>();
  for (const [id, item] of checked) {
    if (!('input' in item)) {
      results.set(id, item);
      continue;
    }
    const { input: e, at, contact } = item;
    const program = e.touchpoint === undefined ? undefined : programs.get(e.touchpoint)!;
    const row: NewEvent = {
      id: newId('evt'),
      eventId: e.id,
      type: e.type,
      occurredAt: at,
      contactId: contact.id,
      unitId: e.unitId ?? null,
      vendorId: e.vendorId ?? null,
      agentId: e.agentId ?? null,
      touchpointId: program?.id ?? null,
      attributes: e.attributes ?? {},
      decision: 'skip',
      reason: 'no_touchpoint',
      invitationId: null,
      createdAt: now,
    };
    if (program) {
      const decision = decide({ recipient: contact, program, occasion: { at, attributes: e.attributes, samplePoint: await samplePoint(tenantId, contact.id, e.id) } }, history, settings, now);
      row.reason = decision.reason;
      if (decision.decision === 'invite') {
        const invitation = scheduledInvitation({
          tenantId,
          contact,
          touchpoint: program,
          surveyVersion: program.publishedVersion!,
          unitId: e.unitId!,
          vendorId: e.vendorId ?? null,
          agentId: e.agentId ?? null,
          channel: decision.channel,
          at,
          now,
          linkExpiryDays: settings.linkExpiryDays,
          source: `event:${e.id}`,
        });
        invitationRows.push(invitation);
        recordInvitation(history, contact.id, program.id, now);
        row.decision = 'invite';
        row.invitationId = invitation.id;
      }
    }
    eventRows.push(row);
    results.set(id, { eventId: e.id, decision: row.decision!, reason: row.reason as Reason, ...(row.invitationId ? { invitationId: row.invitationId } : {}) });
  }

  if (eventRows.length > 0) {
    const list = [...results.values()];
    const statements: BatchItem<'sqlite'>[] = [
      ...chunked(invitationRows).map((rows) => t.insert(invitations).values(rows)),
      ...chunked(eventRows).map((rows) => t.insert(events).values(rows)),
      ...(await audit(d, {
        action: 'events.ingest',
        targetType: 'event_batch',
        targetId: d.requestId ?? '',
        details: {
          received: batch.length,
          stored: eventRows.length,
          invited: invitationRows.length,
          skipped: eventRows.length - invitationRows.length,
          replayed: list.filter((r) => 'decision' in r).length - eventRows.length,
          refused: list.filter((r) => 'error' in r).length,
        },
      })),
    ];
    await commit(t, statements);
  }
  return batch.map((e) => results.get(e.id)!);
}
