import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { eq, sql, type SQL } from 'drizzle-orm';
import { audit } from '../audit/record';
import { authenticate } from '../auth/authenticate';
import { requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { tenants } from '../db/schema';
import { createRouter, type AppContext } from '../lib/create-app';
import { ApiError, type ErrorDetail } from '../lib/errors';
import { hex } from '../lib/ids';
import { assertOutbound, outboundPolicy } from '../lib/outbound';
import { AUTHED, errors, json, jsonBody, security } from '../lib/openapi';
import { retentionDays } from './retention';
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
    linkExpiryDays: s.linkExpiryDays,
    email: s.email ? { baseUrl: s.email.baseUrl, from: s.email.from, apiKey: mask(s.email.apiKey) } : null,
    sms: s.sms ? { baseUrl: s.sms.baseUrl, accountSid: s.sms.accountSid, from: s.sms.from, authToken: mask(s.sms.authToken) } : null,
    webhook: s.webhook ? { url: s.webhook.url, secret: mask(s.webhook.secret) } : null,
    widget: s.widget ? { publicKey: s.widget.publicKey, secret: mask(s.widget.secret) } : null,
    retention: s.retention,
    populationShares: s.populationShares ?? null,
  };
}

const masked = z.string().openapi({ description: 'Masked: `****` and the last 4 characters', example: '****f00d' });
const SettingsView = z
  .object({
    fatigueDays: z.number().int(),
    minResponses: z.number().int(),
    linkExpiryDays: z.number().int(),
    email: z.object({ baseUrl: z.string(), from: z.string(), apiKey: masked }).nullable(),
    sms: z.object({ baseUrl: z.string(), accountSid: z.string(), from: z.string(), authToken: masked }).nullable(),
    webhook: z.object({ url: z.string(), secret: masked }).nullable(),
    widget: z.object({ publicKey: z.string(), secret: masked }).nullable(),
    retention: z
      .object({ commentDays: z.number().int().nullable(), contactDays: z.number().int().nullable() })
      .openapi({ description: "Days after which answers' free text, and contacts' personal data without activity, are erased; null keeps forever" }),
    populationShares: z.record(z.string(), z.number()).nullable().openapi({ description: 'Population share of each segment, for `weight=poststrat` (docs/measurement.md); null: none set' }),
  })
  .openapi('Settings');

const shape = SettingsSchema.shape;
const httpUrl = z.url({ protocol: /^https?$/, message: 'an http(s) URL' });
/** Each provider as the tenant sets it: whole, or some fields merged onto the stored ones. */
const PROVIDERS = {
  email: z.strictObject({ ...shape.email.unwrap().shape, baseUrl: httpUrl }),
  sms: z.strictObject({ ...shape.sms.unwrap().shape, baseUrl: httpUrl }),
  webhook: z.strictObject({ ...shape.webhook.unwrap().shape, url: httpUrl }),
};
type Provider = keyof typeof PROVIDERS;
const URL_FIELD: Record<Provider, string> = { email: 'baseUrl', sms: 'baseUrl', webhook: 'url' };

const UpdateSettings = z
  .strictObject({
    fatigueDays: shape.fatigueDays.unwrap().optional(),
    minResponses: shape.minResponses.unwrap().optional(),
    linkExpiryDays: shape.linkExpiryDays.unwrap().optional(),
    email: PROVIDERS.email.partial().nullable().optional().openapi({ description: 'Mail provider; `null` removes it. Fields not given keep their stored value.' }),
    sms: PROVIDERS.sms.partial().nullable().optional().openapi({ description: 'SMS provider; `null` removes it' }),
    webhook: PROVIDERS.webhook.partial().nullable().optional().openapi({ description: 'Webhook for invitations; `null` removes it' }),
    widget: z.null().optional().openapi({ description: '`null` turns the widget off; keys come from POST /api/v1/settings/widget-key' }),
    populationShares: shape.populationShares
      .unwrap()
      .refine((shares) => Object.keys(shares).length <= 200, 'at most 200 segments')
      .refine((shares) => Object.values(shares).some((v) => v > 0), 'at least one share above 0')
      .nullable()
      .optional()
      .openapi({
        description: 'Share of each customer segment in the population (0..1; renormalised over the segments present) for `weight=poststrat`; replaces the stored shares; `null` removes them',
      }),
    retention: z
      .strictObject({ commentDays: retentionDays.optional(), contactDays: retentionDays.optional() })
      .optional()
      .openapi({ description: 'Retention in days (30..3650, `null` keeps forever); a field not given keeps its value. Erased daily at 03:00 UTC.' }),
  })
  .refine((b) => Object.keys(b).length > 0, 'give at least one setting to change')
  .openapi('UpdateSettings');

const WidgetKey = z
  .object({
    publicKey: z.string().openapi({ description: 'Goes in the widget script tag' }),
    secret: z.string().openapi({ description: "Signs user ids (HMAC) on the tenant's backend; shown only in this answer" }),
  })
  .openapi('WidgetKey');

const requireSettingsAdmin = (c: AppContext) => requireTenantWide(deps(c), 'settings.manage', 'tenant settings');

/** `settings` with the given top-level keys set (JSON) or removed (undefined), in one SQL expression. */
function settingsUpdate(changes: Record<string, unknown>): SQL {
  let expr: SQL = sql`${tenants.settings}`;
  for (const [key, value] of Object.entries(changes)) {
    expr = value === undefined ? sql`json_remove(${expr}, ${`$.${key}`})` : sql`json_set(${expr}, ${`$.${key}`}, json(${JSON.stringify(value)}))`;
  }
  return expr;
}

const tags = ['settings'];
const routes = {
  get: createRoute({
    method: 'get',
    path: '/api/v1/settings',
    tags,
    summary: "The tenant's program settings (secrets masked)",
    security,
    middleware: [authenticate] as const,
    responses: { 200: json(SettingsView, 'Settings with defaults applied'), ...errors(...AUTHED) },
  }),
  update: createRoute({
    method: 'patch',
    path: '/api/v1/settings',
    tags,
    summary: 'Change settings: program defaults, mail and SMS providers, the invitation webhook',
    description:
      'Only the fields given change. A provider object is merged onto the stored one (so a key need not be sent again to change the sender), and the result must be complete; `null` removes it. Audited with digests of the masked settings, never the secrets.',
    security,
    middleware: [authenticate] as const,
    request: { body: jsonBody(UpdateSettings) },
    responses: { 200: json(SettingsView, 'The settings after the change'), ...errors(...AUTHED, 422) },
  }),
  widgetKey: createRoute({
    method: 'post',
    path: '/api/v1/settings/widget-key',
    tags,
    summary: 'Create (or replace) the in-app widget key pair; the secret is shown only in this answer',
    security,
    middleware: [authenticate] as const,
    responses: { 201: json(WidgetKey, 'Created; a previous key pair stops working'), ...errors(...AUTHED) },
  }),
};

export const settingsRoutes = createRouter()
  .openapi(routes.get, async (c) => {
    await requireSettingsAdmin(c);
    return c.json(present(await getSettings(c.get('tdb'))), 200);
  })
  .openapi(routes.update, async (c) => {
    const patch = c.req.valid('json');
    await requireSettingsAdmin(c);
    const db = c.get('db');
    const { tenantId } = c.get('actor');
    const before = await getSettings(c.get('tdb'));
    const changes: Record<string, unknown> = {};
    const problems: ErrorDetail[] = [];
    // Provider addresses the Worker will call: checked now (422) and again at every call.
    const addresses: Record<string, string> = {};
    for (const [key, value] of Object.entries(patch)) {
      if (key === 'retention') {
        changes.retention = { ...before.retention, ...(value as object) };
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
    assertOutbound(addresses, outboundPolicy(c.get('config')));

    const after = SettingsSchema.parse(Object.fromEntries(Object.entries({ ...before, ...changes }).filter(([, v]) => v !== undefined)));
    const changed = diff(before, after);
    await commit(db, [
      db
        .update(tenants)
        .set({ settings: settingsUpdate(changes), updatedAt: Date.now() })
        .where(eq(tenants.id, tenantId)),
      ...(await audit(deps(c), { action: 'settings.update', targetType: 'tenant', targetId: tenantId, before: present(before), after: present(after), details: { changed } })),
    ]);
    return c.json(present(after), 200);
  })
  .openapi(routes.widgetKey, async (c) => {
    await requireSettingsAdmin(c);
    const db = c.get('db');
    const { tenantId } = c.get('actor');
    const random = (bytes: number) => hex(crypto.getRandomValues(new Uint8Array(bytes)));
    const widget = { publicKey: `wpk_${tenantId}_${random(8)}`, secret: random(32) };
    await commit(db, [
      db
        .update(tenants)
        .set({ settings: settingsUpdate({ widget }), updatedAt: Date.now() })
        .where(eq(tenants.id, tenantId)),
      ...(await audit(deps(c), { action: 'settings.widget_key', targetType: 'tenant', targetId: tenantId, details: { publicKey: widget.publicKey } })),
    ]);
    return c.json(widget, 201);
  });

/** Field paths that differ (`email.apiKey`, `sms` when added or removed), values left out: some are secrets. */
function diff(before: Settings, after: Settings): string[] {
  const out: string[] = [];
  for (const key of Object.keys(SettingsSchema.shape) as (keyof Settings)[]) {
    const a = before[key];
    const b = after[key];
    if (typeof a === 'object' && typeof b === 'object') {
      for (const field of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if ((a as Record<string, unknown>)[field] !== (b as Record<string, unknown>)[field]) out.push(`${key}.${field}`);
      }
    } else if (a !== b) out.push(key);
  }
  return out;
}
