import { and, eq, notInArray, sql } from 'drizzle-orm';
import { tenantSqlStatement } from '../db/prepared';
import { contacts, invitations, responses, tenants, touchpoints, units } from '../db/schema';
import { chooseLocale } from '../surveys/definition';
import { invitingEvent } from './target';
import type { CachedSurvey } from '../surveys/published-cache';
import { webhookWants } from '../webhooks/emit';

/*
 * The first answer to an invitation in one round trip (docs/capture.md, "Idempotency: one response per invitation"): when the
 * isolate already holds the link's survey version (src/surveys/published-cache.ts), the answer is
 * checked against it before any storage call, and one statement reads the invitation and writes
 * the response: an insert from a select of the open invitation with its contact (and the row id
 * of the event that made it), choosing the locale and the quality flags as capture's two-trip path does, and returning with the new row
 * what its follow-up needs (the unit's path, the touchpoint's rules, whether a webhook wants it).
 * No row comes back when the invitation is answered already, closed, unknown, or its tenant's
 * writes are paused: capture then takes its two-trip path, which tells these apart.
 */

const p = sql.placeholder;

/** The locale the contact (else the invitation) prefers, matched to the survey's texts as `chooseLocale` matches it. */
const preferred = sql`coalesce(${contacts.locale}, ${invitations.locale})`;
const locale = sql`coalesce(
  ${p('fixedLocale')},
  json_extract(${p('exactLocales')}, '$.' || json_quote(lower(${preferred}))),
  json_extract(${p('languageLocales')}, '$.' || json_quote(lower(substr(${preferred}, 1, instr(${preferred} || '-', '-') - 1)))),
  ${p('fallbackLocale')}
)`;
/** Flags in the order `qualityFlags` gives them (an invitation's answer has no anonymous signals). */
const isTest = sql`coalesce(${contacts.isTest}, 0)`;
const isEmployee = sql`coalesce(${contacts.isEmployee}, 0)`;
const flags = sql`'[' || rtrim(iif(${p('honeypot')}, '"honeypot",', '') || iif(${isTest}, '"test_contact",', '') || iif(${isEmployee}, '"employee_contact",', ''), ',') || ']'`;

/** What the write returns: only what the answer's outcome and its follow-up message need, as one JSON array (`firstAnswerRowOf`). */
export interface FirstAnswerRow {
  id: string;
  locale: string;
  counted: number;
  unit_path: string;
  rules: string | null;
  hooked: number;
  /** The tenant's settings (JSON): the thank-you page's branding and follow-up promise; read for a page only (`page`). */
  settings: string | null;
}

export const insertFirstAnswer = tenantSqlStatement<{ row: string }>(
  (t) => sql`insert into ${responses} (id, tenant_id, invitation_id, touchpoint_id, unit_id, contact_id, survey_id, survey_version, channel, locale,
      score, comment, answers, quality_flags, counted, event_id, segment, lifetime_value, tenure_months, contract_size, support_tier, answered_at, created_at, updated_at, vendor_id, agent_id, network_hash)
    select ${p('id')}, ${invitations.tenantId}, ${invitations.id}, ${invitations.touchpointId}, ${invitations.unitId}, ${invitations.contactId},
      ${invitations.surveyId}, ${invitations.surveyVersion}, ${invitations.channel}, ${locale},
      ${p('score')}, ${p('comment')}, ${p('answers')}, ${flags}, not (${p('honeypot')} or ${isTest} or ${isEmployee}), ${invitingEvent(t)},
      ${contacts.segment}, ${contacts.lifetimeValue}, ${contacts.tenureMonths}, ${contacts.contractSize}, ${contacts.supportTier}, ${p('now')}, ${p('now')}, ${p('now')}, ${invitations.vendorId}, ${invitations.agentId}, ${p('network')}
    from ${invitations} left join ${contacts} on ${and(t.owns(contacts), eq(contacts.id, invitations.contactId))}
    where ${and(
      t.owns(invitations),
      eq(invitations.id, p('invitationId')),
      eq(invitations.surveyId, p('surveyId')),
      eq(invitations.surveyVersion, p('surveyVersion')),
      notInArray(invitations.status, ['cancelled', 'expired']),
      sql`${invitations.expiresAt} > ${p('now')}`,
      sql`not exists ${t.select({ one: sql`1` }).from(tenants).where(sql`${tenants.writesPausedAt} is not null`)}`,
    )}
    on conflict (tenant_id, invitation_id) do nothing
    returning json_array(id, locale, counted,
      ${t
        .select({ path: units.path })
        .from(units)
        .where(eq(units.id, sql`${responses}.unit_id`))},
      ${t
        .select({ rules: touchpoints.rules })
        .from(touchpoints)
        .where(eq(touchpoints.id, sql`${responses}.touchpoint_id`))},
      ${webhookWants(t, 'response.created')},
      case when ${p('page')} then ${t.select({ settings: tenants.settings }).from(tenants)} end) as row`,
);

/**
 * The written row, if any. It comes back as one JSON column: the driver builds an object with a
 * property per column of every row it decodes, and the column list travels with the answer.
 */
export function firstAnswerRowOf(rows: { row: string }[]): FirstAnswerRow | undefined {
  if (rows.length === 0) return undefined;
  const [id, locale, counted, unit_path, rules, hooked, settings] = JSON.parse(rows[0]!.row) as [string, string, number, string, string | null, number, string | null];
  return { id, locale, counted, unit_path, rules, hooked, settings };
}

/** What the statement binds for the locale: the page's own (from its state), else the maps `chooseLocale` would walk. Kept per cached version. */
const localeMaps = new WeakMap<CachedSurvey, { available: string[]; exact: string; language: string }>();

export function localeValues(survey: CachedSurvey, stateLocale: string | undefined, acceptLanguage: string | null) {
  let maps = localeMaps.get(survey);
  if (!maps) {
    const available = Object.keys(survey.definition.translations ?? {});
    const languageOf = (tag: string) => tag.split('-')[0]!.toLowerCase();
    const language: Record<string, string> = {};
    for (const lang of new Set(available.map(languageOf))) {
      language[lang] = available.find((a) => a.toLowerCase() === lang) ?? available.find((a) => languageOf(a) === lang)!;
    }
    maps = { available, exact: JSON.stringify(Object.fromEntries(available.map((a) => [a.toLowerCase(), a]))), language: JSON.stringify(language) };
    localeMaps.set(survey, maps);
  }
  const fixed = stateLocale !== undefined && maps.available.includes(stateLocale) ? stateLocale : null;
  return {
    fixedLocale: fixed,
    exactLocales: maps.exact,
    languageLocales: maps.language,
    fallbackLocale: fixed ?? chooseLocale(maps.available, survey.defaultLocale, null, acceptLanguage),
  };
}
