import { and, eq, isNull, or, sql, type Placeholder, type SQL } from 'drizzle-orm';
import { tenantStatement } from '../db/prepared';
import type { TenantDb } from '../db/tenant-db';
import type { Branding } from '../settings/branding';
import { SettingsSchema } from '../settings/settings';
import { TouchpointRulesSchema } from '../touchpoints/rules';
import { webhookWants } from '../webhooks/emit';
import { contacts, events, invitations, responses, revokedLinks, surveys, surveyVersions, tenants, touchpoints, units, type Channel } from '../db/schema';
import type { Definition } from '../surveys/definition';
import type { SurveyLinkClaims } from '../surveys/token';
import type { TouchpointLink } from '../survey-page/touchpoint-token';
import { anonymousAnswersToTouchpoint, answersFromClient, type ClientWindow } from './quality';

/** A verified link: an invitation's, or an anonymous touchpoint link (with its id, for revocation). */
export type VerifiedLink = { kind: 'invitation'; claims: SurveyLinkClaims } | ({ kind: 'touchpoint' } & TouchpointLink);

/** What a form state is bound to: the invitation, or the touchpoint and unit of an anonymous link. */
export const linkSubject = (link: VerifiedLink) => (link.kind === 'invitation' ? `inv:${link.claims.invitationId}` : `tp:${link.claims.touchpointId}:${link.claims.unitId}`);

export interface StoredResponse {
  id: string;
  score: number | null;
  comment: string | null;
  answers: Record<string, unknown>;
}

/**
 * The respondent side's look and promise, from the tenant's settings and the touchpoint's rules:
 * the branding, and the first-contact target a detractor is told about (the touchpoint's, else
 * the tenant's; docs/survey.md "Thank-you page"), counted in business hours when the tenant has a calendar.
 */
export interface RespondentLook {
  branding: Branding | undefined;
  firstContactHours: number;
  businessHours: boolean;
}

export function respondentLook(rawSettings: unknown, rules: unknown): RespondentLook {
  let raw: unknown = rawSettings;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      raw = {};
    }
  }
  const settings = SettingsSchema.safeParse(raw ?? {});
  const s = settings.success ? settings.data : SettingsSchema.parse({});
  const touchpoint = TouchpointRulesSchema.safeParse(rules ?? {}).data?.firstContactHours;
  return { branding: s.branding, firstContactHours: touchpoint ?? s.caseTargets.firstContactHours, businessHours: !!s.businessCalendar };
}

/**
 * The tenant's own row, joined to a target's query (the handle scopes it to the tenant): its
 * settings and whether its writes are paused, read once (two subqueries read it twice, and
 * Turso bills each row scanned).
 */
const ofTheTenant = sql`true`;

export const followUpOf = (rules: unknown, hooked: number | boolean) => ({ includePassives: TouchpointRulesSchema.safeParse(rules ?? {}).data?.includePassives ?? false, webhooks: Boolean(hooked) });

/** Everything the page and the capture need about the survey a link opens. */
export interface SurveyTarget {
  tenantId: string;
  invitationId: string | null;
  touchpointId: string;
  unitId: string;
  /** The unit's materialised path (the follow-up's routing reads its chain). */
  unitPath: string;
  contactId: string | null;
  surveyId: string;
  surveyVersion: number;
  channel: Channel;
  definition: Definition;
  defaultLocale: string;
  /** The contact's locale (else the invitation's), first choice for the page. */
  preferredLocale: string | null;
  contact: { isTest: boolean; isEmployee: boolean } | null;
  /** The event that invited the answer (its row id), kept on the response: its attributes are the answer's operational facts. */
  eventId: string | null;
  /** The contact's segment and lifetime value now, kept on the response for the rollups. */
  segment: string | null;
  lifetimeValue: number | null;
  /** The contact's tenure, contract size and support tier now, kept on the response for the contact cuts. */
  tenureMonths: number | null;
  contractSize: string | null;
  supportTier: string | null;
  /** The invitation's vendor unit and agent (docs/dimensions.md), kept on the response; null for anonymous links. */
  vendorId: string | null;
  agentId: string | null;
  /** Takes no answers: the invitation expired or was cancelled, the touchpoint is inactive or unpublished, the anonymous link revoked. */
  closed: boolean;
  /** What decides whether a new answer has a follow-up (src/cases/follow-up.ts): passives open cases here; a webhook wants `response.created`. */
  followUp: { includePassives: boolean; webhooks: boolean };
  /** The invitation's response, when there is one. */
  existing: StoredResponse | null;
  /** The tenant's writes are paused (moved or deleted meanwhile): an answer waits in the buffer. */
  writesPaused: boolean;
  /** The tenant's branding and the follow-up promise of the thank-you page. */
  look: RespondentLook;
}

const none = sql<number>`0`.mapWith(Number);

/**
 * Whether the tenant's writes are paused in this database (a move or a deletion under way): a
 * respondent bound by the link's database id, not the directory, learns it here (src/lib/bind-tenant.ts).
 */
const writesPaused = sql<number>`${tenants.writesPausedAt} is not null`.mapWith(Number);

/**
 * The row id of the event that made the invitation (`source = event:<event id>`), by the events'
 * (tenant, event id) index; null for wave and widget invitations. Capture keeps it on the answer,
 * so that reading an answer's operational facts is one primary-key lookup (docs/drivers.md).
 */
export const invitingEvent = (t: TenantDb) =>
  sql<string | null>`case when ${invitations.source} like 'event:%' then ${t
    .select({ id: events.id })
    .from(events)
    .where(eq(events.eventId, sql`substr(${invitations.source}, 7)`))} end`;

/**
 * The invitation with its survey version, contact and response: one query. The token's
 * survey version must be the invitation's; another tenant's invitation is simply not found.
 */
export function invitationTargetQuery(t: TenantDb, claims: { [K in 'invitationId' | 'surveyVersion']: SurveyLinkClaims[K] | Placeholder }) {
  return t
    .select({
      status: invitations.status,
      expiresAt: invitations.expiresAt,
      contactId: invitations.contactId,
      unitId: invitations.unitId,
      unitPath: units.path,
      touchpointId: invitations.touchpointId,
      surveyId: invitations.surveyId,
      channel: invitations.channel,
      invitationLocale: invitations.locale,
      vendorId: invitations.vendorId,
      agentId: invitations.agentId,
      definition: surveyVersions.definition,
      defaultLocale: surveys.defaultLocale,
      contactLocale: contacts.locale,
      isTest: contacts.isTest,
      isEmployee: contacts.isEmployee,
      segment: contacts.segment,
      lifetimeValue: contacts.lifetimeValue,
      tenureMonths: contacts.tenureMonths,
      contractSize: contacts.contractSize,
      supportTier: contacts.supportTier,
      eventId: invitingEvent(t),
      rules: touchpoints.rules,
      hooked: webhookWants(t, 'response.created'),
      paused: writesPaused,
      settings: tenants.settings,
      responseId: responses.id,
      score: responses.score,
      comment: responses.comment,
      answers: responses.answers,
    })
    .from(invitations)
    .innerJoin(units, eq(units.id, invitations.unitId))
    .innerJoin(surveys, eq(surveys.id, invitations.surveyId))
    .innerJoin(surveyVersions, and(eq(surveyVersions.surveyId, invitations.surveyId), eq(surveyVersions.version, invitations.surveyVersion)))
    .leftJoin(contacts, eq(contacts.id, invitations.contactId))
    .leftJoin(responses, eq(responses.invitationId, invitations.id))
    .leftJoin(touchpoints, eq(touchpoints.id, invitations.touchpointId))
    .innerJoin(tenants, ofTheTenant)
    .where(and(eq(invitations.id, claims.invitationId), eq(invitations.surveyVersion, claims.surveyVersion)));
}

/**
 * The target of an invitation's submit: capture's first round trip, built once per isolate
 * with the tenant a placeholder bound per call (src/db/prepared.ts).
 */
export const invitationSubmitTarget = tenantStatement((t) => invitationTargetQuery(t, { invitationId: sql.placeholder('invitationId'), surveyVersion: sql.placeholder('surveyVersion') }).prepare());

/**
 * The target of an invitation's link at `now`. A buffered answer written later (`replay`: `now`
 * is when it came) is closed only if the invitation was cancelled or had expired when it came,
 * not because the expiry sweep has marked it expired since.
 */
export function invitationTarget(claims: SurveyLinkClaims, rows: Awaited<ReturnType<typeof invitationTargetQuery>>, now: number, replay = false): SurveyTarget | null {
  const row = rows[0];
  if (!row) return null;
  return {
    tenantId: claims.tenantId,
    invitationId: claims.invitationId,
    touchpointId: row.touchpointId,
    unitId: row.unitId,
    unitPath: row.unitPath,
    contactId: row.contactId,
    surveyId: row.surveyId,
    surveyVersion: claims.surveyVersion,
    channel: row.channel,
    definition: row.definition as unknown as Definition,
    defaultLocale: row.defaultLocale,
    preferredLocale: row.contactLocale ?? row.invitationLocale,
    contact: row.isTest === null ? null : { isTest: row.isTest, isEmployee: row.isEmployee ?? false },
    eventId: row.eventId,
    segment: row.segment,
    lifetimeValue: row.lifetimeValue,
    tenureMonths: row.tenureMonths,
    contractSize: row.contractSize,
    supportTier: row.supportTier,
    vendorId: row.vendorId,
    agentId: row.agentId,
    closed: row.status === 'cancelled' || (row.status === 'expired' && !replay) || row.expiresAt <= now,
    followUp: followUpOf(row.rules, row.hooked),
    existing: row.responseId ? { id: row.responseId, score: row.score, comment: row.comment, answers: row.answers ?? {} } : null,
    writesPaused: row.paused === 1,
    look: respondentLook(row.settings, row.rules),
  };
}

/**
 * The touchpoint of an anonymous link with its unit and survey version, and whether the link
 * was revoked: one query. The version is the one the page showed (from the form state) or
 * else the newest published. With a submit's client, also this client's answers in the bulk
 * and duplicate windows.
 */
export function touchpointTargetQuery(t: TenantDb, link: TouchpointLink, version?: number, client?: ClientWindow) {
  const { claims } = link;
  const versionMatch: SQL = version === undefined ? eq(surveyVersions.version, surveys.publishedVersion) : eq(surveyVersions.version, version);
  return t
    .select({
      active: touchpoints.active,
      unitPath: units.path,
      surveyId: touchpoints.surveyId,
      rules: touchpoints.rules,
      hooked: webhookWants(t, 'response.created'),
      defaultLocale: surveys.defaultLocale,
      version: surveyVersions.version,
      definition: surveyVersions.definition,
      recentFromClient: client ? answersFromClient(t, client) : none,
      sameTouchpoint: client ? anonymousAnswersToTouchpoint(t, claims.touchpointId, client) : none,
      revoked: sql<number>`exists ${t.select({ one: sql`1` }).from(revokedLinks).where(eq(revokedLinks.id, link.linkId))}`.mapWith(Number),
      paused: writesPaused,
      settings: tenants.settings,
    })
    .from(touchpoints)
    .innerJoin(units, eq(units.id, claims.unitId))
    .innerJoin(surveys, eq(surveys.id, touchpoints.surveyId))
    .leftJoin(surveyVersions, and(eq(surveyVersions.surveyId, touchpoints.surveyId), versionMatch))
    .innerJoin(tenants, ofTheTenant)
    .where(eq(touchpoints.id, claims.touchpointId));
}

export function touchpointTarget({ claims }: TouchpointLink, rows: Awaited<ReturnType<typeof touchpointTargetQuery>>): SurveyTarget | null {
  const row = rows[0];
  if (!row) return null;
  return {
    tenantId: claims.tenantId,
    invitationId: null,
    touchpointId: claims.touchpointId,
    unitId: claims.unitId,
    unitPath: row.unitPath,
    contactId: null,
    surveyId: row.surveyId,
    surveyVersion: row.version ?? 0,
    channel: 'link',
    definition: (row.definition ?? { questions: [], translations: {} }) as unknown as Definition,
    defaultLocale: row.defaultLocale,
    preferredLocale: null,
    contact: null,
    eventId: null,
    segment: null,
    lifetimeValue: null,
    tenureMonths: null,
    contractSize: null,
    supportTier: null,
    vendorId: null,
    agentId: null,
    closed: !row.active || row.version === null || row.revoked === 1,
    followUp: followUpOf(row.rules, row.hooked),
    existing: null,
    writesPaused: row.paused === 1,
    look: respondentLook(row.settings, row.rules),
  };
}

/**
 * The anonymous response a submit continues: the one its signed form state names (`r`), or the
 * one an earlier submit of the same page's state created (its nonce `n`).
 */
export const anonymousResponseQuery = (t: TenantDb, link: TouchpointLink, state: { r?: string; n?: string } | null) =>
  t
    .select({ id: responses.id, score: responses.score, comment: responses.comment, answers: responses.answers })
    .from(responses)
    .where(and(or(eq(responses.id, state?.r ?? ''), eq(responses.formNonce, state?.n ?? '')), eq(responses.touchpointId, link.claims.touchpointId), isNull(responses.invitationId)))
    .limit(1);

/** Loads the target of a link in one query (the page); null when it names nothing. */
export async function loadTarget(t: TenantDb, link: VerifiedLink, now: number): Promise<SurveyTarget | null> {
  if (link.kind === 'invitation') return invitationTarget(link.claims, await invitationTargetQuery(t, link.claims), now);
  return touchpointTarget(link, await touchpointTargetQuery(t, link));
}
