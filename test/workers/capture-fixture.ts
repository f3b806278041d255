import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { commit } from '../../src/db/client';
import { contacts, invitations, responses, surveys, surveyVersions, touchpoints, type Channel } from '../../src/db/schema';
import { loadConfig, type Env } from '../../src/env';
import { newId } from '../../src/lib/ids';
import { signFormState, type FormState } from '../../src/responses/form-state';
import { signTouchpointLink } from '../../src/survey-page/touchpoint-token';
import type { Definition } from '../../src/surveys/definition';
import { standardSurvey } from '../../src/surveys/templates';
import { signSurveyLink } from '../../src/surveys/token';
import worker from '../../src/worker';
import { db, uniq, type CallResult } from './support';

/**
 * Respondent-side data written straight to the database (surveys, touchpoints, contacts,
 * invitations), signed links, and a call through the Worker whose workflow queue producer is
 * observed: the only mock, on the producer, so tests see what capture enqueues without a
 * real message outliving the test run.
 */

/** A fixture id that must be there (the fixture's maps are typed loosely). */
export function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('missing fixture id');
  return value;
}

export const config = () => loadConfig(env as unknown as Env);
const DAY = 86_400_000;

/** Every question type, with English, German and Arabic texts. */
export function fullSurvey(): Definition {
  const en = {
    'page.title': 'Your feedback',
    'page.submit': 'Send',
    'page.thanks': 'Thank you for your feedback.',
    'page.expired': 'This survey has ended.',
    'nps.label': 'How likely are you to recommend us to a friend or colleague?',
    'nps.low': 'Not at all likely',
    'nps.high': 'Extremely likely',
    'reason.label.detractor': 'What went wrong?',
    'reason.label.passive': 'What would make it a 10?',
    'reason.label.promoter': 'What did you like most?',
    'sat.label': 'How satisfied are you with the repair?',
    'sat.low': 'Very dissatisfied',
    'sat.high': 'Very satisfied',
    'effort.label': 'How easy was it to get help?',
    'effort.low': 'Very difficult',
    'effort.high': 'Very easy',
    'way.label': 'How did you reach us?',
    'way.option.phone': 'Phone',
    'way.option.email': 'Email',
    'way.option.chat': 'Chat',
    'fix.label': 'What should we fix first?',
    'fix.option.speed': 'Speed',
    'fix.option.price': 'Price',
    'fix.option.staff': 'Staff',
    'praise.label.detractor': '-',
    'praise.label.passive': '-',
    'praise.label.promoter': 'Whom should we thank?',
  };
  const de: Record<string, string> = {
    ...en,
    'page.title': 'Ihre Meinung',
    'page.submit': 'Senden',
    'page.thanks': 'Vielen Dank für Ihr Feedback.',
    'page.expired': 'Diese Umfrage ist beendet.',
    'nps.label': 'Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?',
    'nps.low': 'Überhaupt nicht wahrscheinlich',
    'nps.high': 'Äußerst wahrscheinlich',
    'reason.label.detractor': 'Was ist schiefgelaufen?',
    'reason.label.passive': 'Was fehlt zur 10?',
    'reason.label.promoter': 'Was hat Ihnen am besten gefallen?',
  };
  const ar: Record<string, string> = {
    ...en,
    'page.title': 'رأيك',
    'page.submit': 'إرسال',
    'page.thanks': 'شكرًا لملاحظاتك.',
    'nps.label': 'ما مدى احتمال أن توصي بنا لصديق أو زميل؟',
    'nps.low': 'غير محتمل على الإطلاق',
    'nps.high': 'محتمل للغاية',
  };
  return {
    questions: [
      { id: 'nps', type: 'nps', required: true },
      { id: 'reason', type: 'comment' },
      { id: 'sat', type: 'csat', required: true },
      { id: 'effort', type: 'ces' },
      { id: 'way', type: 'single', options: ['phone', 'email', 'chat'] },
      { id: 'fix', type: 'multi', options: ['speed', 'price', 'staff'], showIf: { categories: ['detractor'] } },
      { id: 'praise', type: 'comment', showIf: { categories: ['promoter'] } },
      { id: 'order', type: 'hidden' },
    ],
    translations: { en, de, ar },
  };
}

export interface SurveySetup {
  tenantId: string;
  touchpointId: string;
  touchpointKey: string;
  surveyId: string;
}

/** A survey with one published version (the standard one unless given) and a touchpoint on it. */
export async function makeSurvey(tenantId: string, opts: { definition?: Definition; defaultLocale?: string; channels?: Channel[]; active?: boolean; published?: boolean } = {}): Promise<SurveySetup> {
  const d = db(tenantId);
  const now = Date.now();
  const surveyId = newId('srv');
  const touchpointId = newId('tp');
  const touchpointKey = `tp-${uniq()}`;
  const definition = (opts.definition ?? standardSurvey('Acme')) as unknown as Record<string, unknown>;
  const published = opts.published ?? true;
  await commit(d, [
    d.insert(surveys).values({
      id: surveyId,
      tenantId,
      name: `Survey ${touchpointKey}`,
      defaultLocale: opts.defaultLocale ?? 'en',
      draft: definition,
      publishedVersion: published ? 1 : null,
      createdAt: now,
      updatedAt: now,
    }),
    ...(published ? [d.insert(surveyVersions).values({ id: newId('srvv'), tenantId, surveyId, version: 1, definition, createdAt: now })] : []),
    d.insert(touchpoints).values({
      id: touchpointId,
      tenantId,
      key: touchpointKey,
      name: touchpointKey,
      kind: 'support_resolution',
      surveyId,
      channels: opts.channels ?? ['email', 'link', 'in_app'],
      active: opts.active ?? true,
      createdAt: now,
      updatedAt: now,
    }),
  ]);
  return { tenantId, touchpointId, touchpointKey, surveyId };
}

export async function makeContact(
  tenantId: string,
  opts: {
    locale?: string;
    isTest?: boolean;
    isEmployee?: boolean;
    externalId?: string;
    optedOut?: boolean;
    segment?: string;
    lifetimeValue?: number;
    tenureMonths?: number;
    contractSize?: string;
    supportTier?: string;
  } = {},
) {
  const id = newId('con');
  const now = Date.now();
  const externalId = opts.externalId ?? `crm-${uniq()}${uniq()}`;
  await db(tenantId)
    .insert(contacts)
    .values({
      id,
      tenantId,
      externalId,
      email: `${externalId}@example.test`,
      locale: opts.locale ?? null,
      isTest: opts.isTest ?? false,
      isEmployee: opts.isEmployee ?? false,
      optedOutAt: opts.optedOut ? now : null,
      segment: opts.segment ?? null,
      lifetimeValue: opts.lifetimeValue ?? null,
      tenureMonths: opts.tenureMonths ?? null,
      contractSize: opts.contractSize ?? null,
      supportTier: opts.supportTier ?? null,
      createdAt: now,
      updatedAt: now,
    });
  return { id, externalId };
}

export interface Invite {
  id: string;
  token: string;
  path: string;
  unitId: string;
}

/** An invitation (sent by email unless told) with its signed link. */
export async function makeInvitation(
  s: SurveySetup,
  unit: string | undefined,
  opts: {
    contactId?: string | null;
    status?: 'sent' | 'cancelled' | 'expired' | 'answered';
    expiresAt?: number;
    tokenExpiresAt?: number;
    channel?: Channel;
    createdAt?: number;
    locale?: string;
    /** Where the invitation came from (`event:<event id>`, `wave:…`); default a test source of its own. */
    source?: string;
    /** The event's vendor unit and agent (docs/dimensions.md). */
    vendorId?: string;
    agentId?: string;
    /** The data database the link names (claim `db`); none: found through the directory. */
    databaseId?: string;
  } = {},
): Promise<Invite> {
  const unitId = need(unit);
  const id = newId('inv');
  const now = opts.createdAt ?? Date.now();
  const expiresAt = opts.expiresAt ?? now + 30 * DAY;
  await db(s.tenantId)
    .insert(invitations)
    .values({
      id,
      tenantId: s.tenantId,
      contactId: opts.contactId ?? null,
      unitId,
      touchpointId: s.touchpointId,
      surveyId: s.surveyId,
      surveyVersion: 1,
      channel: opts.channel ?? 'email',
      locale: opts.locale ?? null,
      vendorId: opts.vendorId ?? null,
      agentId: opts.agentId ?? null,
      status: opts.status ?? 'sent',
      source: opts.source ?? `test:${uniq()}`,
      dueAt: now,
      sentAt: now,
      expiresAt,
      createdAt: now,
      updatedAt: now,
    });
  const token = await signSurveyLink(config(), { tenantId: s.tenantId, invitationId: id, surveyId: s.surveyId, surveyVersion: 1, databaseId: opts.databaseId }, opts.tokenExpiresAt ?? expiresAt);
  return { id, token, path: `/s/${token}`, unitId };
}

/** An anonymous link of a touchpoint for a unit. */
export async function anonymousLink(s: SurveySetup, unitId: string | undefined, expiresAt = Date.now() + 365 * DAY) {
  const token = await signTouchpointLink(config(), { tenantId: s.tenantId, touchpointId: s.touchpointId, unitId: need(unitId) }, expiresAt);
  return { token, path: `/s/${token}` };
}

/** A form state as a page rendered `ageMs` ago would carry (old enough not to be too fast by default). */
export const stateFor = (subject: string, opts: Partial<FormState> & { ageMs?: number } = {}) =>
  signFormState(config(), subject, { t: Date.now() - (opts.ageMs ?? 10_000), v: opts.v ?? 1, l: opts.l ?? 'en', ...(opts.r ? { r: opts.r } : {}), ...(opts.n ? { n: opts.n } : {}) });

export const invitationState = (inv: Invite, opts: Partial<FormState> & { ageMs?: number } = {}) => stateFor(`inv:${inv.id}`, opts);
/** An anonymous page's state: a page of its own (a fresh nonce) unless `n` is given. */
export const anonymousState = (s: SurveySetup, unitId: string | undefined, opts: Partial<FormState> & { ageMs?: number } = {}) =>
  stateFor(`tp:${s.touchpointId}:${unitId}`, { n: `page-${uniq()}${uniq()}`, ...opts });

/** A client address of its own (every call gets one unless told), so rate limits and bulk counts of tests never meet. */
export const freshIp = () => `198.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;

/** Messages the Worker sent to the workflow queue during `send` calls. */
export const sent: { body: any }[] = [];
const producer = {
  send: async (body: unknown) => {
    sent.push({ body });
  },
  sendBatch: async (batch: Iterable<{ body: unknown }>) => {
    for (const m of batch) sent.push({ body: m.body });
  },
} as unknown as Queue<unknown>;
const observed = { ...(env as unknown as Env), WORKFLOW_QUEUE: producer } as Env;

export interface SendOptions {
  json?: unknown;
  form?: Record<string, string | string[]>;
  rawBody?: BodyInit;
  headers?: Record<string, string>;
  ip?: string;
  userAgent?: string;
}

export interface SendResult extends CallResult {
  text: string;
  bytes: number;
}

/** A request through the Worker (its fetch handler) with the observed workflow queue. */
export async function send(method: string, path: string, opts: SendOptions = {}): Promise<SendResult> {
  const headers = new Headers(opts.headers);
  headers.set('cf-connecting-ip', opts.ip ?? freshIp());
  if (!headers.has('user-agent')) headers.set('user-agent', opts.userAgent ?? 'Mozilla/5.0 (test)');
  let body: BodyInit | undefined = opts.rawBody;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  } else if (opts.form) {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.form)) for (const x of Array.isArray(v) ? v : [v]) form.append(k, x);
    body = form.toString();
    headers.set('content-type', 'application/x-www-form-urlencoded');
  }
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://nps.test${path}`, { method, headers, body }), observed as never, ctx);
  await waitOnExecutionContext(ctx);
  const buf = new Uint8Array(await res.arrayBuffer());
  const text = new TextDecoder().decode(buf);
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* HTML */
  }
  return { status: res.status, headers: res.headers, body: parsed, text, bytes: buf.byteLength };
}

export async function responseOf(tenantId: string, invitationId: string) {
  return db(tenantId)
    .select()
    .from(responses)
    .where(and(eq(responses.tenantId, tenantId), eq(responses.invitationId, invitationId)));
}

export async function responseById(tenantId: string, id: string) {
  const [row] = await db(tenantId)
    .select()
    .from(responses)
    .where(and(eq(responses.tenantId, tenantId), eq(responses.id, id)));
  return row;
}

export async function invitationOf(tenantId: string, id: string) {
  const [row] = await db(tenantId)
    .select()
    .from(invitations)
    .where(and(eq(invitations.tenantId, tenantId), eq(invitations.id, id)));
  return row!;
}
