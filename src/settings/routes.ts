import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, json, jsonBody, security } from '../lib/openapi';
import { BrandingSchema } from './branding';
import { retentionDays } from './retention';
import { ROLES } from '../db/schema';
import { SettingsSchema } from './settings';
import { changeSettings, newWidgetKey, PROVIDERS, readSettings } from './settings-changes';

const masked = z.string().openapi({ description: 'Masked: `****` and the last 4 characters', example: '****f00d' });
const SettingsView = z
  .object({
    fatigueDays: z.number().int(),
    minResponses: z.number().int().openapi({ description: 'The anonymity threshold: below this many answers (effective n when weighted) a score is not shown (`suppressed`)' }),
    reliabilityThreshold: z.number().int().openapi({ description: 'The reliability threshold: a score shown from fewer answers carries `lowSample: true`' }),
    agentMinResponses: z.number().int().openapi({ description: 'Agent scores from fewer answers are shown to no one (docs/dimensions.md); the larger of this and `minResponses` applies' }),
    notForIndividualEvaluation: z
      .object({ roles: z.array(z.enum(ROLES)), unitIds: z.array(z.string()) })
      .openapi({ description: 'Roles and units whose agents have no agent-level score shown to anyone (docs/dimensions.md "Agent views")' }),
    linkExpiryDays: z.number().int(),
    email: z.object({ baseUrl: z.string(), from: z.string(), apiKey: masked }).nullable(),
    sms: z.object({ baseUrl: z.string(), accountSid: z.string(), from: z.string(), authToken: masked }).nullable(),
    webhook: z.object({ url: z.string(), secret: masked }).nullable(),
    widget: z.object({ publicKey: z.string(), secret: masked }).nullable(),
    retention: z
      .object({ commentDays: z.number().int().nullable(), contactDays: z.number().int().nullable() })
      .openapi({ description: "Days after which answers' free text, and contacts' personal data without activity, are erased; null keeps forever" }),
    populationShares: z.record(z.string(), z.number()).nullable().openapi({ description: 'Population share of each segment, for `weight=poststrat` (docs/measurement.md); null: none set' }),
    accounts: z
      .object({
        roleWeights: z.object({ decision_maker: z.number(), influencer: z.number(), user: z.number() }),
        horizonDays: z.number().int(),
        riskThreshold: z.number(),
      })
      .openapi({ description: 'B2B accounts (docs/accounts.md): stakeholder weights in account NPS, the churn horizon in days, the probability over which an account alerts' }),
    branding: z
      .object({
        logoUrl: z.string().optional(),
        logoAlt: z.string().optional(),
        primaryColor: z.string().optional(),
        backgroundColor: z.string().optional(),
        senderName: z.string().optional(),
      })
      .nullable()
      .openapi({ description: 'The respondent side\'s look (docs/survey.md "Branding"): logo, colours, the emails\' sender name; null: the defaults' }),
  })
  .openapi('Settings');

const shape = SettingsSchema.shape;
const UpdateSettings = z
  .strictObject({
    fatigueDays: shape.fatigueDays.unwrap().optional(),
    minResponses: shape.minResponses.unwrap().optional().openapi({ description: 'The anonymity threshold (default 5)' }),
    reliabilityThreshold: shape.reliabilityThreshold.unwrap().optional().openapi({ description: 'The reliability threshold (default 30); not below `minResponses`' }),
    agentMinResponses: shape.agentMinResponses.unwrap().optional().openapi({ description: 'The minimum of answers for an agent score to be shown (default 30)' }),
    notForIndividualEvaluation: z
      .strictObject({ roles: z.array(z.enum(ROLES)).max(6), unitIds: z.array(z.string().min(1).max(64)).max(500) })
      .optional()
      .openapi({
        description:
          'Roles and units (with their subtrees) whose agents are not for individual evaluation: their agent-level scores are shown to no one, counts only (docs/dimensions.md). Replaces the stored marking; audited',
      }),
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
    accounts: z
      .strictObject({
        roleWeights: z
          .strictObject({ decision_maker: z.number().min(0).max(100).optional(), influencer: z.number().min(0).max(100).optional(), user: z.number().min(0).max(100).optional() })
          .optional(),
        horizonDays: z.number().int().min(7).max(730).optional(),
        riskThreshold: z.number().gt(0).lt(1).optional(),
      })
      .optional()
      .openapi({
        description:
          'Account settings (docs/accounts.md); fields not given keep their value. Role weights 0..100 (default 3, 2, 1), horizon 7..730 days (default 90), threshold in (0, 1) (default 0.5).',
      }),
    branding: z
      .strictObject({
        logoUrl: BrandingSchema.shape.logoUrl.unwrap().nullable().optional(),
        logoAlt: BrandingSchema.shape.logoAlt.unwrap().nullable().optional(),
        primaryColor: BrandingSchema.shape.primaryColor.unwrap().nullable().optional(),
        backgroundColor: BrandingSchema.shape.backgroundColor.unwrap().nullable().optional(),
        senderName: BrandingSchema.shape.senderName.unwrap().nullable().optional(),
      })
      .nullable()
      .optional()
      .openapi({
        description:
          'The survey page\'s and emails\' look (docs/survey.md "Branding"): `logoUrl` an https URL or a base64 data URL of a PNG, JPEG, GIF or WebP image (at most 32,768 characters), `logoAlt`, `primaryColor` and `backgroundColor` as #rrggbb (white on the primary 4.5:1, the page text on the background 4.5:1, the primary on the background 3:1, else 422), `senderName`. Merged onto the stored branding; a field given as null is removed; `null` removes the branding.',
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
  .openapi(routes.get, async (c) => c.json(await readSettings(deps(c)), 200))
  .openapi(routes.update, async (c) => c.json(await changeSettings(deps(c), c.req.valid('json')), 200))
  .openapi(routes.widgetKey, async (c) => c.json(await newWidgetKey(deps(c)), 201));
