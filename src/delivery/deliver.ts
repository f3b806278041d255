import { dataPlane } from '../db/plane';
import { and, eq, gt, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { commit } from '../db/client';
import { contacts, deliveryAttempts, devOutbox, invitations, surveys, surveyVersions, tenants, touchpoints } from '../db/schema';
import { TenantDb, type TenantInsert } from '../db/tenant-db';
import { loadConfig, type Config, type Env } from '../env';
import type { JobMessage } from '../jobs/queue';
import { newId } from '../lib/ids';
import { outboundPolicy } from '../lib/outbound';
import { SettingsSchema } from '../settings/settings';
import { permanentFailure, sendEmail, sendSms, sendWebhook, sent, type SendResult } from './channels';
import { invitationLink } from './link';
import { composeMessage, greetingName, type DeliveryKind } from './message';

/** Tries of one kind (invitation or reminder) before giving up: the invitation ends `dead`. */
const MAX_TRIES = 5;
const DAY_MS = 86_400_000;
/**
 * How long the due scan leaves a claimed or enqueued delivery alone: a `sending` invitation
 * untouched this long, or a reminder whose reservation ran out, is enqueued again.
 */
export const LEASE_MS = 15 * 60_000;

export type DeliveryType = 'invitation.send' | 'invitation.remind';
const KIND: Record<DeliveryType, DeliveryKind> = { 'invitation.send': 'invitation', 'invitation.remind': 'reminder' };

export interface DeliveryMessage extends JobMessage {
  type: DeliveryType;
  tenantId: string;
  invitationId: string;
}

export const deliveryMessage = (type: DeliveryType, tenantId: string, invitationId: string): DeliveryMessage => ({
  type,
  tenantId,
  invitationId,
  idempotencyKey: `${type}:${invitationId}`,
});

/** Channels a reminder can go through: link and in-app have nobody to send it to. */
const REMINDABLE = new Set<string>(['email', 'sms', 'webhook']);

/**
 * Tries done for the invitation being updated: its failed tries (rows in delivery_attempts) and
 * its successes, kept on the invitation itself (sent_at, reminded_at) rather than as rows.
 * `attempts` equals it when no try is in progress; a claim makes it one more, and the try's
 * outcome makes them equal again. `ownAttempts` puts the delivery_attempts rows in the
 * invitation's tenant: the handle's `owns(deliveryAttempts)` for one tenant's invitation, the
 * invitation's own tenant in the cross-tenant scan.
 */
export const recordedTries = (ownAttempts: SQL) =>
  sql`((select count(*) from ${deliveryAttempts} where ${ownAttempts} and ${deliveryAttempts.invitationId} = ${invitations.id}) + (${invitations.sentAt} is not null) + (${invitations.remindedAt} is not null))`;

/**
 * Claims the next try: only when nothing is in progress (attempts = tries recorded), so a
 * message delivered twice at once sends once, and only while there is something to send.
 * A claim whose worker died is released by the due scan after a lease (see scan.ts).
 */
function claim(t: TenantDb, kind: DeliveryKind, id: string, now: number) {
  const ready = kind === 'invitation' ? eq(invitations.status, 'sending') : and(eq(invitations.status, 'sent'), isNull(invitations.remindedAt), isNotNull(invitations.reminderDueAt));
  return t
    .update(invitations)
    .set({ attempts: sql`${invitations.attempts} + 1`, updatedAt: now, ...(kind === 'reminder' ? { reminderDueAt: now + LEASE_MS } : {}) })
    .where(and(eq(invitations.id, id), ready, gt(invitations.expiresAt, now), sql`${invitations.attempts} = ${recordedTries(t.owns(deliveryAttempts))}`))
    .returning({ attempts: invitations.attempts });
}

/** The invitation with everything a try needs, in one statement. */
function load(t: TenantDb, kind: DeliveryKind, id: string) {
  return (
    t
      .select({
        invitation: invitations,
        contact: { externalId: contacts.externalId, email: contacts.email, phone: contacts.phone, locale: contacts.locale, attributes: contacts.attributes },
        touchpointKey: touchpoints.key,
        reminderAfterDays: touchpoints.reminderAfterDays,
        definition: surveyVersions.definition,
        defaultLocale: surveys.defaultLocale,
        settings: tenants.settings,
        tries: sql<number>`(select count(*) from ${deliveryAttempts} where ${t.owns(deliveryAttempts)} and ${deliveryAttempts.invitationId} = ${id} and ${deliveryAttempts.kind} = ${kind})`,
      })
      .from(invitations)
      // The tenant's own row (its settings): the handle joins it on the tenant.
      .innerJoin(tenants, undefined)
      .leftJoin(contacts, eq(contacts.id, invitations.contactId))
      .leftJoin(touchpoints, eq(touchpoints.id, invitations.touchpointId))
      .leftJoin(surveys, eq(surveys.id, invitations.surveyId))
      .leftJoin(surveyVersions, and(eq(surveyVersions.surveyId, invitations.surveyId), eq(surveyVersions.version, invitations.surveyVersion)))
      .where(eq(invitations.id, id))
      .limit(1)
  );
}
type Loaded = Awaited<ReturnType<typeof load>>[number];
type OutboxRow = TenantInsert<typeof devOutbox>;

/** Sends one try through the invitation's channel; in development without a provider, email and SMS go to the dev outbox. */
async function attempt(config: Config, row: Loaded, kind: DeliveryKind, key: string, now: number, databaseId: string | undefined): Promise<{ result: SendResult; outbox?: OutboxRow }> {
  const inv = row.invitation;
  // The API returns the link, the widget shows the survey: nothing to send.
  if (inv.channel === 'link' || inv.channel === 'in_app') return { result: sent() };
  if (!row.definition || !row.defaultLocale || !row.touchpointKey) return { result: permanentFailure('the survey version or touchpoint no longer exists') };
  const settings = SettingsSchema.parse(row.settings);
  const link = await invitationLink(config, inv, databaseId);
  const message = composeMessage({
    definition: row.definition,
    defaultLocale: row.defaultLocale,
    preferredLocale: inv.locale ?? row.contact?.locale ?? null,
    link,
    kind,
    name: greetingName(row.contact?.attributes),
    branding: settings.branding,
  });
  const development = config.environment === 'development';
  const outbox = (recipient: string, subject: string | null, body: string): OutboxRow => ({
    id: newId('out'),
    channel: inv.channel,
    recipient,
    subject,
    body,
    invitationId: inv.id,
    createdAt: now,
  });

  switch (inv.channel) {
    case 'email': {
      const to = row.contact?.email;
      if (!to) return { result: permanentFailure('the contact has no email address') };
      if (settings.email)
        return { result: await sendEmail(outboundPolicy(config), settings.email, { to, ...message, fromName: settings.branding?.senderName, invitationId: inv.id, idempotencyKey: key }) };
      if (development) return { result: sent(), outbox: outbox(to, message.subject, message.text) };
      return { result: permanentFailure('no email provider is configured (settings.email)') };
    }
    case 'sms': {
      const to = row.contact?.phone;
      if (!to) return { result: permanentFailure('the contact has no phone number') };
      if (settings.sms) return { result: await sendSms(outboundPolicy(config), settings.sms, { to, body: message.sms, idempotencyKey: key }) };
      if (development) return { result: sent(), outbox: outbox(to, null, message.sms) };
      return { result: permanentFailure('no SMS provider is configured (settings.sms)') };
    }
    case 'webhook': {
      if (!settings.webhook) return { result: permanentFailure('no webhook is configured (settings.webhook)') };
      const payload = {
        type: kind === 'invitation' ? 'invitation.created' : 'invitation.reminder',
        invitation: {
          id: inv.id,
          link,
          contactId: row.contact?.externalId ?? null,
          touchpoint: row.touchpointKey,
          unitId: inv.unitId,
          locale: message.locale,
          expiresAt: new Date(inv.expiresAt).toISOString(),
        },
      };
      return { result: await sendWebhook(outboundPolicy(config), settings.webhook, payload, key, now) };
    }
  }
}

/** The invitation's new state after a recorded try. */
function nextState(kind: DeliveryKind, result: SendResult, tryNumber: number, row: Loaded, at: number): Partial<typeof invitations.$inferInsert> {
  if (kind === 'invitation') {
    if (result.outcome === 'sent') {
      const days = REMINDABLE.has(row.invitation.channel) ? row.reminderAfterDays : null;
      return { status: 'sent', sentAt: at, lastError: null, reminderDueAt: days ? at + days * DAY_MS : null, updatedAt: at };
    }
    if (!result.retryable) return { status: 'failed', lastError: result.error, updatedAt: at };
    return tryNumber >= MAX_TRIES ? { status: 'dead', lastError: result.error, updatedAt: at } : { lastError: result.error, updatedAt: at };
  }
  if (result.outcome === 'sent') return { remindedAt: at, updatedAt: at };
  const lastError = `reminder: ${result.error}`;
  // Given up: no reminder is pending any more; the invitation itself stays sent.
  if (!result.retryable || tryNumber >= MAX_TRIES) return { reminderDueAt: null, lastError, updatedAt: at };
  return { lastError, updatedAt: at };
}

/** Thrown after a recorded failure worth retrying: the queue redelivers the message with backoff. */
class RetryLater extends Error {}

function parse(message: JobMessage): DeliveryMessage {
  const m = message as Partial<DeliveryMessage>;
  if (!(m.type && m.type in KIND) || typeof m.tenantId !== 'string' || typeof m.invitationId !== 'string') throw new Error(`malformed ${message.type} message`);
  return m as DeliveryMessage;
}

/**
 * One try to deliver an invitation or its reminder. Idempotent: a message for an invitation
 * already sent, answered, cancelled, expired or given up changes nothing and is acknowledged.
 * Every try is counted (invitations.attempts), every failure logged (delivery_attempts), a
 * success kept as the invitation's sent_at / reminded_at; a retryable failure throws
 * so the queue retries with backoff, and after MAX_TRIES the invitation is `dead` (recorded,
 * acknowledged, visible through the API).
 */
export async function deliver(message: JobMessage, env: Env): Promise<void> {
  const { type, tenantId, invitationId, idempotencyKey } = parse(message);
  const kind = KIND[type];
  const config = loadConfig(env);
  const home = await dataPlane(config).bind(tenantId, { write: true, job: true });
  if (!home) return; // the tenant is gone: nothing left to send
  const t = new TenantDb(home.db, tenantId, home.databaseId);
  const now = Date.now();
  const [claimed, [row]] = await t.batch([claim(t, kind, invitationId, now), load(t, kind, invitationId)]);
  const attempts = claimed[0]?.attempts;
  if (attempts === undefined || !row) return;

  const tryNumber = row.tries + 1;
  // An unexpected error is a failed try like any other: recorded, retried, at worst dead.
  const { result, outbox } = await attempt(config, row, kind, idempotencyKey, now, t.databaseId).catch((err: Error): { result: SendResult; outbox?: OutboxRow } => ({
    result: { outcome: 'failed', retryable: true, statusCode: null, error: `internal: ${err.message}` },
  }));
  const at = Date.now();
  const mine = and(eq(invitations.id, invitationId), eq(invitations.attempts, attempts), eq(invitations.status, kind === 'invitation' ? 'sending' : 'sent'));
  // A failed try is a row of the delivery log; a success is the invitation's own new state.
  const statements: BatchItem<'sqlite'>[] = [];
  if (result.outcome === 'failed') {
    statements.push(
      t.insert(deliveryAttempts).values({
        id: newId('dat'),
        invitationId,
        kind,
        attempt: tryNumber,
        channel: row.invitation.channel,
        outcome: result.outcome,
        statusCode: result.statusCode,
        error: result.error,
        createdAt: at,
      }),
    );
  }
  statements.push(
    t
      .update(invitations)
      .set(nextState(kind, result, tryNumber, row, at))
      .where(mine),
  );
  if (outbox) statements.push(t.insert(devOutbox).values(outbox));
  await commit(t, statements);
  if (result.outcome === 'failed' && result.retryable && tryNumber < MAX_TRIES) {
    throw new RetryLater(`${kind} ${invitationId}: try ${tryNumber} of ${MAX_TRIES} failed (${result.error})`);
  }
}
