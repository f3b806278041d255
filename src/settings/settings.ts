import { z } from 'zod';
import type { TenantDb } from '../db/tenant-db';
import { BusinessCalendarSchema, CasePhonesSchema, CaseTargetsSchema, RoutingRulesSchema } from '../cases/config';
import { ROLES, tenants } from '../db/schema';
import { BrandingSchema } from './branding';
import { RetentionSchema } from './retention';

const roleWeight = z.number().min(0).max(100);
/** Account settings: each stakeholder role's weight in account NPS, the churn horizon in days, the probability that alerts. */
export const AccountSettingsSchema = z.object({
  roleWeights: z.object({ decision_maker: roleWeight, influencer: roleWeight, user: roleWeight }),
  horizonDays: z.number().int().min(7).max(730),
  riskThreshold: z.number().gt(0).lt(1),
});
export type AccountSettings = z.infer<typeof AccountSettingsSchema>;
export const ACCOUNT_DEFAULTS: AccountSettings = { roleWeights: { decision_maker: 3, influencer: 2, user: 1 }, horizonDays: 90, riskThreshold: 0.5 };

/**
 * A tenant's program settings, kept as JSON on the tenant row and always read through this
 * schema, so a missing field takes its default and an old row keeps working.
 */
export const SettingsSchema = z.object({
  /** At most one invitation per contact in this many days (0 turns the rule off). */
  fatigueDays: z.number().int().min(0).max(3650).default(90),
  /**
   * The anonymity threshold: scores from fewer answers (effective n when weighted) are hidden,
   * nothing but the counts shown (docs/measurement.md "Small samples").
   */
  minResponses: z.number().int().min(1).max(100_000).default(5),
  /**
   * Agent scores (`groupBy=agent`, `agentId=`) from fewer answers are hidden from everyone
   * (docs/dimensions.md); the larger of this and `minResponses` applies.
   */
  agentMinResponses: z.number().int().min(1).max(100_000).default(30),
  /**
   * Roles and units whose agents are not for individual evaluation (docs/dimensions.md "Agent
   * views"): an agent holding such a role, or granted on such a unit or below it, has no agent-level
   * score shown to anyone (counts only), their own page saying why.
   */
  notForIndividualEvaluation: z.object({ roles: z.array(z.enum(ROLES)).max(6).default([]), unitIds: z.array(z.string().min(1).max(64)).max(500).default([]) }).default({ roles: [], unitIds: [] }),
  /** The reliability threshold: scores shown from fewer answers carry `lowSample: true`. */
  reliabilityThreshold: z.number().int().min(1).max(100_000).default(30),
  /** Population share of each customer segment, for post-stratified scores (non-response correction). */
  populationShares: z.record(z.string().min(1).max(100), z.number().min(0).max(1)).optional(),
  /** Survey links expire after this many days. */
  linkExpiryDays: z.number().int().min(1).max(365).default(30),
  /** HTTP JSON mail provider: POST {baseUrl}/messages with a Bearer key. */
  email: z.object({ baseUrl: z.url(), apiKey: z.string().min(1).max(500), from: z.email() }).optional(),
  /** Twilio-style SMS: POST {baseUrl}/2010-04-01/Accounts/{accountSid}/Messages.json with Basic auth. */
  sms: z.object({ baseUrl: z.url(), accountSid: z.string().min(1).max(100), authToken: z.string().min(1).max(500), from: z.string().min(3).max(32) }).optional(),
  /** The tenant's endpoint for invitations sent by webhook, signed with the secret. */
  webhook: z.object({ url: z.url(), secret: z.string().min(16).max(500) }).optional(),
  /** In-app widget: the public key in the script tag; the secret signs user ids (HMAC) on the tenant's backend. */
  widget: z.object({ publicKey: z.string().min(8).max(100), secret: z.string().min(16).max(500) }).optional(),
  /** Recovery cases (docs/cases.md): default targets, the business-hours calendar they count in, routing rules, owners' SMS numbers. */
  caseTargets: CaseTargetsSchema.default({ firstContactHours: 48, resolutionHours: 168 }),
  businessCalendar: BusinessCalendarSchema.optional(),
  routingRules: RoutingRulesSchema.optional(),
  casePhones: CasePhonesSchema.optional(),
  /** A case opened by a score without a comment tells its owner once the comment comes, or after this many minutes (0: at once). */
  caseNotifyGraceMinutes: z.number().int().min(0).max(1440).default(10),
  /** How long answers' free text and contacts' personal data are kept (src/settings/retention.ts); null keeps forever. */
  retention: RetentionSchema.default({ commentDays: null, contactDays: null }),
  /** B2B accounts (docs/accounts.md): stakeholder weights in account NPS, the churn horizon and the alert threshold. */
  accounts: AccountSettingsSchema.default(ACCOUNT_DEFAULTS),
  /** The respondent side's look (docs/survey.md "Branding"): logo, colours (contrast-checked), the emails' sender name. */
  branding: BrandingSchema.optional(),
});
export type Settings = z.infer<typeof SettingsSchema>;

/** The tenant's settings with defaults applied. */
export async function getSettings(t: TenantDb): Promise<Settings> {
  const [row] = await t.select({ settings: tenants.settings }).from(tenants);
  return SettingsSchema.parse(row?.settings ?? {});
}

/**
 * The widget's public key names its tenant and, on the data plane, the data database it was
 * made in (`wpk_<tenant id>_<random>[_<database id>]`), so the widget finds the tenant by primary
 * key without reading the directory; the secret is what proves a signed user id.
 */
const WIDGET_KEY = /^wpk_(ten_[0-9a-z]{26})_[0-9a-f]{16}(?:_([a-z0-9][a-z0-9-]{0,62}))?$/;

export function widgetKeyTenant(publicKey: string): string | null {
  return WIDGET_KEY.exec(publicKey)?.[1] ?? null;
}

/** The data database a widget key names (keys made before the data plane, or in the single-database mode, name none). */
export function widgetKeyDatabase(publicKey: string): string | undefined {
  return WIDGET_KEY.exec(publicKey)?.[2];
}
