import { z } from 'zod';

/** Touchpoint kinds: the service moments a program surveys after (docs/architecture.md, "The flow of one answer"). */
export const TOUCHPOINT_KINDS = ['order_fulfilment', 'support_resolution', 'site_visit', 'invoice', 'contract_milestone', 'relationship'] as const;

/** A touchpoint's eligibility rules; each absent rule is off (fatigue falls back to the tenant's window). */
export const TouchpointRulesSchema = z.strictObject({
  /** Skip a contact who had an `interaction.negative` event within this many days. */
  suppressAfterNegativeDays: z.number().int().min(1).max(365).optional(),
  /** One invitation per contact per this many days; overrides the tenant default, 0 turns it off. */
  fatigueDays: z.number().int().min(0).max(3650).optional(),
  /** Share of eligible contacts invited, per segment; `*` for any other segment. */
  sampling: z.record(z.string().min(1).max(100), z.number().min(0).max(1)).optional(),
  /** At most this many invitations per UTC day for the touchpoint. */
  dailyCap: z.number().int().min(1).max(10_000_000).optional(),
  /** Passives (7–8) open a recovery case too, not only detractors. */
  includePassives: z.boolean().optional(),
  /** Case targets of this touchpoint (hours, business hours under a calendar): override the tenant's, a vendor contract overrides these. */
  firstContactHours: z.number().int().min(1).max(8760).optional(),
  resolutionHours: z.number().int().min(1).max(8760).optional(),
});
export type TouchpointRules = z.infer<typeof TouchpointRulesSchema>;
