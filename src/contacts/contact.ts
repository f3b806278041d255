import { z } from '@hono/zod-openapi';
import { eq, sql } from 'drizzle-orm';
import { audit } from '../audit/record';
import { requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import type { TenantDb } from '../db/tenant-db';
import { contacts, STAKEHOLDER_ROLES } from '../db/schema';
import type { Deps } from '../lib/deps';
import { notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { WEIGHT_MAX, WEIGHT_MIN } from '../scoring/nps';

export type ContactRow = typeof contacts.$inferSelect;

/** A BCP 47 language tag, stored in its canonical form (`en-us` → `en-US`). */
const locale = z
  .string()
  .min(2)
  .max(35)
  .transform((tag, ctx) => {
    try {
      const [canonical] = Intl.getCanonicalLocales(tag);
      if (canonical) return canonical;
    } catch {
      /* not a tag */
    }
    ctx.addIssue({ code: 'custom', message: 'not a BCP 47 language tag (e.g. en, de-CH, pt-BR)' });
    return z.NEVER;
  });

const text = (max: number) => z.string().trim().min(1).max(max);

/**
 * A lifetime value: it weighs the contact's answers in `weight=ltv`, so it takes the scoring
 * module's weight bounds (docs/scoring.md "Weights"): 0, or from 0.000001 to 10^12.
 */
export const LifetimeValue = z
  .number()
  .min(0)
  .max(WEIGHT_MAX, `at most ${WEIGHT_MAX.toExponential()}`)
  .refine((v) => v === 0 || v >= WEIGHT_MIN, `0, or at least ${WEIGHT_MIN}`)
  .openapi({ description: `0, or from ${WEIGHT_MIN} to ${WEIGHT_MAX} (the weight bounds of docs/scoring.md)` });

/** The data of a contact, every field optional: `null` clears a field, an absent one keeps its value. */
export const ContactInput = z
  .strictObject({
    email: z.email().max(254).nullable().optional(),
    phone: z
      .string()
      .regex(/^\+[1-9][0-9]{7,14}$/, 'E.164: + then 8–15 digits, e.g. +4930123456')
      .nullable()
      .optional(),
    locale: locale.nullable().optional(),
    segment: text(100).nullable().optional(),
    lifetimeValue: LifetimeValue.nullable().optional(),
    tenureMonths: z.number().int().min(0).max(1200).nullable().optional(),
    contractSize: text(100).nullable().optional(),
    supportTier: text(100).nullable().optional(),
    accountId: text(128).nullable().optional().openapi({ description: "The B2B account's external id: every contact with one is a stakeholder in account waves and account NPS" }),
    stakeholderRole: z
      .enum(STAKEHOLDER_ROLES)
      .nullable()
      .optional()
      .openapi({ description: "The contact's role in its account; it weighs the contact's answer in account NPS (docs/accounts.md). No role counts as `user`." }),
    isEmployee: z.boolean().optional(),
    isTest: z.boolean().optional(),
    optedOut: z.boolean().optional().openapi({ description: 'true records the opt-out time (the first one is kept); false clears it' }),
    attributes: z
      .record(z.string().min(1).max(100), z.unknown())
      .refine((a) => JSON.stringify(a).length <= 8192, 'at most 8 KiB of JSON')
      .optional()
      .openapi({ description: 'Replaces the stored attributes when given' }),
  })
  .openapi('ContactInput');
export type ContactInput = z.infer<typeof ContactInput>;

/** An external id: the integration's own key of the contact, unique per tenant. */
export const externalId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^\s/\\]+$/, 'no spaces or slashes');

/** The path parameter of the routes that address one contact. */
export const ExternalIdParam = z.object({ externalId: externalId.openapi({ param: { name: 'externalId', in: 'path' }, description: "The contact's id in the caller's systems" }) });

/** One row of an import: the external id and the same fields as the upsert. */
export const ImportRow = ContactInput.extend({ externalId });

export const ContactSchema = z
  .object({
    id: z.string(),
    externalId: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    locale: z.string().nullable(),
    segment: z.string().nullable(),
    lifetimeValue: z.number().nullable(),
    tenureMonths: z.number().int().nullable(),
    contractSize: z.string().nullable(),
    supportTier: z.string().nullable(),
    accountId: z.string().nullable(),
    stakeholderRole: z.enum(STAKEHOLDER_ROLES).nullable(),
    isEmployee: z.boolean(),
    isTest: z.boolean(),
    optedOut: z.boolean(),
    optedOutAt: z.string().nullable().openapi({ format: 'date-time' }),
    attributes: z.record(z.string(), z.unknown()),
    createdAt: z.string().openapi({ format: 'date-time' }),
    updatedAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Contact');

export const presentContact = (r: ContactRow): z.infer<typeof ContactSchema> => ({
  id: r.id,
  externalId: r.externalId,
  email: r.email,
  phone: r.phone,
  locale: r.locale,
  segment: r.segment,
  lifetimeValue: r.lifetimeValue,
  tenureMonths: r.tenureMonths,
  contractSize: r.contractSize,
  supportTier: r.supportTier,
  accountId: r.accountId,
  stakeholderRole: r.stakeholderRole,
  isEmployee: r.isEmployee,
  isTest: r.isTest,
  optedOut: r.optedOutAt !== null,
  optedOutAt: r.optedOutAt === null ? null : new Date(r.optedOutAt).toISOString(),
  attributes: r.attributes,
  createdAt: new Date(r.createdAt).toISOString(),
  updatedAt: new Date(r.updatedAt).toISOString(),
});

type Columns = Partial<Omit<ContactRow, 'id' | 'tenantId' | 'externalId' | 'createdAt'>>;

/** The columns an input sets: only the fields it names (`optedOut` becomes `optedOutAt`). */
function columnsOf(input: ContactInput, now: number): Columns {
  const { optedOut, ...rest } = input;
  const cols: Columns = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) (cols as Record<string, unknown>)[k] = v;
  if (optedOut !== undefined) cols.optedOutAt = optedOut ? now : null;
  return cols;
}

/** The contact as it will be after the upsert: the stored one (if any) with the input applied. */
export function applyInput(tenantId: string, externalId: string, before: ContactRow | undefined, input: ContactInput, now: number): ContactRow {
  const cols = columnsOf(input, now);
  // A repeated opt-out keeps the time of the first.
  if (cols.optedOutAt !== undefined && cols.optedOutAt !== null && before?.optedOutAt) cols.optedOutAt = before.optedOutAt;
  const base: ContactRow = before ?? {
    id: newId('con'),
    tenantId,
    externalId,
    email: null,
    phone: null,
    locale: null,
    segment: null,
    lifetimeValue: null,
    tenureMonths: null,
    contractSize: null,
    supportTier: null,
    accountId: null,
    stakeholderRole: null,
    isEmployee: false,
    isTest: false,
    optedOutAt: null,
    attributes: {},
    createdAt: now,
    updatedAt: now,
  };
  return { ...base, ...cols, updatedAt: now };
}

/**
 * The upsert of one contact as a single statement: inserted when new, else only the fields
 * the input names are changed (in SQL, so it needs no read first and a row is whole or not at
 * all). A repeated opt-out keeps its first time.
 */
export function upsertStatement(t: TenantDb, externalId: string, input: ContactInput, now: number, id = newId('con')) {
  const cols = columnsOf(input, now);
  const set: Record<string, unknown> = { ...cols, updatedAt: now };
  if (cols.optedOutAt) set.optedOutAt = sql`coalesce(${contacts.optedOutAt}, ${now})`;
  return t
    .insert(contacts)
    .values({ id, externalId, ...cols, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: [contacts.tenantId, contacts.externalId], set });
}

export function findContact(t: TenantDb, externalId: string) {
  return t.select().from(contacts).where(eq(contacts.externalId, externalId)).limit(1).get();
}

/** Managing contacts is tenant-wide: the admin role on the root unit. */
export const requireContactAdmin = (d: Deps) => requireTenantWide(d, 'contact.manage', 'managing contacts');

/** One contact by its external id, for a contact admin. */
export async function readContact(d: Deps, externalId: string) {
  await requireContactAdmin(d);
  const contact = await findContact(d.t, externalId);
  if (!contact) throw notFound('contact');
  return presentContact(contact);
}

/**
 * Creates or updates a contact by its external id (the fields given are set, `null` clears
 * one, the others keep their value), audited in the same commit; `created` when it is new.
 */
export async function putContact(d: Deps, externalId: string, input: ContactInput) {
  await requireContactAdmin(d);
  const { t, actor } = d;
  const before = await findContact(t, externalId);
  const now = Date.now();
  const after = applyInput(actor.tenantId, externalId, before, input, now);
  await commit(t, [
    upsertStatement(t, externalId, input, now, after.id),
    ...(await audit(d, {
      action: before ? 'contact.update' : 'contact.create',
      targetType: 'contact',
      targetId: after.id,
      before,
      after,
      details: { externalId, changed: Object.keys(input) },
    })),
  ]);
  return { contact: presentContact(after), created: !before };
}
