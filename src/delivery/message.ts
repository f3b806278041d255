import { chooseLocale, direction } from '../surveys/definition';

export type DeliveryKind = 'invitation' | 'reminder';

/** What an email, SMS or webhook says, in one locale. */
export interface Message {
  locale: string;
  subject: string;
  text: string;
  html: string;
  sms: string;
}

/** Used only when a version has neither the invite texts nor the page title and NPS label. */
const ENGLISH = {
  subject: 'How did we do?',
  question: 'How likely are you to recommend us to a friend or colleague?',
};

const LINK = '{link}';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** `{link}` replaced by the link; a template without the placeholder gets the link appended. */
function fill(template: string, link: string, separator: string): string {
  return template.includes(LINK) ? template.split(LINK).join(link) : `${template}${separator}${link}`;
}

function html(text: string, link: string, locale: string): string {
  const anchor = `<a href="${escapeHtml(link)}">${escapeHtml(link)}</a>`;
  const paragraphs = text
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).split(escapeHtml(link)).join(anchor).replace(/\n/g, '<br>')}</p>`)
    .join('');
  return `<!doctype html><html lang="${escapeHtml(locale)}" dir="${direction(locale)}"><body>${paragraphs}</body></html>`;
}

/**
 * The message of an invitation or its reminder, from the survey version's texts in the locale
 * chosen for it (the invitation's, else the contact's, else the survey default; see
 * `chooseLocale`). Keys: `invite.subject`, `invite.body`, `invite.sms`, and for reminders
 * `reminder.subject|body|sms`, each falling back to the invite text. `{link}` stands for the
 * link (appended when a text lacks it). Without invite texts the subject is the page title
 * and the body the NPS question, so the message is still in the respondent's language.
 */
export function composeMessage(x: { definition: Record<string, unknown>; defaultLocale: string; preferredLocale: string | null; link: string; kind: DeliveryKind }): Message {
  const translations = (x.definition.translations ?? {}) as Record<string, Record<string, string> | undefined>;
  const locale = chooseLocale(Object.keys(translations), x.defaultLocale, x.preferredLocale);
  const texts = translations[locale] ?? {};
  const questions = Array.isArray(x.definition.questions) ? (x.definition.questions as { id?: unknown; type?: unknown }[]) : [];
  const npsId = questions.find((q) => q.type === 'nps')?.id;
  const question = (typeof npsId === 'string' && texts[`${npsId}.label`]) || ENGLISH.question;
  const text = (key: string) => (x.kind === 'reminder' && texts[`reminder.${key}`]) || texts[`invite.${key}`] || undefined;

  const subject = text('subject') ?? texts['page.title'] ?? ENGLISH.subject;
  const body = fill(text('body') ?? question, x.link, '\n\n');
  return { locale, subject, text: body, html: html(body, x.link, locale), sms: fill(text('sms') ?? question, x.link, ' ') };
}
