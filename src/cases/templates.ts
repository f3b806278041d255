import { and, asc, eq } from 'drizzle-orm';
import { audit } from '../audit/record';
import { seesRespondent } from '../auth/policy';
import { requireAnywhere, requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { replyTemplates, users } from '../db/schema';
import type { Deps } from '../lib/deps';
import { notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { visibleCase } from './case-reads';

/** Placeholders a reply template may use; an unknown `{name}` stays as written. */
export const PLACEHOLDERS = ['contactName', 'score', 'unitName', 'comment', 'caseId', 'ownerName', 'touchpointName'] as const;

/** `{name}` replaced by its value for every known placeholder. */
export function renderTemplate(text: string, values: Partial<Record<(typeof PLACEHOLDERS)[number], string>>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values && values[name as keyof typeof values] !== undefined ? values[name as keyof typeof values]! : whole));
}

/** The template locale for a contact: exact, then its language, then the default locale, then English, then any. */
export function pickLocale(available: string[], preferred: string | null, fallback: string): string | null {
  const lower = available.map((l) => l.toLowerCase());
  const tries = [preferred, preferred?.split('-')[0], fallback, fallback.split('-')[0], 'en'].filter((x): x is string => !!x).map((x) => x.toLowerCase());
  for (const t of tries) {
    const i = lower.indexOf(t);
    if (i >= 0) return available[i]!;
  }
  return available[0] ?? null;
}

export interface TemplateInput {
  theme: string;
  locale: string;
  subject: string;
  body: string;
}

/** A reply template of a theme rendered for a visible case, in the contact's (or the answer's) locale. */
export async function caseReply(d: Pick<Deps, 't' | 'actor'>, caseId: string, theme: string) {
  const { t, actor } = d;
  const row = await visibleCase(d, caseId);
  const [templates, owner] = await t.batch([
    t.select().from(replyTemplates).where(eq(replyTemplates.theme, theme)),
    t
      .select({ name: users.name })
      .from(users)
      .where(eq(users.id, row.c.ownerUserId ?? '')),
  ]);
  const locale = pickLocale(
    templates.map((x) => x.locale),
    row.contact?.locale ?? row.responseLocale ?? null,
    row.responseLocale ?? 'en',
  );
  const template = templates.find((x) => x.locale === locale);
  if (!template) throw notFound(`reply template "${theme}"`);
  // The person behind the answer only for those who see them on the case itself.
  const person = seesRespondent(actor, row.unitPath, row.c.ownerUserId);
  const attrs = row.contact?.attributes ?? {};
  const values = {
    contactName: !person ? '' : typeof attrs.name === 'string' ? attrs.name : (row.contact?.externalId ?? ''),
    score: String(row.c.score),
    unitName: row.unitName,
    comment: person ? (row.comment ?? '') : '',
    caseId: row.c.id,
    ownerName: owner[0]?.name ?? '',
    touchpointName: row.touchpointName ?? '',
  };
  return { caseId: row.c.id, theme, locale: template.locale, subject: renderTemplate(template.subject, values), body: renderTemplate(template.body, values) };
}

/** Creates or replaces the reply template of a theme and locale (admin on the root); `created` tells which. */
export async function saveTemplate(d: Deps, input: TemplateInput) {
  await requireTenantWide(d, 'case.configure', 'reply templates');
  const { t, actor } = d;
  const now = Date.now();
  const [existing] = await t
    .select()
    .from(replyTemplates)
    .where(and(eq(replyTemplates.theme, input.theme), eq(replyTemplates.locale, input.locale)));
  const record = { id: existing?.id ?? newId('rtpl'), ...input, createdAt: existing?.createdAt ?? now, updatedAt: now };
  await commit(t, [
    existing ? t.update(replyTemplates).set({ subject: input.subject, body: input.body, updatedAt: now }).where(eq(replyTemplates.id, existing.id)) : t.insert(replyTemplates).values(record),
    ...(await audit(d, {
      action: existing ? 'reply_template.update' : 'reply_template.create',
      targetType: 'reply_template',
      targetId: record.id,
      before: existing,
      // The row as stored.
      after: { ...record, tenantId: actor.tenantId },
    })),
  ]);
  return { template: record, created: !existing };
}

/** The reply templates, of one theme or all, by theme and locale. */
export function listTemplates(d: Pick<Deps, 't' | 'actor'>, theme: string | undefined) {
  requireAnywhere(d, 'template.read', 'reading reply templates');
  return d.t
    .select()
    .from(replyTemplates)
    .where(theme ? eq(replyTemplates.theme, theme) : undefined)
    .orderBy(asc(replyTemplates.theme), asc(replyTemplates.locale));
}
