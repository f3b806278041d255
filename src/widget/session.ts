import { and, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { TenantDb } from '../db/tenant-db';
import { contacts, invitations, responses, surveys, surveyVersions, tenants, touchpoints, units } from '../db/schema';
import type { Config } from '../env';
import { newId } from '../lib/ids';
import { commentQuestion } from '../responses/answers';
import { signFormState } from '../responses/form-state';
import { SettingsSchema } from '../settings/settings';
import { widgetKeyTenant } from '../settings/settings';
import { surveyText } from '../survey-page/render';
import { STRINGS, stringsLocale } from '../survey-page/strings';
import { CATEGORIES, chooseLocale, direction, type Definition } from '../surveys/definition';
import { signSurveyLink } from '../surveys/token';

const DAY = 24 * 60 * 60 * 1000;
/** An unanswered in-app invitation is shown again (a page change, a reload) for this long; then fatigue applies. */
export const RESUME_MS = 60 * 60 * 1000;

// No line breaks: the signed message joins the fields with them (widgetMessage).
const field = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\r\n]*$/, 'no line breaks');

export const SessionBody = z.strictObject({
  publicKey: z.string().min(1).max(200),
  userId: field(200),
  signature: z.string().regex(/^[0-9a-fA-F]{64}$/, 'hex HMAC-SHA256 of the user id, touchpoint and unit (64 hex digits)'),
  touchpoint: field(100),
  unitId: field(64).optional(),
});
export type SessionRequest = z.infer<typeof SessionBody>;

export type SessionOutcome =
  | { kind: 'unauthorized' }
  /** The key's tenant is not in this database (moved since the key was made): look it up through the directory. */
  | { kind: 'elsewhere' }
  | { kind: 'not-found'; what: 'touchpoint' | 'unit' }
  | { kind: 'wrong-channel' }
  | { kind: 'hide'; reason: 'fatigue' | 'opted_out' | 'unavailable' }
  | { kind: 'show'; body: Record<string, unknown> };

const encoder = new TextEncoder();
const hexBytes = (h: string) => Uint8Array.from(h.match(/../g)!, (b) => parseInt(b, 16));

/**
 * What the tenant's backend signs: the user id, the touchpoint key and the unit id (empty when
 * the widget names none: the root unit), joined by line feeds. So a user's signature files
 * answers under the touchpoint and unit the tenant chose, never another (docs/widget.md).
 */
export const widgetMessage = (b: Pick<SessionRequest, 'userId' | 'touchpoint' | 'unitId'>) => `${b.userId}\n${b.touchpoint}\n${b.unitId ?? ''}`;

/** Whether `signature` is HMAC-SHA256(secret, message); subtle.verify compares in constant time. */
export async function validSignature(secret: string, message: string, signature: string): Promise<boolean> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  return crypto.subtle.verify('HMAC', key, hexBytes(signature), encoder.encode(message));
}

/**
 * The tenant of a widget key with its settings. The key names its tenant (`wpk_<tenant id>_…`),
 * whose handle the request holds, so this is one read by primary key (the handle's condition
 * on its own `tenants` row); a key of any other shape is unknown without a read (no walk
 * through every tenant's settings).
 */
export const widgetKeyLookup = (t: TenantDb) => t.select({ id: tenants.id, settings: tenants.settings, writesPausedAt: tenants.writesPausedAt }).from(tenants);

async function tenantOfKey(t: TenantDb, publicKey: string) {
  if (widgetKeyTenant(publicKey) !== t.tenantId) return null;
  const [row] = await widgetKeyLookup(t);
  if (!row) return 'elsewhere' as const;
  const settings = SettingsSchema.safeParse(row.settings ?? {});
  if (!settings.success || settings.data.widget?.publicKey !== publicKey) return null;
  return { tenantId: row.id, settings: settings.data, secret: settings.data.widget.secret, paused: row.writesPausedAt !== null };
}

/**
 * `POST /w/session`: whether the widget shows, and if so a new in-app invitation (or the
 * unanswered one of the last hour) with its link token and texts. The user id, touchpoint and
 * unit must carry the tenant's HMAC; the contact is the one whose external id is the user id (created when new).
 * Fatigue as for every channel: no invitation to this contact, and no answer from it, within
 * the tenant's fatigueDays. Three round trips: the tenant, one batch of reads, one of writes.
 */
export async function widgetSession(t: TenantDb, config: Config, body: SessionRequest, acceptLanguage: string | null, now: number): Promise<SessionOutcome> {
  const tenant = await tenantOfKey(t, body.publicKey);
  if (tenant === 'elsewhere') return { kind: 'elsewhere' };
  if (!tenant || !(await validSignature(tenant.secret, widgetMessage(body), body.signature))) return { kind: 'unauthorized' };
  // A move or a deletion is under way: no invitation is written now; the widget stays hidden.
  if (tenant.paused) return { kind: 'hide', reason: 'unavailable' };
  const { tenantId, settings } = tenant;
  const fatigueCutoff = now - settings.fatigueDays * DAY;
  const ofContact = eq(contacts.externalId, body.userId);

  const [[tp], [contact], [unit], [resumable], [recentInvitation], [recentAnswer]] = await t.batch([
    t
      .select({
        id: touchpoints.id,
        active: touchpoints.active,
        channels: touchpoints.channels,
        surveyId: touchpoints.surveyId,
        defaultLocale: surveys.defaultLocale,
        version: surveyVersions.version,
        definition: surveyVersions.definition,
      })
      .from(touchpoints)
      .innerJoin(surveys, eq(surveys.id, touchpoints.surveyId))
      .leftJoin(surveyVersions, and(eq(surveyVersions.surveyId, touchpoints.surveyId), eq(surveyVersions.version, surveys.publishedVersion)))
      .where(eq(touchpoints.key, body.touchpoint)),
    t.select({ id: contacts.id, locale: contacts.locale, optedOutAt: contacts.optedOutAt }).from(contacts).where(ofContact),
    t
      .select({ id: units.id })
      .from(units)
      .where(body.unitId ? eq(units.id, body.unitId) : isNull(units.parentId)),
    t
      .select({ id: invitations.id, surveyVersion: invitations.surveyVersion, expiresAt: invitations.expiresAt, locale: invitations.locale })
      .from(invitations)
      .innerJoin(contacts, eq(contacts.id, invitations.contactId))
      .innerJoin(touchpoints, eq(touchpoints.id, invitations.touchpointId))
      .leftJoin(responses, eq(responses.invitationId, invitations.id))
      .where(
        and(
          ofContact,
          eq(touchpoints.key, body.touchpoint),
          eq(invitations.channel, 'in_app'),
          eq(invitations.status, 'sent'),
          gt(invitations.createdAt, now - RESUME_MS),
          gt(invitations.expiresAt, now),
          isNull(responses.id),
        ),
      )
      .orderBy(desc(invitations.createdAt))
      .limit(1),
    t
      .select({ id: invitations.id })
      .from(invitations)
      .innerJoin(contacts, eq(contacts.id, invitations.contactId))
      .where(and(ofContact, gt(invitations.createdAt, fatigueCutoff), ne(invitations.status, 'cancelled')))
      .limit(1),
    // Answers reach a contact through its invitations (index on contact, then one per invitation).
    t
      .select({ id: responses.id })
      .from(responses)
      .innerJoin(invitations, eq(invitations.id, responses.invitationId))
      .innerJoin(contacts, eq(contacts.id, invitations.contactId))
      .where(and(ofContact, gt(responses.createdAt, fatigueCutoff)))
      .limit(1),
  ]);
  if (!tp) return { kind: 'not-found', what: 'touchpoint' };
  if (!tp.channels.includes('in_app')) return { kind: 'wrong-channel' };
  if (!unit) return { kind: 'not-found', what: 'unit' };
  if (!tp.active || tp.version === null || !tp.definition) return { kind: 'hide', reason: 'unavailable' };
  if (contact?.optedOutAt != null) return { kind: 'hide', reason: 'opted_out' };

  const definition = tp.definition as unknown as Definition;
  const locale = chooseLocale(Object.keys(definition.translations ?? {}), tp.defaultLocale, contact?.locale, acceptLanguage);
  const show = async (invitationId: string, version: number, expiresAt: number, def: Definition, loc: string) => {
    const token = await signSurveyLink(config, { tenantId, invitationId, surveyId: tp.surveyId, surveyVersion: version, databaseId: t.databaseId }, expiresAt);
    const state = await signFormState(config, `inv:${invitationId}`, { t: now, v: version, l: loc });
    return { kind: 'show', body: { show: true, token, url: `${config.publicBaseUrl}/s/${token}`, locale: loc, dir: direction(loc), state, texts: texts(def, tp.defaultLocale, loc) } } as const;
  };
  if (resumable && resumable.surveyVersion === tp.version) return show(resumable.id, resumable.surveyVersion, resumable.expiresAt, definition, resumable.locale ?? locale);
  if (settings.fatigueDays > 0 && (recentInvitation || recentAnswer)) return { kind: 'hide', reason: 'fatigue' };

  // Insert only if no invitation came meanwhile (two page loads at once create one invitation).
  const id = newId('inv');
  const expiresAt = now + settings.linkExpiryDays * DAY;
  const guardFrom = Math.min(fatigueCutoff, now - RESUME_MS);
  const [, created] = await t.batch([
    t
      .insert(contacts)
      .values({ id: newId('con'), externalId: body.userId, createdAt: now, updatedAt: now })
      .onConflictDoNothing({ target: [contacts.tenantId, contacts.externalId] }),
    t.all<{
      id: string;
    }>(sql`insert into invitations (id, tenant_id, contact_id, unit_id, touchpoint_id, survey_id, survey_version, channel, locale, status, source, due_at, sent_at, attempts, expires_at, created_at, updated_at)
      select ${id}, ${contacts.tenantId}, ${contacts.id}, ${unit.id}, ${tp.id}, ${tp.surveyId}, ${tp.version}, 'in_app', ${locale}, 'sent', ${`widget:${body.userId}`}, ${now}, ${now}, 0, ${expiresAt}, ${now}, ${now}
      from ${contacts}
      where ${t.owns(contacts)} and ${contacts.externalId} = ${body.userId} and ${contacts.optedOutAt} is null
        and not exists (select 1 from ${invitations} where ${t.owns(invitations)} and ${invitations.contactId} = ${contacts.id} and ${invitations.createdAt} > ${guardFrom} and ${invitations.status} <> 'cancelled')
      returning id`),
  ]);
  if (created.length === 0) return { kind: 'hide', reason: 'fatigue' };
  return show(id, tp.version, expiresAt, definition, locale);
}

/** The widget's texts in the chosen locale: the survey's, plus the page's own words. */
function texts(def: Definition, defaultLocale: string, locale: string) {
  const t = (key: string) => surveyText(def, locale, defaultLocale, key);
  const s = STRINGS[stringsLocale(locale, null)]!;
  const nps = def.questions.find((q) => q.type === 'nps')!;
  const comment = commentQuestion(def);
  return {
    title: t('page.title'),
    question: t(`${nps.id}.label`),
    low: t(`${nps.id}.low`),
    high: t(`${nps.id}.high`),
    submit: t('page.submit'),
    thanks: t('page.thanks'),
    saved: s.saved,
    close: s.close,
    comment: comment ? Object.fromEntries(CATEGORIES.filter((c) => !comment.showIf || comment.showIf.categories.includes(c)).map((c) => [c, t(`${comment.id}.label.${c}`)])) : null,
  };
}
