import { inArray, sql, type SQL } from 'drizzle-orm';
import { audit } from '../audit/record';
import { requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { tenants, users, themeLibrary } from '../db/schema';
import type { Deps } from '../lib/deps';
import { notFound } from '../lib/errors';
import { getSettings, type Settings } from '../settings/settings';
import type { BusinessCalendar, RoutingRule } from './config';

/** The case settings of the tenant (docs/cases.md), as shown and audited. */
export const caseSettingsView = (s: Settings) => ({
  caseTargets: s.caseTargets,
  businessCalendar: s.businessCalendar ?? null,
  routingRules: s.routingRules ?? [],
  casePhones: s.casePhones ?? {},
  caseNotifyGraceMinutes: s.caseNotifyGraceMinutes,
});

export interface CaseSettingsChange {
  caseTargets?: Partial<Settings['caseTargets']>;
  /** `null`: targets count plain hours. */
  businessCalendar?: BusinessCalendar | null;
  routingRules?: RoutingRule[];
  casePhones?: Record<string, string>;
  caseNotifyGraceMinutes?: number;
}

/** The case settings (admin on the root). */
export async function readCaseSettings(d: Pick<Deps, 't' | 'actor'>) {
  await requireTenantWide(d, 'case.configure', 'case settings');
  return caseSettingsView(await getSettings(d.t));
}

/** Changes case settings (admin on the root): each given field replaces the stored one; returns them as stored. */
export async function changeCaseSettings(d: Deps, body: CaseSettingsChange) {
  await requireTenantWide(d, 'case.configure', 'case settings');
  const { t, actor } = d;
  const before = await getSettings(t);
  // Owners named by rules and phones must be users of this tenant (another tenant's id is as unknown as a made-up one).
  const named = [...new Set([...(body.routingRules ?? []).map((r) => r.ownerUserId), ...Object.keys(body.casePhones ?? {})])];
  if (named.length) {
    const found = await t.select({ id: users.id }).from(users).where(inArray(users.id, named));
    if (found.length !== named.length) throw notFound('user');
  }
  // Rules by theme name a theme of this tenant's library (another tenant's id is as unknown as a made-up one).
  const themeIds = [...new Set((body.routingRules ?? []).flatMap((r) => ('theme' in r ? [r.theme] : [])))];
  if (themeIds.length) {
    const found = await t.select({ id: themeLibrary.id }).from(themeLibrary).where(inArray(themeLibrary.id, themeIds));
    if (found.length !== themeIds.length) throw notFound('theme');
  }
  const changes: Record<string, unknown> = {};
  if (body.caseTargets) changes.caseTargets = { ...before.caseTargets, ...body.caseTargets };
  if (body.businessCalendar !== undefined) changes.businessCalendar = body.businessCalendar ?? undefined;
  if (body.routingRules) changes.routingRules = body.routingRules;
  if (body.casePhones) changes.casePhones = body.casePhones;
  if (body.caseNotifyGraceMinutes !== undefined) changes.caseNotifyGraceMinutes = body.caseNotifyGraceMinutes;
  let expr: SQL = sql`${tenants.settings}`;
  for (const [key, value] of Object.entries(changes)) expr = value === undefined ? sql`json_remove(${expr}, ${`$.${key}`})` : sql`json_set(${expr}, ${`$.${key}`}, json(${JSON.stringify(value)}))`;
  const after = { ...before, ...changes } as Settings;
  await commit(t, [
    // The handle restricts the update to the tenant's own row.
    t.update(tenants).set({ settings: expr, updatedAt: Date.now() }),
    ...(await audit(d, {
      action: 'case_settings.update',
      targetType: 'tenant',
      targetId: actor.tenantId,
      before: caseSettingsView(before),
      after: caseSettingsView(after),
      details: { changed: Object.keys(body) },
    })),
  ]);
  return caseSettingsView(await getSettings(t));
}
