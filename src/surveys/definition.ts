import { z } from 'zod';

/**
 * A survey's content: questions in order and their texts per locale. The draft and every
 * published version have this shape; a published version never changes.
 */
export const QUESTION_TYPES = ['nps', 'comment', 'csat', 'ces', 'single', 'multi', 'hidden'] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];
export const CATEGORIES = ['detractor', 'passive', 'promoter'] as const;

const questionId = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'lower-case letters, digits and _ (max 40), starting with a letter');
const locale = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a BCP 47 language tag such as en, de or pt-BR');

export const QuestionSchema = z
  .strictObject({
    id: questionId,
    type: z.enum(QUESTION_TYPES),
    required: z.boolean().optional(),
    /** Option ids of single and multiple choice questions. */
    options: z.array(questionId).min(2).max(20).optional(),
    /** Skip logic: ask only when the NPS answer falls in these categories. */
    showIf: z.strictObject({ categories: z.array(z.enum(CATEGORIES)).min(1) }).optional(),
  })
  .superRefine((q, ctx) => {
    const choice = q.type === 'single' || q.type === 'multi';
    if (choice && !q.options) ctx.addIssue({ code: 'custom', path: ['options'], message: 'choice questions need options' });
    if (!choice && q.options) ctx.addIssue({ code: 'custom', path: ['options'], message: 'only choice questions have options' });
  });
export type Question = z.infer<typeof QuestionSchema>;

/** Texts that become an email subject (the page title is the subject's fallback). */
const SUBJECT_TEXTS = ['invite.subject', 'reminder.subject', 'page.title'];

export const DefinitionSchema = z
  .strictObject({
    questions: z.array(QuestionSchema).min(1).max(30),
    /** locale → text key → text. Keys are listed by `requiredTexts`. */
    translations: z.record(locale, z.record(z.string().max(120), z.string().max(2000))),
  })
  .superRefine((d, ctx) => {
    const ids = d.questions.map((q) => q.id);
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i) ctx.addIssue({ code: 'custom', path: ['questions', i, 'id'], message: `duplicate question id "${id}"` });
    });
    const nps = d.questions.filter((q) => q.type === 'nps');
    if (nps.length !== 1) ctx.addIssue({ code: 'custom', path: ['questions'], message: 'a survey has exactly one nps question' });
    else if (d.questions[0]!.type !== 'nps') ctx.addIssue({ code: 'custom', path: ['questions', 0], message: 'the nps question comes first' });
    // These become an email's Subject header: CR and LF would start another header.
    for (const [l, texts] of Object.entries(d.translations)) {
      for (const key of SUBJECT_TEXTS) if (/[\r\n]/.test(texts[key] ?? '')) ctx.addIssue({ code: 'custom', path: ['translations', l, key], message: 'a mail subject cannot contain line breaks' });
    }
  });
export type Definition = z.infer<typeof DefinitionSchema>;

/** Texts every locale needs besides the questions'. */
export const PAGE_TEXTS = ['page.title', 'page.submit', 'page.thanks', 'page.expired'] as const;

/**
 * The text keys a definition needs in every locale: `<id>.label` for each visible question
 * (a comment has one per NPS category: `<id>.label.detractor|passive|promoter`), the scale
 * ends of nps/csat/ces (`<id>.low`, `<id>.high`), choice options (`<id>.option.<option>`), and
 * the page texts.
 */
export function requiredTexts(d: Definition): string[] {
  const keys: string[] = [...PAGE_TEXTS];
  for (const q of d.questions) {
    if (q.type === 'hidden') continue;
    if (q.type === 'comment') keys.push(...CATEGORIES.map((c) => `${q.id}.label.${c}`));
    else keys.push(`${q.id}.label`);
    if (q.type === 'nps' || q.type === 'csat' || q.type === 'ces') keys.push(`${q.id}.low`, `${q.id}.high`);
    for (const o of q.options ?? []) keys.push(`${q.id}.option.${o}`);
  }
  return keys;
}

/** For each locale of the definition, the required keys it lacks (empty strings count as missing). */
export function missingTexts(d: Definition, defaultLocale: string): Record<string, string[]> {
  const required = requiredTexts(d);
  const locales = new Set([defaultLocale, ...Object.keys(d.translations)]);
  const missing: Record<string, string[]> = {};
  for (const l of locales) {
    const texts = d.translations[l] ?? {};
    const lacking = required.filter((k) => !texts[k]?.trim());
    if (lacking.length) missing[l] = lacking;
  }
  return missing;
}

const RTL = new Set(['ar', 'he', 'fa', 'ur', 'ps', 'sd', 'yi', 'dv', 'ug', 'ku']);
/** Text direction of a locale by its language subtag. */
export const direction = (l: string): 'rtl' | 'ltr' => (RTL.has(l.split('-')[0]!.toLowerCase()) ? 'rtl' : 'ltr');

/**
 * The locale to show: the contact's, else the best of Accept-Language, else the survey's
 * default; a regional tag falls back to its language (pt-BR → pt) when only that exists.
 */
export function chooseLocale(available: string[], defaultLocale: string, contactLocale?: string | null, acceptLanguage?: string | null): string {
  const match = (tag: string) => {
    const exact = available.find((a) => a.toLowerCase() === tag.toLowerCase());
    if (exact) return exact;
    const lang = tag.split('-')[0]!.toLowerCase();
    return available.find((a) => a.toLowerCase() === lang) ?? available.find((a) => a.split('-')[0]!.toLowerCase() === lang);
  };
  if (contactLocale) {
    const hit = match(contactLocale);
    if (hit) return hit;
  }
  if (acceptLanguage) {
    const ranked = acceptLanguage
      .split(',')
      .map((part) => {
        const [tag, ...params] = part.trim().split(';');
        const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
        return { tag: tag!.trim(), q: q ? Number(q.slice(2)) : 1 };
      })
      .filter((x) => x.tag && x.tag !== '*' && Number.isFinite(x.q) && x.q > 0)
      .sort((a, b) => b.q - a.q);
    for (const { tag } of ranked) {
      const hit = match(tag);
      if (hit) return hit;
    }
  }
  return defaultLocale;
}
