import { DEFAULT_BACKGROUND, DEFAULT_PRIMARY, PAGE_TEXT, type Branding } from '../settings/branding';
import { STRINGS, stringsLocale } from '../survey-page/strings';
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

/** The link that opens the survey with a score chosen (the page's `?score=N`). */
export const scoreLink = (link: string, score: number) => `${link}${link.includes('?') ? '&' : '?'}score=${score}`;

interface HtmlParts {
  locale: string;
  subject: string;
  greeting: string;
  question: string;
  low: string;
  high: string;
  /** The message's own text (the survey's `invite.body`, the link in it), after the scale. */
  body: string;
  link: string;
  branding: Branding | undefined;
}

/**
 * The HTML part: the tenant's logo (an https one: mail clients block data URLs), the greeting,
 * the question and the 0–10 scale as eleven links (each opens the survey with its score chosen),
 * the scale's end labels, then the message's text with the plain link. Layout tables are
 * `role="presentation"`; the ends are tied into the first and last links' names; inline styles
 * only (mail clients drop style sheets); colours as the tenant set them (contrast checked).
 */
function html(p: HtmlParts): string {
  const s = STRINGS[stringsLocale(p.locale, null)]!;
  const b = p.branding;
  const primary = b?.primaryColor ?? DEFAULT_PRIMARY;
  const background = b?.backgroundColor ?? DEFAULT_BACKGROUND;
  const rtl = direction(p.locale) === 'rtl';
  const anchor = `<a href="${escapeHtml(p.link)}" style="color:${primary}">${escapeHtml(p.link)}</a>`;
  const paragraphs = p.body
    .split(/\n{2,}/)
    // A long link breaks where it must (a phone's screen is narrower than a signed link).
    .map((para) => `<p style="margin:0 0 16px;word-wrap:break-word;overflow-wrap:anywhere">${escapeHtml(para).split(escapeHtml(p.link)).join(anchor).replace(/\n/g, '<br>')}</p>`)
    .join('');
  const logo = b?.logoUrl?.startsWith('https:')
    ? `<p style="margin:0 0 20px"><img src="${escapeHtml(b.logoUrl)}" alt="${escapeHtml(b.logoAlt ?? '')}" height="48" style="display:block;height:48px;width:auto;max-width:200px;border:0"></p>`
    : '';
  const cells = Array.from({ length: 11 }, (_, n) => {
    const name = n === 0 ? `0 – ${p.low}` : n === 10 ? `10 – ${p.high}` : String(n);
    return `<td style="padding:0 2px"><a href="${escapeHtml(scoreLink(p.link, n))}" aria-label="${escapeHtml(name)}" title="${escapeHtml(name)}" style="display:block;min-width:24px;padding:12px 0;text-align:center;font-weight:700;font-size:16px;line-height:20px;color:#ffffff;background:${primary};border-radius:4px;text-decoration:none">${n}</a></td>`;
  }).join('');
  return `<!doctype html><html lang="${escapeHtml(p.locale)}" dir="${rtl ? 'rtl' : 'ltr'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(p.subject)}</title></head>
<body style="margin:0;padding:0;background:${background}">
<div role="article" aria-roledescription="email" aria-label="${escapeHtml(p.subject)}" lang="${escapeHtml(p.locale)}" dir="${rtl ? 'rtl' : 'ltr'}" style="max-width:600px;margin:0 auto;padding:24px 16px;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;font-size:16px;line-height:1.5;color:${PAGE_TEXT}">
${logo}<p style="margin:0 0 16px">${escapeHtml(p.greeting)}</p>
<h1 style="margin:0 0 12px;font-size:18px;line-height:1.4">${escapeHtml(p.question)}</h1>
<table role="presentation" cellspacing="0" cellpadding="0" border="0" width="100%" style="border-collapse:collapse;table-layout:fixed"><tr>${cells}</tr></table>
<table role="presentation" cellspacing="0" cellpadding="0" border="0" width="100%" style="margin:6px 0 8px;font-size:14px;color:#3d434c"><tr><td style="text-align:${rtl ? 'right' : 'left'}" aria-hidden="true">${escapeHtml(p.low)}</td><td style="text-align:${rtl ? 'left' : 'right'}" aria-hidden="true">${escapeHtml(p.high)}</td></tr></table>
<p style="margin:0 0 24px;font-size:14px;color:#3d434c">${escapeHtml(s.emailScaleHint)}</p>
${paragraphs}
</div>
</body></html>`;
}

/** The contact's first name from its attributes (`firstName`, `first_name`, else `name`), for the greeting. */
export function greetingName(attributes: Record<string, unknown> | null | undefined): string | null {
  for (const key of ['firstName', 'first_name', 'name']) {
    const v = attributes?.[key];
    if (typeof v === 'string' && v.trim() && v.length <= 100) return v.replace(/[\r\n]+/g, ' ').trim();
  }
  return null;
}

/**
 * The message of an invitation or its reminder, from the survey version's texts in the locale
 * chosen for it (the invitation's, else the contact's, else the survey default; see
 * `chooseLocale`). Keys: `invite.subject`, `invite.body`, `invite.sms`, and for reminders
 * `reminder.subject|body|sms`, each falling back to the invite text; `invite.greeting` (`{name}`)
 * replaces the page's greeting. `{link}` stands for the link (appended when a text lacks it).
 * Without invite texts the subject is the page title and the body the NPS question, so the
 * message is still in the respondent's language. Email parts start with the greeting; the HTML
 * part carries the 0–10 scale as links (docs/delivery.md "The email").
 */
export function composeMessage(x: {
  definition: Record<string, unknown>;
  defaultLocale: string;
  preferredLocale: string | null;
  link: string;
  kind: DeliveryKind;
  name?: string | null;
  branding?: Branding;
}): Message {
  const translations = (x.definition.translations ?? {}) as Record<string, Record<string, string> | undefined>;
  const locale = chooseLocale(Object.keys(translations), x.defaultLocale, x.preferredLocale);
  const texts = translations[locale] ?? {};
  const questions = Array.isArray(x.definition.questions) ? (x.definition.questions as { id?: unknown; type?: unknown }[]) : [];
  const npsId = questions.find((q) => q.type === 'nps')?.id;
  const question = (typeof npsId === 'string' && texts[`${npsId}.label`]) || ENGLISH.question;
  const text = (key: string) => (x.kind === 'reminder' && texts[`reminder.${key}`]) || texts[`invite.${key}`] || undefined;
  const s = STRINGS[stringsLocale(locale, null)]!;
  const name = x.name?.trim() || null;
  const greeting = texts['invite.greeting'] && name ? texts['invite.greeting'].split('{name}').join(name) : name ? s.emailGreeting.split('{name}').join(name) : s.emailGreetingNoName;

  const subject = text('subject') ?? texts['page.title'] ?? ENGLISH.subject;
  const body = fill(text('body') ?? question, x.link, '\n\n');
  const ends = { low: (typeof npsId === 'string' && texts[`${npsId}.low`]) || '', high: (typeof npsId === 'string' && texts[`${npsId}.high`]) || '' };
  return {
    locale,
    subject,
    text: `${greeting}\n\n${body}`,
    // Without the survey's own body the HTML part would repeat the question under the scale: the plain link instead.
    html: html({ locale, subject, greeting, question, ...ends, body: text('body') ? body : `${s.emailOrOpen}\n${x.link}`, link: x.link, branding: x.branding }),
    sms: fill(text('sms') ?? question, x.link, ' '),
  };
}
