import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { commentQuestion, followUps, type Issue } from '../responses/answers';
import { categorize, type Category } from '../scoring/nps';
import type { RespondentLook } from '../responses/target';
import { DEFAULT_BACKGROUND, DEFAULT_PRIMARY, type Branding } from '../settings/branding';
import { CATEGORIES, direction, type Definition, type Question } from '../surveys/definition';
import { PAGE_SCRIPT } from './script';
import { STRINGS, stringsLocale, type PageStrings } from './strings';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/**
 * The survey page, server-rendered: semantic HTML, a few hundred bytes of CSS, one small
 * inline script. Every scale is a radio group in a fieldset whose legend is the question,
 * each radio with a visible label and the scale's ends associated (aria-describedby); errors
 * are tied to their fields; focus is always visible; tap targets are at least 44 px.
 */
const CSS = `*{box-sizing:border-box}
body{margin:0;font:1.0625rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f5f6f8}
main{max-width:40rem;margin:0 auto;padding:1.25rem 1rem 3rem}
h1{font-size:1.375rem;line-height:1.3;margin:.25rem 0 1.25rem}
fieldset{border:0;margin:0 0 1.5rem;padding:0;min-width:0}
.q{margin:0 0 1.5rem}.q>fieldset{margin:0}
legend,.q>label{display:block;font-weight:600;font-size:1.125rem;margin:0 0 .75rem;padding:0}
.scale{display:grid;grid-template-columns:repeat(6,1fr);gap:.5rem}
.scale.n5{grid-template-columns:repeat(5,1fr)}.scale.n7{grid-template-columns:repeat(7,1fr)}
.scale.n11{grid-template-columns:repeat(11,minmax(0,1fr));gap:.25rem}.scale.n11 .opt label{font-size:.9375rem}
@media (min-width:34rem){.scale.n11{gap:.375rem}}
.opt{position:relative}
.opt input,.choice input{position:absolute;opacity:0;width:1px;height:1px;margin:0}
.opt label{display:flex;align-items:center;justify-content:center;min-height:2.875rem;border:2px solid #5c6370;border-radius:.5rem;background:#fff;font-weight:600;cursor:pointer}
.choice label{display:flex;align-items:center;min-height:2.875rem;padding:.5rem .75rem;margin-bottom:.5rem;border:2px solid #5c6370;border-radius:.5rem;background:#fff;cursor:pointer}
.opt input:checked+label,.choice input:checked+label{background:#1d4ed8;border-color:#1d4ed8;color:#fff}
input:focus-visible+label,textarea:focus-visible,button:focus-visible{outline:3px solid #b45309;outline-offset:2px}
.ends{display:flex;justify-content:space-between;gap:1rem;margin-top:.5rem;font-size:.9375rem;color:#3d434c}
textarea{display:block;width:100%;min-height:7.5rem;padding:.75rem;font:inherit;border:2px solid #5c6370;border-radius:.5rem;background:#fff}
button{display:block;width:100%;min-height:3rem;padding:.75rem 1.5rem;font:inherit;font-weight:600;color:#fff;background:#1d4ed8;border:0;border-radius:.5rem;cursor:pointer}
@media (min-width:34rem){button{width:auto}}
.err{color:#b42318;font-weight:600;margin:.5rem 0 0}
.alert{border:2px solid #b42318;background:#fef3f2;padding:.75rem 1rem;border-radius:.5rem;margin:0 0 1.25rem}
.saved{font-weight:600}
.status:empty{display:none}
.preview{border:2px dashed #5c6370;background:#fff;padding:.5rem .75rem;border-radius:.5rem;margin:0 0 1rem}
.hp{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
[hidden]{display:none!important}
.brand{margin:0 0 1rem}.brand img{display:block;max-height:3rem;max-width:12rem;width:auto;height:auto}
.thanks{font-size:1.125rem}`;

/**
 * The tenant's colours over the page's: validated #rrggbb (src/settings/branding.ts), so they go
 * into the stylesheet as they are; their contrast was checked when they were set.
 */
function brandCss(b: Branding | undefined): string {
  if (!b?.primaryColor && !b?.backgroundColor) return '';
  const primary = b.primaryColor ?? DEFAULT_PRIMARY;
  const background = b.backgroundColor ?? DEFAULT_BACKGROUND;
  return `body{background:${background}}button{background:${primary}}.opt input:checked+label,.choice input:checked+label{background:${primary};border-color:${primary}}`;
}

/** The tenant's logo on top of the page: its alt text is the company's name, else it is decorative. */
function brandLogo(b: Branding | undefined) {
  if (!b?.logoUrl) return '';
  return html`<div class="brand"><img src="${b.logoUrl}" alt="${b.logoAlt ?? ''}"></div>`;
}

export interface PageView {
  definition: Definition;
  defaultLocale: string;
  locale: string;
  /** Form action: `/s/<token>`. */
  action: string;
  state: string;
  nonce: string;
  /** Hidden-question values carried from the link's query string. */
  hiddenValues?: Record<string, string>;
  /**
   * The portal's preview (POST /api/v1/surveys/{id}/preview): this banner on top, every
   * follow-up shown, and a form that cannot submit (no action, no script, the button disabled).
   */
  preview?: { banner: string };
  /** The tenant's branding and follow-up promise (absent: the page's own look). */
  look?: RespondentLook;
}

/** The survey's text for a key in the page's locale, else in the survey's default locale. */
export function surveyText(def: Definition, locale: string, defaultLocale: string, key: string): string {
  return def.translations?.[locale]?.[key] ?? def.translations?.[defaultLocale]?.[key] ?? '';
}

function layout(opts: { locale: string; title: string; nonce: string; body: Html; script?: boolean; branding?: Branding }) {
  return html`<!doctype html>
<html lang="${opts.locale}" dir="${direction(opts.locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow">
<title>${opts.title}</title>
<style nonce="${opts.nonce}">${raw(CSS)}${raw(brandCss(opts.branding))}</style>
</head>
<body>
<main>
${brandLogo(opts.branding)}${opts.body}
</main>
${opts.script ? html`<script nonce="${opts.nonce}">${raw(PAGE_SCRIPT)}</script>` : ''}
</body>
</html>`;
}

/** The friendly page of a link that is not valid or has closed, in the best locale available. */
export function messagePage(kind: 'invalid' | 'closed', opts: { locale: string | null; acceptLanguage: string | null; nonce: string; closedText?: string }) {
  const locale = stringsLocale(opts.locale, opts.acceptLanguage);
  const s = STRINGS[locale]!;
  // A survey's own closing text wins when the page's locale is known.
  const lang = opts.closedText && opts.locale ? opts.locale : locale;
  const title = kind === 'invalid' ? s.invalidTitle : opts.closedText && opts.locale ? opts.closedText : s.closedTitle;
  const body = kind === 'invalid' ? s.invalidBody : s.closedBody;
  return layout({
    locale: lang,
    title,
    nonce: opts.nonce,
    body: html`<h1>${title}</h1>
<p lang="${locale}">${body}</p>`,
  });
}

/** A field's error message and its id, when the field has one. */
function fieldError(issues: Issue[], path: string, id: string, s: PageStrings) {
  const issue = issues.find((i) => i.path === path);
  if (!issue) return null;
  return { id: `e-${id}`, text: issue.message === 'required' ? s.required : path === 'score' ? s.chooseScore : s.invalidAnswer };
}

function scale(opts: {
  name: string;
  id: string;
  from: number;
  to: number;
  legend: string;
  low: string;
  high: string;
  checked?: number;
  error: { id: string; text: string } | null;
  required?: boolean;
}) {
  const count = opts.to - opts.from + 1;
  const items = [];
  for (let v = opts.from; v <= opts.to; v++) {
    const describedBy = [v === opts.from ? `${opts.id}-low` : v === opts.to ? `${opts.id}-high` : null, opts.error?.id].filter(Boolean).join(' ');
    items.push(
      html`<div class="opt"><input type="radio" id="${opts.id}-${v}" name="${opts.name}" value="${v}"${v === opts.checked ? raw(' checked') : ''}${describedBy ? html` aria-describedby="${describedBy}"` : ''}${opts.error ? raw(' aria-invalid="true"') : ''}${opts.required ? raw(' required') : ''}><label for="${opts.id}-${v}">${v}</label></div>`,
    );
  }
  return html`<fieldset id="${opts.id}"><legend>${opts.legend}</legend>
<div class="scale n${count}">${items}</div>
<div class="ends"><span id="${opts.id}-low">${opts.low}</span><span id="${opts.id}-high">${opts.high}</span></div>
${opts.error ? html`<p class="err" id="${opts.error.id}">${opts.error.text}</p>` : ''}
</fieldset>`;
}

interface Values {
  comment?: string | null;
  answers?: Record<string, unknown>;
}

/**
 * One follow-up question. `category` null renders the comment label with every category's
 * prompt as data for the script (page one); otherwise the prompt of that category.
 */
function question(q: Question, v: PageView, category: Category | null, values: Values, issues: Issue[], s: PageStrings, primary: Question | undefined) {
  const t = (key: string) => surveyText(v.definition, v.locale, v.defaultLocale, key);
  const id = `q-${q.id}`;
  const show = (q.showIf?.categories ?? CATEGORIES).join(' ');
  const isPrimary = q === primary;
  const path = isPrimary ? 'comment' : `answers.${q.id}`;
  const error = fieldError(issues, path, q.id, s);
  const value = isPrimary ? values.comment : values.answers?.[q.id];
  const wrap = (inner: Html) => html`<div class="q" data-show="${show}">${inner}</div>`;
  switch (q.type) {
    case 'comment': {
      const labels = CATEGORIES.map((c) => [c, t(`${q.id}.label.${c}`)] as const);
      const label = category ? t(`${q.id}.label.${category}`) : labels[0]![1];
      const data = category ? '' : labels.map(([c, text]) => html` data-${c}="${text}"`);
      return wrap(
        html`<label for="${id}"${data}>${label}</label>
<textarea id="${id}" name="${isPrimary ? 'comment' : `q.${q.id}`}" maxlength="2000" rows="4"${q.required ? raw(' required') : ''}${error ? html` aria-invalid="true" aria-describedby="${error.id}"` : ''}>${typeof value === 'string' ? value : ''}</textarea>
${error ? html`<p class="err" id="${error.id}">${error.text}</p>` : ''}`,
      );
    }
    case 'csat':
    case 'ces':
      return wrap(
        scale({
          name: `q.${q.id}`,
          id,
          from: 1,
          to: q.type === 'csat' ? 5 : 7,
          legend: t(`${q.id}.label`),
          low: t(`${q.id}.low`),
          high: t(`${q.id}.high`),
          checked: typeof value === 'number' ? value : undefined,
          error,
          required: q.required,
        }),
      );
    case 'single':
    case 'multi': {
      const type = q.type === 'single' ? 'radio' : 'checkbox';
      const chosen = new Set(Array.isArray(value) ? value : typeof value === 'string' ? [value] : []);
      const options = q.options!.map(
        (o) =>
          html`<div class="choice"><input type="${type}" id="${id}-${o}" name="q.${q.id}" value="${o}"${chosen.has(o) ? raw(' checked') : ''}${error ? html` aria-describedby="${error.id}"` : ''}><label for="${id}-${o}">${t(`${q.id}.option.${o}`)}</label></div>`,
      );
      return wrap(html`<fieldset id="${id}"><legend>${t(`${q.id}.label`)}</legend>${options}${error ? html`<p class="err" id="${error.id}">${error.text}</p>` : ''}</fieldset>`);
    }
    default:
      return '';
  }
}

const honeypot = html`<div class="hp" aria-hidden="true"><label for="website">Website</label><input type="text" id="website" name="website" value="" tabindex="-1" autocomplete="off"></div>`;

function hiddenInputs(v: PageView, step: 1 | 2) {
  const hidden = v.definition.questions.filter((q) => q.type === 'hidden' && v.hiddenValues?.[q.id] !== undefined);
  return html`<input type="hidden" name="state" value="${v.state}"><input type="hidden" name="step" value="${step}">${hidden.map((q) => html`<input type="hidden" name="q.${q.id}" value="${v.hiddenValues![q.id]}">`)}`;
}

function errorSummary(issues: Issue[], s: PageStrings) {
  if (!issues.length) return '';
  return html`<div class="alert" role="alert"><p>${issues.some((i) => i.path === 'score') ? s.chooseScore : s.errorSummary}</p></div>`;
}

/** Page one: the score, and (for the script) every follow-up question, hidden and disabled until a score is saved. */
export function scorePage(v: PageView, opts: { issues?: Issue[]; values?: Values & { score?: number }; landed?: boolean } = {}) {
  const s = STRINGS[stringsLocale(v.locale, null)]!;
  const t = (key: string) => surveyText(v.definition, v.locale, v.defaultLocale, key);
  const issues = opts.issues ?? [];
  const nps = v.definition.questions.find((q) => q.type === 'nps')!;
  const primary = commentQuestion(v.definition);
  const later = v.definition.questions.filter((q) => q.type !== 'nps' && q.type !== 'hidden');
  return layout({
    locale: v.locale,
    title: t('page.title'),
    nonce: v.nonce,
    script: !v.preview,
    branding: v.look?.branding,
    body: html`${v.preview ? html`<p class="preview" role="note" lang="en" dir="ltr">${v.preview.banner}</p>` : ''}<h1>${t('page.title')}</h1>
${errorSummary(issues, s)}
<form id="f"${v.preview ? '' : html` method="post" action="${v.action}"`}${opts.landed ? raw(' data-landed') : ''} novalidate>
${hiddenInputs(v, 1)}${honeypot}
${scale({ name: 'score', id: nps.id, from: 0, to: 10, legend: t(`${nps.id}.label`), low: t(`${nps.id}.low`), high: t(`${nps.id}.high`), checked: opts.values?.score, error: fieldError(issues, 'score', nps.id, s), required: true })}
<p id="live" class="status saved" role="status" data-saved="${s.saved}"></p>
<fieldset id="fu"${v.preview ? '' : raw(' hidden')} disabled>${later.map((q) => question(q, v, null, {}, [], s, primary))}</fieldset>
<button type="submit"${v.preview ? raw(' disabled') : ''}>${t('page.submit')}</button>
</form>`,
  });
}

/** Page two: the score stands; the follow-up questions of its category, the comment prompt worded for it. */
export function followUpPage(v: PageView, opts: { score: number; category: Category; issues?: Issue[]; values?: Values }) {
  const s = STRINGS[stringsLocale(v.locale, null)]!;
  const t = (key: string) => surveyText(v.definition, v.locale, v.defaultLocale, key);
  const issues = opts.issues ?? [];
  const primary = commentQuestion(v.definition);
  return layout({
    locale: v.locale,
    title: t('page.title'),
    nonce: v.nonce,
    branding: v.look?.branding,
    body: html`<h1>${t('page.title')}</h1>
${errorSummary(issues, s)}
<p class="saved">${s.yourScore.replace('{score}', String(opts.score))}</p>
<form id="f2" method="post" action="${v.action}" novalidate>
${hiddenInputs(v, 2)}${honeypot}
${followUps(v.definition, opts.category).map((q) => question(q, v, opts.category, opts.values ?? {}, issues, s, primary))}
<button type="submit">${t('page.submit')}</button>
</form>`,
  });
}

/**
 * The first-contact target in words, in the page's locale: whole days when the hours are a
 * multiple of 24 (and not business hours), else hours ("48 hours" is "2 days", "36 hours" stays).
 */
export function followUpTime(locale: string, hours: number, businessHours: boolean): string {
  const days = !businessHours && hours >= 48 && hours % 24 === 0;
  const unit = days ? 'day' : 'hour';
  try {
    return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'long' }).format(days ? hours / 24 : hours);
  } catch {
    return new Intl.NumberFormat('en', { style: 'unit', unit, unitDisplay: 'long' }).format(days ? hours / 24 : hours);
  }
}

/**
 * The thank-you line of a category: the survey's own `thanks.<category>` in the page's locale,
 * else the page's words. A detractor's names the first-contact target (`{time}`) when the answer
 * was just given (`fresh`); when the page is opened again later, "soon" (the target counts from the answer).
 */
export function thanksLine(v: Pick<PageView, 'definition' | 'defaultLocale' | 'locale' | 'look'>, category: Category, fresh: boolean): string {
  const s = STRINGS[stringsLocale(v.locale, null)]!;
  const own = surveyText(v.definition, v.locale, v.defaultLocale, `thanks.${category}`);
  const look = v.look ?? { firstContactHours: 48, businessHours: false, branding: undefined };
  const time = followUpTime(v.locale, look.firstContactHours, look.businessHours);
  if (category !== 'detractor') return own || (category === 'passive' ? s.thanksPassive : s.thanksPromoter);
  if (own) return own.includes('{time}') && !fresh ? s.thanksDetractorLater : own.split('{time}').join(time);
  if (!fresh) return s.thanksDetractorLater;
  return (look.businessHours ? s.thanksDetractorBusiness : s.thanksDetractor).split('{time}').join(time);
}

/** The thank-you page: the survey's thanks, the score, and the line of its category (docs/survey.md "Thank-you page"). */
export function thanksPage(v: Pick<PageView, 'definition' | 'defaultLocale' | 'locale' | 'nonce' | 'look'>, score: number | null, fresh = false) {
  const s = STRINGS[stringsLocale(v.locale, null)]!;
  const t = (key: string) => surveyText(v.definition, v.locale, v.defaultLocale, key);
  return layout({
    locale: v.locale,
    title: t('page.thanks'),
    nonce: v.nonce,
    branding: v.look?.branding,
    body: html`<h1>${t('page.thanks')}</h1>${
      score === null
        ? ''
        : html`
<p>${s.yourScore.replace('{score}', String(score))}</p>
<p class="thanks" data-category="${categorize(score)}">${thanksLine(v, categorize(score), fresh)}</p>`
    }`,
  });
}

/** The thank-you in the page's own words, when the survey's are not at hand (an answer buffered in an outage). */
export function thanksNotice(locale: string, nonce: string, thanks: string, yourScore: string | null) {
  return layout({
    locale,
    title: thanks,
    nonce,
    body: html`<h1>${thanks}</h1>${
      yourScore === null
        ? ''
        : html`
<p>${yourScore}</p>`
    }`,
  });
}

/** A page with just a message (too many answers, a failure), in the page's locale. */
export function noticePage(opts: { locale: string; nonce: string; title: string; text: string }) {
  return layout({ locale: opts.locale, title: opts.title, nonce: opts.nonce, body: html`<h1>${opts.title}</h1><p role="alert">${opts.text}</p>` });
}
