import { and, count, eq, gte, inArray, lte, max, ne, sql, type SQLWrapper } from 'drizzle-orm';
import type { TenantDb } from '../db/tenant-db';
import { contacts, events, invitations, touchpoints, type Channel } from '../db/schema';
import { hex } from '../lib/ids';
import type { Settings } from '../settings/settings';
import { TouchpointRulesSchema, type TouchpointRules } from '../touchpoints/rules';

/**
 * Who gets a survey: the eligibility rules, in the order they are tried, and the data they
 * need. `decide` is a pure function of a candidate, its history and the clock; the first rule
 * that refuses names the decision's reason. docs/delivery-rules.md describes each rule.
 */

/** Events of this type feed the `recent_negative` rule (they name no touchpoint). */
export const NEGATIVE_EVENT_TYPE = 'interaction.negative';

export const DAY_MS = 86_400_000;

/** The skip reasons, in the order their rules are tried. */
export const SKIP_REASONS = [
  'touchpoint_inactive',
  'unresolved',
  'opted_out',
  'employee',
  'test_contact',
  'recent_negative',
  'fatigue',
  'sampled_out',
  'daily_cap',
  'no_channel',
  'no_published_survey',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];
/** `eligible`: every rule passed; `no_touchpoint`: an event that names none (e.g. a negative interaction) is only recorded. */
export const REASONS = ['eligible', 'no_touchpoint', ...SKIP_REASONS] as const;
export type Reason = (typeof REASONS)[number];

/** Ticket states that count as done for the `unresolved` rule (compared without case). */
const DONE_TICKET_STATES = new Set(['resolved', 'closed']);

/** What the rules read of a contact. */
export interface Recipient {
  id: string;
  email: string | null;
  phone: string | null;
  segment: string | null;
  isEmployee: boolean;
  isTest: boolean;
  optedOutAt: number | null;
}

/** What the rules read of a touchpoint (and its survey). */
export interface Program {
  id: string;
  active: boolean;
  channels: Channel[];
  rules: TouchpointRules;
  publishedVersion: number | null;
}

/** The occasion of a decision: an event, or a run of a wave. */
export interface Occasion {
  /** The event's occurredAt, or the wave run's time. */
  at: number;
  /** The event's attributes; a wave run has none, so `unresolved` never applies to it. */
  attributes?: Record<string, unknown>;
  /** Where the candidate falls in [0, 1) for sampling: see `samplePoint`. */
  samplePoint: number;
}

/**
 * What the rules need to know of the past, in memory: kept up to date while a batch is
 * decided, so a later candidate of the same batch sees the invitations of earlier ones.
 */
export interface History {
  /** contact id → when its newest invitation (not cancelled) was created. */
  lastInvitedAt: Map<string, number>;
  /** contact id → when its negative interactions occurred. */
  negativesAt: Map<string, number[]>;
  /** touchpoint id → invitations created since the UTC day of `now` began. */
  invitedToday: Map<string, number>;
}

export type Decision = { decision: 'invite'; reason: 'eligible'; channel: Channel } | { decision: 'skip'; reason: SkipReason };

/** The first of the touchpoint's channels that reaches the contact: email needs an address, sms a phone. */
export function reachingChannel(channels: readonly Channel[], r: Pick<Recipient, 'email' | 'phone'>): Channel | undefined {
  return channels.find((ch) => (ch === 'email' ? !!r.email : ch === 'sms' ? !!r.phone : true));
}

/** The sampling rate of a segment: its own, else `*`, else 1 (no sampling). */
export function samplingRate(rules: TouchpointRules, segment: string | null): number {
  const s = rules.sampling;
  if (!s) return 1;
  return (segment !== null ? s[segment] : undefined) ?? s['*'] ?? 1;
}

/**
 * A deterministic point in [0, 1) for a contact and an occasion: SHA-256 of tenant, contact
 * and occasion key (the event id, or `wave:<id>:<run>`), its first 48 bits as a fraction. The
 * same candidate always lands on the same point, so a replay decides the same, and rates
 * of different occasions are independent.
 */
export async function samplePoint(tenantId: string, contactId: string, occasionKey: string): Promise<number> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${tenantId}\u0000${contactId}\u0000${occasionKey}`));
  return parseInt(hex(new Uint8Array(digest, 0, 6)), 16) / 2 ** 48;
}

export const utcDayStart = (t: number) => t - (t % DAY_MS);

/**
 * The eligibility decision for one candidate. Rules in order, the first that refuses decides:
 * touchpoint_inactive, unresolved, opted_out, employee, test_contact, recent_negative,
 * fatigue, sampled_out, daily_cap, no_channel, no_published_survey; else invite on the first
 * channel that reaches the contact.
 */
export function decide(c: { recipient: Recipient; program: Program; occasion: Occasion }, history: History, settings: Pick<Settings, 'fatigueDays'>, now: number): Decision {
  const { recipient: r, program: p, occasion: o } = c;
  const skip = (reason: SkipReason): Decision => ({ decision: 'skip', reason });
  if (!p.active) return skip('touchpoint_inactive');
  const ticketStatus = o.attributes?.ticketStatus;
  if (ticketStatus !== undefined && ticketStatus !== null && !DONE_TICKET_STATES.has(String(ticketStatus).trim().toLowerCase())) return skip('unresolved');
  if (r.optedOutAt !== null) return skip('opted_out');
  if (r.isEmployee) return skip('employee');
  if (r.isTest) return skip('test_contact');
  const negativeDays = p.rules.suppressAfterNegativeDays;
  if (negativeDays && (history.negativesAt.get(r.id) ?? []).some((t) => t <= o.at && t >= o.at - negativeDays * DAY_MS)) return skip('recent_negative');
  const fatigueDays = p.rules.fatigueDays ?? settings.fatigueDays;
  const last = history.lastInvitedAt.get(r.id);
  if (fatigueDays > 0 && last !== undefined && last > now - fatigueDays * DAY_MS) return skip('fatigue');
  if (o.samplePoint >= samplingRate(p.rules, r.segment)) return skip('sampled_out');
  const cap = p.rules.dailyCap;
  if (cap !== undefined && (history.invitedToday.get(p.id) ?? 0) >= cap) return skip('daily_cap');
  const channel = reachingChannel(p.channels, r);
  if (!channel) return skip('no_channel');
  if (p.publishedVersion === null) return skip('no_published_survey');
  return { decision: 'invite', reason: 'eligible', channel };
}

/** Records an invitation in the history, so the next candidates see it (fatigue, daily cap). */
export function recordInvitation(history: History, contactId: string, touchpointId: string, now: number) {
  history.lastInvitedAt.set(contactId, now);
  history.invitedToday.set(touchpointId, (history.invitedToday.get(touchpointId) ?? 0) + 1);
}

/** Records a negative interaction in the history. */
export function recordNegative(history: History, contactId: string, at: number) {
  history.negativesAt.set(contactId, [...(history.negativesAt.get(contactId) ?? []), at]);
}

/** A touchpoint's stored rules; a row that fails the schema is read as having no rules, and said so in the log. */
export function readRules(touchpointId: string, raw: unknown): TouchpointRules {
  const parsed = TouchpointRulesSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  console.error(JSON.stringify({ level: 'error', message: 'touchpoint rules do not match their schema; read as none', touchpointId, issues: parsed.error.issues.length }));
  return {};
}

/** The longest suppression window the rules allow: how far back negative interactions are loaded. */
const MAX_NEGATIVE_DAYS = 365;

/**
 * A contact's history as two columns of a select of contacts, each a correlated subquery on the
 * contact's own index range: the last invitation (not cancelled) and the negative interactions
 * from the longest suppression window before `span.from` to `span.to` (the occasions decided).
 * Read with the contacts themselves, they cost a seek or two per contact; as separate queries
 * each read the contacts again (Turso bills each row scanned).
 */
export function contactHistory(t: TenantDb, span: { from: number; to: number }) {
  return {
    lastInvitedAt: sql<number | null>`(${t
      .select({ at: max(invitations.createdAt) })
      .from(invitations)
      .where(and(eq(invitations.contactId, contacts.id), ne(invitations.status, 'cancelled')))})`,
    negatives: sql<string>`(${t
      .select({ at: sql`json_group_array(${events.occurredAt})` })
      .from(events)
      .where(and(eq(events.contactId, contacts.id), eq(events.type, NEGATIVE_EVENT_TYPE), gte(events.occurredAt, span.from - MAX_NEGATIVE_DAYS * DAY_MS), lte(events.occurredAt, span.to)))})`,
  };
}

/**
 * Invitations created today per touchpoint (`touchpointIds`: an id list or a subquery selecting
 * ids), for the daily cap. Counted only for touchpoints with a cap: the count reads every
 * invitation of the day, and a cap bounds how many there are.
 */
export function invitedTodayQuery(t: TenantDb, touchpointIds: string[] | SQLWrapper, now: number) {
  return t
    .select({ touchpointId: invitations.touchpointId, n: count() })
    .from(invitations)
    .where(
      and(
        inArray(
          invitations.touchpointId,
          t
            .select({ id: touchpoints.id })
            .from(touchpoints)
            .where(and(inArray(touchpoints.id, touchpointIds), sql`json_extract(${touchpoints.rules}, '$.dailyCap') is not null`)),
        ),
        gte(invitations.createdAt, utcDayStart(now)),
        ne(invitations.status, 'cancelled'),
      ),
    )
    .groupBy(invitations.touchpointId);
}

/** The History from contacts read with `contactHistory` and the rows of `invitedTodayQuery`. */
export function toHistory(contactRows: { id: string; lastInvitedAt: number | null; negatives: string }[], today: { touchpointId: string; n: number }[]): History {
  const history: History = { lastInvitedAt: new Map(), negativesAt: new Map(), invitedToday: new Map() };
  for (const c of contactRows) {
    if (c.lastInvitedAt !== null) history.lastInvitedAt.set(c.id, Number(c.lastInvitedAt));
    for (const at of JSON.parse(c.negatives) as number[]) recordNegative(history, c.id, at);
  }
  for (const r of today) history.invitedToday.set(r.touchpointId, r.n);
  return history;
}
