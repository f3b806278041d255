import { inArray, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { audit } from '../audit/record';
import { requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { tenants, units } from '../db/schema';
import type { Deps } from '../lib/deps';
import { ApiError, type ErrorDetail } from '../lib/errors';
import { hex } from '../lib/ids';
import { assertOutbound, outboundPolicy } from '../lib/outbound';
import { BrandingSchema, contrastProblems } from './branding';
import { getSettings, SettingsSchema, type Settings } from './settings';

/** Secrets show their last 4 characters when long enough that this gives nothing away. */
function mask(secret: string): string {
  return secret.length >= 12 ? `****${secret.slice(-4)}` : '****';
}

/** The settings as every answer shows them: defaults applied, providers null when unset, secrets masked. */
function present(s: Settings) {
  return {
    fatigueDays: s.fatigueDays,
    minResponses: s.minResponses,
    reliabilityThreshold: s.reliabilityThreshold,
    agentMinResponses: s.agentMinResponses,
    notForIndividualEvaluation: s.notForIndividualEvaluation,
    linkExpiryDays: s.linkExpiryDays,
    email: s.email ? { baseUrl: s.email.baseUrl, from: s.email.from, apiKey: mask(s.email.apiKey) } : null,
    sms: s.sms ? { baseUrl: s.sms.baseUrl, accountSid: s.sms.accountSid, from: s.sms.from, authToken: mask(s.sms.authToken) } : null,
    webhook: s.webhook ? { url: s.webhook.url, secret: mask(s.webhook.secret) } : null,
    widget: s.widget ? { publicKey: s.widget.publicKey, secret: mask(s.widget.secret) } : null,
    retention: s.retention,
    populationShares: s.populationShares ?? null,
    accounts: s.accounts,
    branding: s.branding ?? null,
  };
}

const shape = SettingsSchema.shape;
const httpUrl = z.url({ protocol: /^https?$/, message: 'an http(s) URL' });
/** Each provider as the tenant sets it: whole, or some fields merged onto the stored ones. */
export const PROVIDERS = {
  email: z.strictObject({ ...shape.email.unwrap().shape, baseUrl: httpUrl }),
  sms: z.strictObject({ ...shape.sms.unwrap().shape, baseUrl: httpUrl }),
  webhook: z.strictObject({ ...shape.webhook.unwrap().shape, url: httpUrl }),
};
type Provider = keyof typeof PROVIDERS;
const URL_FIELD: Record<Provider, string> = { email: 'baseUrl', sms: 'baseUrl', webhook: 'url' };

/**
 * A change of settings as the route validated it: each field given is a new value, a provider a
 * partial object merged onto the stored one (`null` removes it), `retention` merged likewise.
 */
export type SettingsPatch = { readonly [setting: string]: unknown };

const requireSettingsAdmin = (d: Deps) => requireTenantWide(d, 'settings.manage', 'tenant settings');

/** `settings` with the given top-level keys set (JSON) or removed (undefined), in one SQL expression. */
function settingsUpdate(changes: Record<string, unknown>): SQL {
  let expr: SQL = sql`${tenants.settings}`;
  for (const [key, value] of Object.entries(changes)) {
    expr = value === undefined ? sql`json_remove(${expr}, ${`$.${key}`})` : sql`json_set(${expr}, ${`$.${key}`}, json(${JSON.stringify(value)}))`;
  }
  return expr;
}

/** The tenant's settings as shown (secrets masked). */
export async function readSettings(d: Deps) {
  await requireSettingsAdmin(d);
  return present(await getSettings(d.t));
}

/**
 * Changes the settings given (providers merged onto the stored ones and checked whole, their
 * addresses against the outbound policy), audited with digests of the masked settings.
 */
export async function changeSettings(d: Deps, patch: SettingsPatch) {
  await requireSettingsAdmin(d);
  const { t, actor } = d;
  const before = await getSettings(t);
  const changes: Record<string, unknown> = {};
  const problems: ErrorDetail[] = [];
  const contrastIssues: ErrorDetail[] = [];
  // Provider addresses the Worker will call: checked now (422) and again at every call.
  const addresses: Record<string, string> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'retention') {
      changes.retention = { ...before.retention, ...(value as object) };
      continue;
    }
    if (key === 'accounts') {
      const given = value as Partial<Settings['accounts']>;
      changes.accounts = { ...before.accounts, ...given, roleWeights: { ...before.accounts.roleWeights, ...given.roleWeights } };
      continue;
    }
    if (key === 'branding' && value !== null) {
      // Merged onto the stored branding; a field given as null is removed. Checked whole, contrast included.
      const merged = Object.fromEntries(Object.entries({ ...before.branding, ...(value as object) }).filter(([, v]) => v !== null));
      const parsed = BrandingSchema.safeParse(merged);
      if (!parsed.success) problems.push(...parsed.error.issues.map((i) => ({ path: ['body', 'branding', ...i.path.map(String)].join('.'), message: i.message })));
      else contrastIssues.push(...contrastProblems(parsed.data));
      changes.branding = parsed.data;
      continue;
    }
    if (!(key in PROVIDERS) || value === null) {
      changes[key] = value ?? undefined;
      continue;
    }
    const name = key as Provider;
    const merged = PROVIDERS[name].safeParse({ ...before[name], ...(value as object) });
    if (!merged.success) {
      problems.push(...merged.error.issues.map((i) => ({ path: ['body', name, ...i.path.map(String)].join('.'), message: i.message })));
    } else {
      addresses[`body.${name}.${URL_FIELD[name]}`] = (merged.data as Record<string, string>)[URL_FIELD[name]]!;
      changes[name] = merged.data;
    }
  }
  if (problems.length) throw new ApiError('VALIDATION_FAILED', 'the request is not valid', problems);
  if (contrastIssues.length) throw new ApiError('UNPROCESSABLE', 'the colours do not contrast enough to be read (WCAG 2.1 AA)', contrastIssues);
  assertOutbound(addresses, outboundPolicy(d.config));

  const after = SettingsSchema.parse(Object.fromEntries(Object.entries({ ...before, ...changes }).filter(([, v]) => v !== undefined)));
  // A reliability threshold given below the anonymity threshold would mark nothing: refused. (A
  // raised anonymity threshold alone leaves no low-sample band, which needs no refusal.)
  if ('reliabilityThreshold' in patch && after.reliabilityThreshold < after.minResponses) {
    throw new ApiError('UNPROCESSABLE', 'the reliability threshold must not be below the anonymity threshold (minResponses)', [
      { path: 'body.reliabilityThreshold', message: `must be at least minResponses (${after.minResponses})` },
    ]);
  }
  // Units marked not for individual evaluation must be units of the tenant.
  if ('notForIndividualEvaluation' in patch && after.notForIndividualEvaluation.unitIds.length) {
    const ids = [...new Set(after.notForIndividualEvaluation.unitIds)];
    const found = await t.select({ id: units.id }).from(units).where(inArray(units.id, ids));
    const known = new Set(found.map((u) => u.id));
    const missing = ids.filter((id) => !known.has(id));
    if (missing.length)
      throw new ApiError(
        'UNPROCESSABLE',
        'units marked not for individual evaluation must be units of the tenant',
        missing.map((id) => ({ path: 'body.notForIndividualEvaluation.unitIds', message: `no unit ${id}` })),
      );
  }
  const changed = diff(before, after);
  await commit(t, [
    t.update(tenants).set({ settings: settingsUpdate(changes), updatedAt: Date.now() }),
    ...(await audit(d, { action: 'settings.update', targetType: 'tenant', targetId: actor.tenantId, before: present(before), after: present(after), details: { changed } })),
  ]);
  return present(after);
}

/** Creates (or replaces) the widget key pair; the secret is in this answer only. */
export async function newWidgetKey(d: Deps) {
  await requireSettingsAdmin(d);
  const { t, actor } = d;
  const random = (bytes: number) => hex(crypto.getRandomValues(new Uint8Array(bytes)));
  const widget = { publicKey: `wpk_${actor.tenantId}_${random(8)}${t.databaseId ? `_${t.databaseId}` : ''}`, secret: random(32) };
  await commit(t, [
    t.update(tenants).set({ settings: settingsUpdate({ widget }), updatedAt: Date.now() }),
    ...(await audit(d, { action: 'settings.widget_key', targetType: 'tenant', targetId: actor.tenantId, details: { publicKey: widget.publicKey } })),
  ]);
  return widget;
}

/** Field paths that differ (`email.apiKey`, `sms` when added or removed), values left out: some are secrets. */
function diff(before: Settings, after: Settings): string[] {
  const out: string[] = [];
  for (const key of Object.keys(SettingsSchema.shape) as (keyof Settings)[]) {
    const a = before[key];
    const b = after[key];
    if (typeof a === 'object' && typeof b === 'object') {
      for (const field of new Set([...Object.keys(a), ...Object.keys(b)])) {
        // By value: a field may itself be an object (accounts.roleWeights).
        if (JSON.stringify((a as Record<string, unknown>)[field]) !== JSON.stringify((b as Record<string, unknown>)[field])) out.push(`${key}.${field}`);
      }
    } else if (a !== b) out.push(key);
  }
  return out;
}
