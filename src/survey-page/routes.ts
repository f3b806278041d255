import { verifyToken } from '../auth/jwt';
import { z } from 'zod';
import { bodyLimit } from 'hono/body-limit';
import { openCors } from '../lib/open-cors';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { answersFromForm, followUps, commentQuestion, asked, type Issue } from '../responses/answers';
import { capture, type CaptureInput, type CaptureOutcome } from '../responses/capture';
import { bufferAnswer, cannotWriteNow, surveyOf, type BufferedOutcome } from '../responses/buffer';
import { formNonce, signFormState, verifyFormState } from '../responses/form-state';
import { linkSubject, loadTarget, type SurveyTarget, type VerifiedLink } from '../responses/target';
import { createRouter, type AppContext, type AppEnv } from '../lib/create-app';
import { base64url } from '../lib/ids';
import { categorize } from '../scoring/nps';
import { chooseLocale, type Definition } from '../surveys/definition';
import { rememberSurvey, type CachedSurvey } from '../surveys/published-cache';
import { SURVEY_LINK_AUDIENCE, surveyLinkOf } from '../surveys/token';
import type { Config } from '../env';
import { STORAGE_RETRY_AFTER_SECONDS } from '../lib/create-app';
import { bindRespondent, rebindMoved } from '../lib/bind-tenant';
import { followUpPage, messagePage, noticePage, scorePage, surveyText, thanksNotice, thanksPage, type PageView } from './render';
import { STRINGS, stringsLocale } from './strings';
import type { RespondentLook } from '../responses/target';
import { logoSource } from '../settings/branding';
import { TOUCHPOINT_LINK_AUDIENCE, touchpointLinkOf } from './touchpoint-token';

/** Survey submits are small: a score, a comment of at most 2,000 characters, a few answers. */
export const SURVEY_BODY_LIMIT = 16 * 1024;

/** The JSON submit: `{"score","comment"?,"answers"?}`, plus the page's signed `state` and honeypot `website`. */
export const CaptureBody = z.strictObject({
  score: z.number().int().min(0).max(10).optional(),
  comment: z.string().max(2000).optional(),
  answers: z.record(z.string().max(40), z.union([z.string().max(2000), z.number(), z.array(z.string().max(40)).max(20)])).optional(),
  state: z.string().max(1000).optional(),
  website: z.string().max(500).optional(),
});

/** Either link kind: an invitation's, or an anonymous touchpoint link. Tells expired (its signature holds) from invalid. */
export async function verifyLink(config: Config, token: string): Promise<{ ok: true; link: VerifiedLink } | { ok: false; reason: 'expired' | 'invalid' }> {
  if (token.length > 2048) return { ok: false, reason: 'invalid' };
  // Either kind's audience passes one verification; the verified audience then names the kind.
  const check = await verifyToken(config, [SURVEY_LINK_AUDIENCE, TOUCHPOINT_LINK_AUDIENCE], token);
  if (!check.ok) return check;
  if (check.payload.aud === TOUCHPOINT_LINK_AUDIENCE) {
    const tp = await touchpointLinkOf(check.payload, token);
    return tp.ok ? { ok: true, link: { kind: 'touchpoint', claims: tp.claims, linkId: tp.linkId, expiresAt: tp.expiresAt } } : tp;
  }
  const inv = surveyLinkOf(check.payload);
  return inv.ok ? { ok: true, link: { kind: 'invitation', claims: inv.claims } } : inv;
}

const nonceOf = () => base64url(crypto.getRandomValues(new Uint8Array(16)));

/** A rendered page's signed state; an anonymous link's carries a fresh single-use nonce (docs/capture.md). */
const pageState = (config: Config, link: VerifiedLink, target: { surveyVersion: number }, locale: string, now: number) =>
  signFormState(config, linkSubject(link), { t: now, v: target.surveyVersion, l: locale, ...(link.kind === 'touchpoint' ? { n: formNonce() } : {}) });

/** An HTML answer with the page's headers: no caching, no referrer (the token is in the URL), a strict CSP. */
function page(c: AppContext, body: string | Promise<string>, status: ContentfulStatusCode, nonce: string, look?: RespondentLook) {
  // The tenant's logo: its origin (or data: for a data URL) and nothing else besides the page's own.
  const logo = logoSource(look?.branding);
  c.header('cache-control', 'no-store');
  c.header('referrer-policy', 'no-referrer');
  c.header('x-content-type-options', 'nosniff');
  c.header('x-frame-options', 'DENY');
  c.header(
    'content-security-policy',
    `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; connect-src 'self'; form-action 'self'; img-src 'self'${logo ? ` ${logo}` : ''}; base-uri 'none'; frame-ancestors 'none'`,
  );
  return c.html(body, status);
}

/** The error envelope of the API, for JSON submits (410 GONE is this route's own code). */
function jsonError(c: AppContext, status: ContentfulStatusCode, code: string, message: string, details?: unknown, headers?: Record<string, string>) {
  return c.json({ error: { code, message, ...(details === undefined ? {} : { details }), requestId: c.get('requestId') } }, status, headers);
}

const linkStatus = (reason: 'expired' | 'invalid') => (reason === 'expired' ? 410 : 404);

function linkFailure(c: AppContext, reason: 'expired' | 'invalid', asJson: boolean, target?: { target: SurveyTarget; locale: string }) {
  if (asJson) return reason === 'expired' ? jsonError(c, 410, 'GONE', 'this survey has closed') : jsonError(c, 404, 'NOT_FOUND', 'this link is not valid');
  const nonce = nonceOf();
  const closedText = target ? surveyText(target.target.definition, target.locale, target.target.defaultLocale, 'page.expired') : undefined;
  return page(
    c,
    messagePage(reason === 'expired' ? 'closed' : 'invalid', { locale: target?.locale ?? null, acceptLanguage: c.req.header('accept-language') ?? null, nonce, closedText }),
    linkStatus(reason),
    nonce,
  );
}

/** Hidden-question values carried in the link's query string (`?order=123`), for the page to post back. */
function hiddenValues(c: AppContext, target: { definition: Definition }) {
  const out: Record<string, string> = {};
  for (const q of target.definition.questions) {
    const v = q.type === 'hidden' ? c.req.query(q.id) : undefined;
    if (v !== undefined && v.length <= 200) out[q.id] = v;
  }
  return out;
}

function view(c: AppContext, target: Pick<SurveyTarget, 'definition' | 'defaultLocale' | 'look'>, locale: string, state: string, nonce: string, hidden?: Record<string, string>): PageView {
  return { definition: target.definition, defaultLocale: target.defaultLocale, locale, action: `/s/${c.req.param('token')}`, state, nonce, hiddenValues: hidden, look: target.look };
}

/** Whether page two still has something to ask: follow-ups exist for the category and the comment is still missing. */
function wantsFollowUp(target: { definition: Definition }, score: number, comment: string | null) {
  const category = categorize(score);
  if (followUps(target.definition, category).length === 0) return false;
  const primary = commentQuestion(target.definition);
  return !primary || !asked(primary, category) ? false : comment === null;
}

/**
 * The page while the database does not answer: friendly, localized, "try again in a minute"
 * (503 with Retry-After), or the JSON envelope for a JSON client.
 */
function busy(c: AppContext, asJson: boolean) {
  c.header('retry-after', String(STORAGE_RETRY_AFTER_SECONDS));
  if (asJson) return jsonError(c, 503, 'UNAVAILABLE', 'the survey cannot be reached right now; try again in a minute');
  const locale = stringsLocale(null, c.req.header('accept-language'));
  const s = STRINGS[locale]!;
  const nonce = nonceOf();
  return page(c, noticePage({ locale, nonce, title: s.busyTitle, text: s.busyBody }), 503, nonce);
}

/**
 * A page opened while the database does not answer: rendered from what the Worker already
 * knows (the link's claims and this isolate's cache of published versions), page one as for a
 * first visit; else the friendly "try again in a minute" page. Whether the link was answered
 * or has closed is not known: a submit is buffered and written (or refused) later.
 */
async function pageFromCache(c: AppContext, link: VerifiedLink, now: number) {
  const survey = surveyOf(link, null);
  if (!survey) return busy(c, false);
  const locale = chooseLocale(Object.keys(survey.definition.translations ?? {}), survey.defaultLocale, null, c.req.header('accept-language'));
  const nonce = nonceOf();
  const state = await pageState(c.get('config'), link, { surveyVersion: survey.version }, locale, now);
  const v = { definition: survey.definition, defaultLocale: survey.defaultLocale, locale, action: `/s/${c.req.param('token')}`, state, nonce, hiddenValues: hiddenValues(c, survey) };
  return page(c, scorePage(v), 200, nonce);
}

/** A page rendered from the database: its version is remembered for pages opened during an outage. */
function remember(link: VerifiedLink, target: SurveyTarget) {
  if (target.closed || !target.definition.questions.length) return;
  const survey: CachedSurvey = { surveyId: target.surveyId, version: target.surveyVersion, definition: target.definition, defaultLocale: target.defaultLocale };
  rememberSurvey(target.tenantId, survey, link.kind === 'touchpoint' ? link.claims.touchpointId : undefined);
}

async function showPage(c: AppContext) {
  const config = c.get('config');
  const checked = await verifyLink(config, c.req.param('token')!);
  if (!checked.ok) return linkFailure(c, checked.reason, false);
  const now = Date.now();
  let target: SurveyTarget | null;
  try {
    const { tenantId, databaseId } = checked.link.claims;
    const t = await bindRespondent(c, tenantId, databaseId);
    if (!t) return linkFailure(c, 'invalid', false);
    target = await loadTarget(t, checked.link, now);
    if (!target) {
      const moved = await rebindMoved(c, tenantId, databaseId);
      if (moved) target = await loadTarget(moved, checked.link, now);
    }
  } catch (err) {
    if (!cannotWriteNow(err)) throw err;
    return pageFromCache(c, checked.link, now);
  }
  if (!target) return linkFailure(c, 'invalid', false);
  remember(checked.link, target);
  const locale = chooseLocale(Object.keys(target.definition.translations ?? {}), target.defaultLocale, target.preferredLocale, c.req.header('accept-language'));
  const nonce = nonceOf();
  const existing = target.existing;
  if (existing && existing.score !== null) {
    const state = await pageState(config, checked.link, target, locale, now);
    const v = view(c, target, locale, state, nonce, hiddenValues(c, target));
    if (!target.closed && wantsFollowUp(target, existing.score, existing.comment)) {
      return page(c, followUpPage(v, { score: existing.score, category: categorize(existing.score), values: existing }), 200, nonce, target.look);
    }
    return page(c, thanksPage(v, existing.score), 200, nonce, target.look);
  }
  if (target.closed) return linkFailure(c, 'expired', false, { target, locale });
  const state = await pageState(config, checked.link, target, locale, now);
  // `?score=N` (a number of the email's scale): the page opens with that score chosen, and its script saves it on
  // landing (one click in the email). A link scanner that fetches the page without running scripts saves nothing.
  const chosen = /^(10|[0-9])$/.test(c.req.query('score') ?? '') ? Number(c.req.query('score')) : undefined;
  return page(c, scorePage(view(c, target, locale, state, nonce, hiddenValues(c, target)), { values: { score: chosen }, landed: chosen !== undefined }), 200, nonce, target.look);
}

type Fields = { get(name: string): string | undefined; getAll(name: string): string[] };

async function formFields(c: AppContext): Promise<Fields & { record: () => Record<string, string[]> }> {
  const body = await c.req.parseBody({ all: true });
  const list = (name: string) => {
    const v = body[name];
    return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');
  };
  // The question fields (`q.<id>`) as a plain record: what the buffer carries of a form (docs/outage.md).
  const record = () => Object.fromEntries(Object.keys(body).flatMap((name) => (name.startsWith('q.') ? [[name, list(name)]] : [])));
  return { get: (name) => list(name)[0], getAll: list, record };
}

const isJson = (type: string) => /^application\/([\w.+-]+\+)?json$/i.test(type);
const isForm = (type: string) => type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data';

async function submit(c: AppContext) {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const asJson = isJson(type);
  if (!asJson && !isForm(type)) {
    return jsonError(c, 415, 'UNSUPPORTED_MEDIA_TYPE', 'send the answer as JSON or as a form (application/x-www-form-urlencoded)');
  }
  const config = c.get('config');
  const checked = await verifyLink(config, c.req.param('token')!);
  if (!checked.ok) return linkFailure(c, checked.reason, asJson);

  let input: CaptureInput;
  let formIssue: Issue | null = null;
  if (asJson) {
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      return jsonError(c, 400, 'BAD_REQUEST', 'the body is not valid JSON');
    }
    const parsed = CaptureBody.safeParse(raw);
    if (!parsed.success) {
      const details = parsed.error.issues.map((i) => ({ path: ['body', ...i.path.map(String)].join('.'), message: i.message }));
      return jsonError(c, 400, 'VALIDATION_FAILED', 'the answer is not valid', details);
    }
    const b = parsed.data;
    // A JSON answer to an invitation gets no form state back (the invitation is the key): none is signed.
    input = { score: b.score, comment: b.comment, answers: b.answers, state: b.state, honeypot: !!b.website, enforceRequired: false, stateless: checked.link.kind === 'invitation' };
  } else {
    const fields = await formFields(c);
    const rawScore = fields.get('score');
    if (rawScore !== undefined && rawScore !== '' && !/^(10|[0-9])$/.test(rawScore)) formIssue = { path: 'score', message: 'an integer from 0 to 10' };
    const comment = fields.get('comment');
    if (comment !== undefined && comment.length > 2000) formIssue = { path: 'comment', message: 'at most 2000 characters' };
    input = {
      score: rawScore && !formIssue ? Number(rawScore) : undefined,
      comment,
      answers: (def) => answersFromForm(def, fields),
      form: fields.record,
      state: fields.get('state'),
      honeypot: !!fields.get('website'),
      enforceRequired: fields.get('step') === '2',
    };
  }

  const now = Date.now();
  const acceptLanguage = c.req.header('accept-language') ?? null;
  let outcome: CaptureOutcome;
  try {
    const { tenantId, databaseId } = checked.link.claims;
    let t = await bindRespondent(c, tenantId, databaseId);
    if (!t) return linkFailure(c, 'invalid', false);
    if (formIssue) {
      // A malformed form (a tampered score): the page again with the error, nothing stored.
      const target = await loadTarget(t, checked.link, now);
      if (!target) return linkFailure(c, 'invalid', false);
      const locale = chooseLocale(Object.keys(target.definition.translations ?? {}), target.defaultLocale, target.preferredLocale, c.req.header('accept-language'));
      const nonce = nonceOf();
      const state = await pageState(config, checked.link, target, locale, now);
      return page(c, scorePage(view(c, target, locale, state, nonce), { issues: [formIssue] }), 400, nonce, target.look);
    }
    const req = { config, env: c.env, ip: c.req.header('cf-connecting-ip') ?? '', acceptLanguage, now };
    outcome = await capture(checked.link, input, { ...req, t });
    if (outcome.kind === 'invalid-link' && (t = await rebindMoved(c, tenantId, databaseId))) outcome = await capture(checked.link, input, { ...req, t });
  } catch (err) {
    // The tenant's placement could not be read in time (or it is being moved): the answer goes to the buffer.
    if (formIssue || !cannotWriteNow(err)) throw err;
    const state = await verifyFormState(config, linkSubject(checked.link), input.state);
    outcome = await bufferAnswer(checked.link, input, { config, env: c.env, acceptLanguage, now, state, maybeWritten: false });
  }
  return asJson ? answerJson(c, outcome) : answerPage(c, outcome, input);
}

/** A buffered answer as JSON: 202, the score and category as given (the page's script reveals page two from them). */
const bufferedJson = (c: AppContext, o: BufferedOutcome) =>
  c.json({ responseId: null, status: 'accepted' as const, score: o.score, category: o.category, ...(o.state ? { state: o.state } : {}) }, 202);

/** A buffered answer's page: page two when the survey is at hand and still asks something, else the thank-you. */
function bufferedPage(c: AppContext, o: BufferedOutcome, input: CaptureInput, nonce: string) {
  const survey = o.survey;
  if (!survey) {
    const locale = stringsLocale(o.locale || null, c.req.header('accept-language'));
    const s = STRINGS[locale]!;
    return page(c, thanksNotice(locale, nonce, s.thanks, o.score === null ? null : s.yourScore.replace('{score}', String(o.score))), 200, nonce);
  }
  const v = { definition: survey.definition, defaultLocale: survey.defaultLocale, locale: o.locale, action: `/s/${c.req.param('token')}`, state: o.state, nonce };
  if (o.score !== null && o.category && !input.enforceRequired && o.state && wantsFollowUp(survey, o.score, input.comment?.trim() ? input.comment : null)) {
    return page(c, followUpPage(v, { score: o.score, category: o.category }), 200, nonce);
  }
  return page(c, thanksPage(v, o.score), 200, nonce);
}

function answerJson(c: AppContext, o: CaptureOutcome) {
  switch (o.kind) {
    case 'invalid-link':
      return linkFailure(c, 'invalid', true);
    case 'closed':
      return linkFailure(c, 'expired', true);
    case 'rate-limited':
      return jsonError(c, 429, 'RATE_LIMITED', 'too many answers from this address; try again later', undefined, { 'retry-after': String(Math.ceil(o.retryAfterMs / 1000)) });
    case 'needs-score':
      return jsonError(c, 422, 'UNPROCESSABLE', 'the first answer must give the score', [{ path: 'body.score', message: 'required on the first answer' }]);
    case 'invalid':
      return jsonError(
        c,
        400,
        'VALIDATION_FAILED',
        'the answer is not valid',
        o.issues.map((i) => ({ path: `body.${i.path}`, message: i.message })),
      );
    case 'saved':
      return c.json({ responseId: o.response.id, status: o.status, score: o.response.score, category: o.category, ...(o.target.invitationId ? {} : { state: o.state }) }, 200);
    case 'buffered':
      return bufferedJson(c, o);
  }
}

function answerPage(c: AppContext, o: CaptureOutcome, input: CaptureInput) {
  const nonce = nonceOf();
  switch (o.kind) {
    case 'invalid-link':
      return linkFailure(c, 'invalid', false);
    case 'closed':
      return linkFailure(c, 'expired', false, { target: o.target, locale: o.locale });
    case 'rate-limited': {
      const s = STRINGS[stringsLocale(null, c.req.header('accept-language'))]!;
      c.header('retry-after', String(Math.ceil(o.retryAfterMs / 1000)));
      return page(c, noticePage({ locale: stringsLocale(null, c.req.header('accept-language')), nonce, title: s.rateLimited, text: s.rateLimited }), 429, nonce);
    }
    case 'needs-score':
      return page(c, scorePage(view(c, o.target, o.locale, o.state, nonce), { issues: [{ path: 'score', message: 'required' }] }), 422, nonce, o.target.look);
    case 'invalid': {
      const status = o.issues.every((i) => i.message === 'required') ? 422 : 400;
      const v = view(c, o.target, o.locale, o.state, nonce);
      const values = { comment: input.comment ?? null, answers: typeof input.answers === 'function' ? input.answers(o.target.definition) : input.answers };
      if (o.existing?.score != null && o.category) return page(c, followUpPage(v, { score: o.existing.score, category: o.category, issues: o.issues, values }), status, nonce, o.target.look);
      return page(c, scorePage(v, { issues: o.issues, values: { ...values, score: input.score } }), status, nonce, o.target.look);
    }
    case 'saved': {
      const v = view(c, o.target, o.locale, o.state, nonce);
      // Page one's plain POST (no script) goes on to page two; page two (or the script's final submit) ends.
      if (!input.enforceRequired && wantsFollowUp(o.target, o.response.score, o.response.comment)) {
        return page(c, followUpPage(v, { score: o.response.score, category: o.category, values: o.response }), 200, nonce, o.target.look);
      }
      // Just answered: a detractor is told the first-contact target.
      return page(c, thanksPage(v, o.response.score, true), 200, nonce, o.target.look);
    }
    case 'buffered':
      return bufferedPage(c, o, input, nonce);
  }
}

/** Any failure of the page itself: a friendly page (or the JSON envelope), never a stack trace. */
async function guarded(c: AppContext, run: (c: AppContext) => Promise<Response>) {
  try {
    return await run(c);
  } catch (err) {
    const requestId = c.get('requestId');
    const asJson = isJson((c.req.header('content-type') ?? '').split(';')[0]!.trim());
    if (cannotWriteNow(err)) {
      console.error(JSON.stringify({ level: 'error', requestId, message: 'survey page: storage unavailable', cause: String(err) }));
      return busy(c, asJson);
    }
    console.error(JSON.stringify({ level: 'error', requestId, message: (err as Error).message, stack: (err as Error).stack }));
    if (asJson) return jsonError(c, 500, 'INTERNAL', 'an unexpected error occurred');
    const locale = stringsLocale(null, c.req.header('accept-language'));
    const s = STRINGS[locale]!;
    const nonce = nonceOf();
    return page(c, noticePage({ locale, nonce, title: s.failed, text: s.failed }), 500, nonce);
  }
}

/**
 * The hosted survey page: `GET /s/:token` renders it, `POST /s/:token` captures a form or
 * JSON submit. Public (the signed token is the credential, naming the tenant); CORS is open
 * without credentials so the widget can post from any host page.
 */
export const surveyPageRoutes = createRouter();
surveyPageRoutes.use('/s/*', openCors(['GET', 'POST'], ['content-type', 'accept']));
surveyPageRoutes.use(
  '/s/*',
  bodyLimit({
    maxSize: SURVEY_BODY_LIMIT,
    onError: (c: Context<AppEnv>) => jsonError(c, 413, 'PAYLOAD_TOO_LARGE', `the answer exceeds ${SURVEY_BODY_LIMIT} bytes`),
  }),
);
surveyPageRoutes.get('/s/:token', (c) => guarded(c, showPage));
surveyPageRoutes.post('/s/:token', (c) => guarded(c, submit));
