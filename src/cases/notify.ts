import { inArray } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { commit } from '../db/client';
import { caseEvents, devOutbox, jobSteps } from '../db/schema';
import type { TenantDb, TenantInsert } from '../db/tenant-db';
import { permanentFailure, sendEmail, sendSms, type SendResult } from '../delivery/channels';
import type { Config } from '../env';
import { newId } from '../lib/ids';
import { outboundPolicy } from '../lib/outbound';
import type { Settings } from '../settings/settings';
import type { Person } from './routing';

/** Where a notification links to: the case's page in the portal (web/pages/cases.js, hash route `#/cases/<id>`). */
export const caseLink = (config: Config, caseId: string) => `${config.publicBaseUrl}/#/cases/${caseId}`;

const clocks = new Map<string, Intl.DateTimeFormat>();
/**
 * An instant as the reader's wall clock, with the zone named: `Fri, 4 Dec 2026, 17:30 (Europe/Berlin)`.
 * Users keep no time zone of their own, so messages use the case's unit's (docs/cases.md).
 */
export function localTime(ms: number, timeZone: string): string {
  let f = clocks.get(timeZone);
  if (!f)
    clocks.set(timeZone, (f = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })));
  return `${f.format(ms)} (${timeZone})`;
}

export interface CaseMessage {
  subject: string;
  text: string;
  sms: string;
}

/** The message to an owner about a case: score, comment, contact, times in the unit's zone, the portal link. */
export function caseMessage(x: {
  heading: string;
  caseId: string;
  /** The detractor's score; null for an at-risk case, which names its account instead. */
  score: number | null;
  account?: AtRiskAccount | null;
  comment: string | null;
  unitName: string;
  /** The unit's time zone: times are shown in it. */
  timeZone: string;
  contact: { externalId: string; email: string | null; phone: string | null; name?: unknown } | null;
  link: string;
  answeredAt?: number | null;
  dueAt?: number | null;
}): CaseMessage {
  const who = x.contact ? [typeof x.contact.name === 'string' ? x.contact.name : null, x.contact.externalId, x.contact.email, x.contact.phone].filter(Boolean).join(', ') : 'anonymous';
  const what = x.account ? `account ${x.account.name} at risk (${percent(x.account.probability)} churn probability)` : `score ${x.score}`;
  const lines = [
    `${x.heading}: ${what} at ${x.unitName}.`,
    ...(x.account
      ? [
          `Churn probability: ${percent(x.account.probability)}${x.account.horizonDays ? ` within ${x.account.horizonDays} days` : ''}${x.account.threshold ? `, over the threshold of ${percent(x.account.threshold)}` : ''}${x.account.model ? ` (${x.account.model === 'rules' ? 'the rules score, not a fitted model' : 'the churn model'})` : ''}.`,
          `Reasons: ${x.account.reasons.length ? x.account.reasons.map((r) => `${r.feature} (+${r.contribution.toFixed(2)})`).join(', ') : '(none given)'}`,
        ]
      : [`Contact: ${who}`, `Comment: ${x.comment?.trim() ? x.comment.trim() : '(none)'}`]),
    ...(x.answeredAt ? [`Answered: ${localTime(x.answeredAt, x.timeZone)}`] : []),
    ...(x.dueAt ? [`First contact due: ${localTime(x.dueAt, x.timeZone)}`] : []),
    `Case: ${x.link}`,
  ];
  const sms = `${x.heading}: ${what} at ${x.unitName}. ${x.link}`;
  return { subject: `${x.heading}: ${what} at ${x.unitName}`, text: lines.join('\n\n'), sms: sms.slice(0, 600) };
}

const percent = (p: number) => `${Math.round(p * 100)}%`;

/** What an at-risk case's messages say of its account (kept in the case's `opened` or `risk_crossed` event). */
export interface AtRiskAccount {
  name: string;
  probability: number;
  threshold?: number;
  horizonDays?: number;
  model?: 'logistic' | 'rules';
  reasons: { feature: string; contribution: number }[];
}

/** Thrown when a channel failed in a way worth retrying: the queue redelivers and the step is tried again. */
export class NotifyRetry extends Error {}

/**
 * Notifies a case owner by email (always: every user has one) and by SMS (when the tenant's
 * `casePhones` has a number for them), each channel once: a job step per channel
 * (`<keyBase>:email`, `<keyBase>:sms`) is written with the case event in one batch after the
 * send, so a redelivery skips what was sent. The provider gets the step key as its
 * idempotency key, so a crash between the send and that batch cannot make it deliver twice.
 * In development without a provider the message goes to the dev outbox. A permanent failure is
 * recorded and settled; a retryable one throws `NotifyRetry` after the other channel had its turn.
 */
export async function notifyOwner(
  t: TenantDb,
  config: Config,
  settings: Settings,
  x: { caseId: string; owner: Person; message: CaseMessage; keyBase: string; kind: string; now: number; fresh?: boolean },
): Promise<{ channel: string; result: SendResult }[]> {
  const phone = settings.casePhones?.[x.owner.id];
  const channels: ('email' | 'sms')[] = phone ? ['email', 'sms'] : ['email'];
  const keys = channels.map((ch) => `${x.keyBase}:${ch}`);
  // `fresh`: the caller just created what is notified about, so no step of these keys can exist.
  const done = x.fresh ? [] : await t.select({ key: jobSteps.key }).from(jobSteps).where(inArray(jobSteps.key, keys));
  const development = config.environment === 'development';
  const outcomes: { channel: string; result: SendResult }[] = [];
  let retry: string | null = null;
  for (const channel of channels) {
    const key = `${x.keyBase}:${channel}`;
    if (done.some((d) => d.key === key)) continue;
    const to = channel === 'email' ? x.owner.email : phone!;
    let result: SendResult;
    let outbox: TenantInsert<typeof devOutbox> | null = null;
    if (channel === 'email' && settings.email) {
      result = await sendEmail(outboundPolicy(config), settings.email, {
        to,
        subject: x.message.subject,
        text: x.message.text,
        html: `<pre>${x.message.text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)}</pre>`,
        invitationId: x.caseId,
        idempotencyKey: key,
      });
    } else if (channel === 'sms' && settings.sms) {
      result = await sendSms(outboundPolicy(config), settings.sms, { to, body: x.message.sms, idempotencyKey: key });
    } else if (development) {
      result = { outcome: 'sent', statusCode: null };
      outbox = {
        id: newId('out'),
        channel,
        recipient: to,
        subject: channel === 'email' ? x.message.subject : null,
        body: channel === 'email' ? x.message.text : x.message.sms,
        invitationId: null,
        createdAt: x.now,
      };
    } else {
      result = permanentFailure(`no ${channel === 'email' ? 'email' : 'SMS'} provider is configured (settings.${channel})`);
    }
    outcomes.push({ channel, result });
    if (result.outcome === 'failed' && result.retryable) {
      retry = `${channel} to the owner of case ${x.caseId}: ${result.error}`;
      continue;
    }
    const statements: BatchItem<'sqlite'>[] = [
      t
        .insert(jobSteps)
        .values({
          key,
          result: { channel, outcome: result.outcome, statusCode: result.statusCode, ...(result.outcome === 'failed' ? { error: result.error } : {}) },
          createdAt: x.now,
        })
        .onConflictDoNothing(),
      t.insert(caseEvents).values({
        id: newId('cev'),
        caseId: x.caseId,
        type: result.outcome === 'sent' ? 'notified' : 'notify_failed',
        actorType: 'system',
        actorId: null,
        details: { kind: x.kind, channel, to: x.owner.id, ...(result.outcome === 'failed' ? { error: result.error } : {}) },
        createdAt: x.now,
      }),
    ];
    if (outbox) statements.push(t.insert(devOutbox).values(outbox));
    await commit(t, statements);
  }
  if (retry) throw new NotifyRetry(retry);
  return outcomes;
}
