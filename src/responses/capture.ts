import { and, eq, sql, type SQL } from 'drizzle-orm';
import { responses } from '../db/schema';
import type { TenantDb, TenantInsert } from '../db/tenant-db';
import type { Config, Env } from '../env';
import { newId } from '../lib/ids';
import { tenantStatement } from '../db/prepared';
import { opensCase } from '../cases/follow-up';
import { categorize, type Category } from '../scoring/nps';
import { chooseLocale, type Definition } from '../surveys/definition';
import { checkAnswers, type Issue } from './answers';
import { moving } from '../db/plane';
import { firstAnswerRowOf, insertFirstAnswer, localeValues, type FirstAnswerRow } from './first-answer';
import { cachedSurvey, rememberSurvey } from '../surveys/published-cache';
import { bufferAnswer, cannotWriteNow, type BufferContext, type BufferedOutcome } from './buffer';
import { countHit } from '../auth/rate-limit';
import { formNonce, signFormState, verifyFormState, type FormState } from './form-state';
import { networkHash } from '../auth/network';
import { addressKey, clientHash, QUALITY, qualityFlags, type AnonymousSignals, type QualityFlag } from './quality';
import {
  anonymousResponseQuery,
  followUpOf,
  respondentLook,
  invitationTarget,
  invitationSubmitTarget,
  linkSubject,
  touchpointTarget,
  touchpointTargetQuery,
  type StoredResponse,
  type SurveyTarget,
  type VerifiedLink,
} from './target';

/** A submit as the page's form or a JSON client sent it, already shape-checked. */
export interface CaptureInput {
  /** An integer 0..10 when given. */
  score?: number;
  comment?: string;
  /** By question id; a form's fields are read once the survey version is known. */
  answers?: Record<string, unknown> | ((definition: Definition) => Record<string, unknown>);
  /** The signed form state the page or widget was given. */
  state?: string;
  /** The hidden honeypot field was filled. */
  honeypot: boolean;
  /** The page's final submit: required follow-up questions must be answered. */
  enforceRequired: boolean;
  /** The caller shows no next form state (a JSON answer to an invitation): none is signed. */
  stateless?: boolean;
  /** A form's question fields, read only by the buffer when the survey version is not at hand to read `answers` (docs/outage.md). */
  form?: () => Record<string, string[]>;
}

export interface CaptureRequest {
  /** The handle of the link's tenant (bindTenant). */
  t: TenantDb;
  config: Config;
  env: Env;
  /** The client address (`cf-connecting-ip`): anonymous links' rate limit and rules key on its hash. */
  ip: string;
  acceptLanguage: string | null;
  now: number;
  /**
   * A buffered answer written later (src/responses/replay.ts): the keyed hashes of the client
   * address and the nonce chosen when it came, and `now` is when it came. Storage failures then
   * throw (the queue retries the message) instead of buffering again.
   */
  replay?: { client?: { key: string; hash: string }; nonce?: string; network?: string | null };
}

/** Whether the submit changed the response: created it, added to it, or changed nothing. */
export type CaptureStatus = 'recorded' | 'updated' | 'unchanged';

export type CaptureOutcome =
  | { kind: 'invalid-link' }
  | { kind: 'closed'; target: SurveyTarget; locale: string }
  | { kind: 'rate-limited'; retryAfterMs: number }
  | { kind: 'needs-score'; target: SurveyTarget; locale: string; state: string }
  | { kind: 'invalid'; issues: Issue[]; target: SurveyTarget; locale: string; state: string; category: Category | null; existing: StoredResponse | null }
  | { kind: 'saved'; status: CaptureStatus; response: StoredResponse & { score: number }; category: Category; target: AnsweredTarget; locale: string; state: string }
  | BufferedOutcome;

/** What an answer's outcome tells of its target: the page shown next, and the follow-up it asks for. */
export type AnsweredTarget = Pick<SurveyTarget, 'tenantId' | 'invitationId' | 'surveyId' | 'surveyVersion' | 'definition' | 'defaultLocale' | 'look' | 'followUp' | 'unitPath'>;

/** The workflow message of a captured answer; the follow-up (cases, alerts) consumes it. */
export interface ResponseCapturedMessage {
  type: 'response.captured';
  tenantId: string;
  responseId: string;
  idempotencyKey: string;
  /** The answer's unit path, when a case is expected: the follow-up reads the unit's chain with the answer. */
  unitPath?: string;
}

export const capturedMessage = (tenantId: string, responseId: string, unitPath?: string): ResponseCapturedMessage => ({
  type: 'response.captured',
  tenantId,
  responseId,
  idempotencyKey: `response.captured:${responseId}`,
  ...(unitPath ? { unitPath } : {}),
});

/** A comment that came after its answer's follow-up: the workflow analyses it (docs/themes.md). */
export interface CommentMessage {
  type: 'comment.analyse';
  tenantId: string;
  responseId: string;
  idempotencyKey: string;
}

export const commentMessage = (tenantId: string, responseId: string): CommentMessage => ({
  type: 'comment.analyse',
  tenantId,
  responseId,
  idempotencyKey: `comment.analyse:${responseId}`,
});

/** What an anonymous submit knows about itself: the client's hash, its page's nonce, and the signals of its flags. */
interface AnonymousAnswer {
  hash: string;
  /** The address's rate-limit key (a keyed hash). */
  key: string;
  nonce: string;
  stale: boolean;
  signals: AnonymousSignals;
}

const RETURNING = { id: responses.id, score: responses.score, comment: responses.comment, answers: responses.answers };

const p = sql.placeholder;

/**
 * A first answer's write: insert, or merge into the row a concurrent first submit of the same
 * invitation (or anonymous page) inserted (only what it adds). Built once per isolate:
 * src/db/prepared.ts; the handle adds the tenant (a placeholder bound per call). Placeholders
 * stand for the values, which the handle's row type does not name: hence the cast.
 */
const answerValues = {
  id: p('id'),
  invitationId: p('invitationId'),
  touchpointId: p('touchpointId'),
  unitId: p('unitId'),
  contactId: p('contactId'),
  surveyId: p('surveyId'),
  surveyVersion: p('surveyVersion'),
  channel: p('channel'),
  locale: p('locale'),
  score: p('score'),
  comment: p('comment'),
  answers: p('answers'),
  qualityFlags: p('qualityFlags'),
  counted: p('counted'),
  clientHash: p('clientHash'),
  networkHash: p('networkHash'),
  formNonce: p('formNonce'),
  eventId: p('eventId'),
  segment: p('segment'),
  lifetimeValue: p('lifetimeValue'),
  tenureMonths: p('tenureMonths'),
  contractSize: p('contractSize'),
  supportTier: p('supportTier'),
  vendorId: p('vendorId'),
  agentId: p('agentId'),
  answeredAt: p('answeredAt'),
  createdAt: p('createdAt'),
  updatedAt: p('updatedAt'),
} as unknown as TenantInsert<typeof responses>;

/** What a merge into the winner's row sets: the comment if none yet, the answers not given yet; only when it adds something. */
const mergeExcluded = () => ({
  set: { comment: sql`coalesce(${responses.comment}, excluded.comment)`, answers: sql`json_patch(excluded.answers, ${responses.answers})`, updatedAt: sql`excluded.updated_at` },
  setWhere: addsSomething(sql`excluded.comment`, sql`excluded.answers`),
});

const insertAnswer = tenantStatement((t) =>
  t
    .insert(responses)
    .values(answerValues)
    .onConflictDoUpdate({ target: [responses.tenantId, responses.invitationId], ...mergeExcluded() })
    .returning(RETURNING)
    .prepare(),
);

/** An anonymous first answer: one page's state (its nonce) makes one response, concurrent posts of it included. */
const insertAnonymousAnswer = tenantStatement((t) =>
  t
    .insert(responses)
    .values(answerValues)
    .onConflictDoUpdate({ target: [responses.tenantId, responses.formNonce], targetWhere: sql`form_nonce is not null`, ...mergeExcluded() })
    .returning(RETURNING)
    .prepare(),
);

/**
 * Whether a merge of `comment` and `answers` into the stored row adds anything: the comment
 * fills an empty one, or an answer names a question not answered yet. `comment` and
 * `answers` are SQL (the upsert's `excluded` row or bound values).
 */
const addsSomething = (comment: SQL, answers: SQL) =>
  sql`((${responses.comment} is null and ${comment} is not null) or exists (select 1 from json_each(${answers}) as e where json_type(${responses.answers}, '$.' || e.key) is null))`;

/**
 * A storage call of capture failed: past its deadline, refused or failing (or the tenant's
 * database answering 503 for a while), the answer goes to the buffer (docs/outage.md); anything
 * else, or a failure of the buffer's own replay (the queue retries it), is thrown. Only ever
 * called on a failure: capture's healthy path does no work for the buffer.
 */
function buffer(err: unknown, link: VerifiedLink, input: CaptureInput, req: CaptureRequest, state: FormState | null, cx: Pick<BufferContext, 'client' | 'nonce' | 'maybeWritten' | 'network'>) {
  if (req.replay || !cannotWriteNow(err)) throw err;
  return bufferAnswer(link, input, { config: req.config, env: req.env, acceptLanguage: req.acceptLanguage, now: req.now, state, ...cx });
}

/**
 * An invitation answer's network fingerprint (src/auth/network.ts; docs/integrity.md): from the
 * client's address, or, for a buffered answer written later, the one computed when it came.
 */
const respondentNetwork = (link: VerifiedLink, req: CaptureRequest): Promise<string | null> =>
  link.kind !== 'invitation' ? Promise.resolve(null) : req.replay ? Promise.resolve(req.replay.network ?? null) : networkHash(req.config, link.claims.tenantId, req.ip);

/** What the buffer carries of an anonymous answer: the address's keyed hashes and the page's nonce. */
const clientOf = (a: AnonymousAnswer | null) => (a ? { client: { key: a.key, hash: a.hash }, nonce: a.nonce } : {});

/** The locale the response is in: the one the page showed (from its state) if the survey has it, else chosen afresh. */
function localeOf(target: SurveyTarget, state: FormState | null, acceptLanguage: string | null) {
  const available = Object.keys(target.definition.translations ?? {});
  if (state && available.includes(state.l)) return state.l;
  return chooseLocale(available, target.defaultLocale, target.preferredLocale, acceptLanguage);
}

/**
 * Captures one submit of a survey link: one response per invitation, idempotent, the first
 * score standing; later submits add the comment and answers not given yet. Two database round
 * trips: one reads the link's target with what the quality flags need (for an invitation one
 * statement; for an anonymous link a batch that also counts the client address and finds the
 * response its page's state already made), one writes
 * (one statement: the response, and by trigger its invitation's status). The first score of a
 * response is enqueued on the workflow queue once, when the row is created, if it has a
 * follow-up: it opens a case, or a webhook wants `response.created`.
 */
export async function capture(link: VerifiedLink, input: CaptureInput, req: CaptureRequest): Promise<CaptureOutcome> {
  const { t, config, now } = req;
  const tenantId = link.claims.tenantId;
  const subject = linkSubject(link);
  const [state, network] = await Promise.all([verifyFormState(config, subject, input.state), respondentNetwork(link, req)]);

  // The first answer to an invitation whose survey version this isolate holds: one round trip.
  if (link.kind === 'invitation' && !req.replay) {
    const first = await captureFirst(link, input, req, state, network);
    if (first) return first;
  }

  // Round trip 1: the target with what the flags need (for an anonymous link, also the hit on the address's rate limit).
  let target: SurveyTarget | null;
  let existing: StoredResponse | null;
  let anonymous: AnonymousAnswer | null = null;
  if (link.kind === 'invitation') {
    // One statement, not a batch: no transaction around a read.
    const { invitationId, surveyVersion } = link.claims;
    let rows: Awaited<ReturnType<typeof invitationSubmitTarget>>;
    try {
      rows = await invitationSubmitTarget(t, { invitationId, surveyVersion });
    } catch (err) {
      return buffer(err, link, input, req, state, { network, maybeWritten: false });
    }
    target = invitationTarget(link.claims, rows, now, req.replay !== undefined);
    existing = target?.existing ?? null;
    // The next first answer of this version in this isolate takes one round trip.
    if (target && !target.closed) rememberSurvey(tenantId, { surveyId: target.surveyId, version: target.surveyVersion, definition: target.definition, defaultLocale: target.defaultLocale });
  } else {
    const [key, hash] = req.replay?.client ? [req.replay.client.key, req.replay.client.hash] : await Promise.all([addressKey(config, req.ip), clientHash(config, tenantId, req.ip)]);
    let read: [{ count: number; windowStart: number }[], Awaited<ReturnType<typeof touchpointTargetQuery>>, Awaited<ReturnType<typeof anonymousResponseQuery>>];
    try {
      read = await t.batch([countHit(t, key, now, QUALITY.anonymousWindowMs), touchpointTargetQuery(t, link, state?.v, { hash, now }), anonymousResponseQuery(t, link, state)]);
    } catch (err) {
      return buffer(err, link, input, req, state, { client: { key, hash }, maybeWritten: false });
    }
    const [[hit], rows, continued] = read;
    if (hit && hit.count > QUALITY.anonymousPerAddress) return { kind: 'rate-limited', retryAfterMs: Math.max(1000, hit.windowStart + QUALITY.anonymousWindowMs - now) };
    target = touchpointTarget(link, rows);
    const row = continued[0];
    existing = row ? { id: row.id, score: row.score, comment: row.comment, answers: row.answers ?? {} } : null;
    anonymous = {
      hash,
      key,
      // A submit without a page's state (uncounted: too fast) gets a nonce of its own (a replay: the one chosen when it came).
      nonce: req.replay?.nonce ?? state?.n ?? formNonce(),
      // A state older than a day no longer adds to its response.
      stale: state !== null && now - state.t >= QUALITY.duplicateWindowMs,
      signals: { elapsedMs: state ? now - state.t : null, sameTouchpoint: rows[0]?.sameTouchpoint ?? 0, recentFromClient: rows[0]?.recentFromClient ?? 0 },
    };
  }
  if (!target) return { kind: 'invalid-link' };
  // The tenant is being moved or deleted (its database says so): nothing is written here now.
  if (target.writesPaused) return buffer(moving(), link, input, req, state, { ...clientOf(anonymous), network, maybeWritten: false });
  const locale = localeOf(target, state, req.acceptLanguage);
  // The state handed back: the render time and version of the page, the response once there is one.
  const nextState = async (responseId?: string) =>
    input.stateless
      ? ''
      : signFormState(config, subject, {
          t: state?.t ?? now,
          v: target.surveyVersion,
          l: locale,
          // An anonymous page keeps its nonce (one page, one answer); a submit without one gets one now.
          ...(anonymous ? { n: anonymous.nonce, ...(responseId ? { r: responseId } : {}) } : {}),
        });
  if (target.closed) return { kind: 'closed', target, locale };

  const score = existing?.score ?? input.score;
  if (score === undefined || score === null) return { kind: 'needs-score', target, locale, state: await nextState() };
  const category = categorize(score);
  const answers = typeof input.answers === 'function' ? input.answers(target.definition) : input.answers;
  const checked = checkAnswers(target.definition, category, { comment: input.comment, answers }, { enforceRequired: input.enforceRequired, already: existing ?? undefined });
  if (checked.issues.length) return { kind: 'invalid', issues: checked.issues, target, locale, state: await nextState(existing?.id), category: existing ? category : null, existing };
  const answersJson = JSON.stringify(checked.answers);
  const adds = checked.comment !== null || Object.keys(checked.answers).length > 0;

  const saved = async (status: CaptureStatus, row: StoredResponse) =>
    ({ kind: 'saved', status, response: { ...row, score: row.score ?? score }, category: categorize(row.score ?? score), target, locale, state: await nextState(row.id) }) as const;

  // A response exists: merge what this submit adds (a different score is ignored: the first stands).
  if (existing) {
    if (!adds || anonymous?.stale) return saved('unchanged', existing);
    let row: StoredResponse | undefined;
    try {
      [row] = await t
        .update(responses)
        .set({ comment: sql`coalesce(${responses.comment}, ${checked.comment})`, answers: sql`json_patch(${answersJson}, ${responses.answers})`, updatedAt: now })
        .where(and(eq(responses.id, existing.id), addsSomething(sql`${checked.comment}`, sql`${answersJson}`)))
        .returning(RETURNING);
    } catch (err) {
      return buffer(err, link, input, req, state, { ...clientOf(anonymous), network, maybeWritten: true });
    }
    // A comment after the score: analysed by the workflow (the answer's follow-up may have run).
    if (row && !existing.comment && row.comment) await enqueueCaptured(req.env, commentMessage(tenantId, row.id));
    return saved(row ? 'updated' : 'unchanged', row ?? existing);
  }

  // The first answer: flags, then insert (for an invitation: insert or merge, atomically).
  const flags: QualityFlag[] = qualityFlags({ honeypot: input.honeypot, anonymous: anonymous?.signals ?? null, contact: target.contact });
  const id = newId('rsp');
  const values = {
    id,
    invitationId: target.invitationId,
    touchpointId: target.touchpointId,
    unitId: target.unitId,
    contactId: target.contactId,
    surveyId: target.surveyId,
    surveyVersion: target.surveyVersion,
    channel: target.channel,
    locale,
    score,
    comment: checked.comment,
    answers: checked.answers,
    qualityFlags: flags,
    counted: flags.length === 0,
    clientHash: anonymous?.hash ?? null,
    networkHash: network,
    formNonce: anonymous?.nonce ?? null,
    eventId: target.eventId,
    segment: target.segment,
    lifetimeValue: target.lifetimeValue,
    tenureMonths: target.tenureMonths,
    contractSize: target.contractSize,
    supportTier: target.supportTier,
    vendorId: target.vendorId,
    agentId: target.agentId,
    answeredAt: now,
    createdAt: now,
    updatedAt: now,
  };
  // Concurrent first submits of one token (or of one anonymous page's state): the unique
  // (tenant, invitation) or (tenant, form nonce) index lets one insert win; the others merge into
  // its row, or change nothing (no row returned). The insert marks the invitation answered
  // (trigger responses_answer_invitation, migration 0011).
  let row: StoredResponse | undefined;
  try {
    [row] = anonymous ? await insertAnonymousAnswer(t, values) : await insertAnswer(t, values);
    if (!row) {
      // Lost the race and added nothing: the winner's row, read back (the rare third trip).
      const winnerOf = anonymous ? eq(responses.formNonce, anonymous.nonce) : eq(responses.invitationId, target.invitationId!);
      const [winner] = await t.select(RETURNING).from(responses).where(winnerOf);
      return saved('unchanged', winner!);
    }
  } catch (err) {
    return buffer(err, link, input, req, state, { ...clientOf(anonymous), network, maybeWritten: true });
  }
  if (row.id !== id) {
    if (checked.comment !== null) await enqueueCaptured(req.env, commentMessage(tenantId, row.id));
    return saved('updated', row);
  }
  // The follow-up opens a case, tells webhooks or analyses the comment; an answer that needs none of these is not enqueued.
  const expectsCase = opensCase({ score, counted: values.counted }, target.followUp.includePassives);
  if (expectsCase || target.followUp.webhooks || checked.comment !== null) await enqueueCaptured(req.env, capturedMessage(tenantId, id, expectsCase ? target.unitPath : undefined));
  return saved('recorded', row);
}

/**
 * The first answer to an invitation in one statement (src/responses/first-answer.ts), when the
 * isolate holds the link's survey version and the answer is complete and valid on its own; null
 * sends the submit down the two-trip path (no version at hand, no score, an issue to report, or
 * no row written: answered already, closed, unknown, paused), which tells those cases apart.
 */
async function captureFirst(
  link: Extract<VerifiedLink, { kind: 'invitation' }>,
  input: CaptureInput,
  req: CaptureRequest,
  state: FormState | null,
  network: string | null,
): Promise<CaptureOutcome | null> {
  const { t, config, now } = req;
  const { claims } = link;
  const survey = cachedSurvey(claims.tenantId, claims);
  if (!survey || input.score === undefined || input.score === null) return null;
  const score = input.score;
  const category = categorize(score);
  const answers = typeof input.answers === 'function' ? input.answers(survey.definition) : input.answers;
  const checked = checkAnswers(survey.definition, category, { comment: input.comment, answers }, { enforceRequired: input.enforceRequired });
  if (checked.issues.length) return null;
  const id = newId('rsp');
  let row: FirstAnswerRow | undefined;
  try {
    row = firstAnswerRowOf(
      await insertFirstAnswer(t, {
        id,
        invitationId: claims.invitationId,
        surveyId: survey.surveyId,
        surveyVersion: survey.version,
        score,
        comment: checked.comment,
        answers: JSON.stringify(checked.answers),
        honeypot: input.honeypot ? 1 : 0,
        network,
        now,
        // A JSON answer shows no page: the tenant's settings (its look) are not read.
        page: input.stateless ? 0 : 1,
        ...localeValues(survey, state?.l, req.acceptLanguage),
      }),
    );
  } catch (err) {
    return buffer(err, link, input, req, state, { network, maybeWritten: true });
  }
  if (!row) return null;
  const rules: unknown = row.rules === null ? null : JSON.parse(row.rules);
  const target: AnsweredTarget = {
    tenantId: claims.tenantId,
    invitationId: claims.invitationId,
    surveyId: survey.surveyId,
    surveyVersion: survey.version,
    unitPath: row.unit_path,
    definition: survey.definition,
    defaultLocale: survey.defaultLocale,
    followUp: followUpOf(rules, row.hooked),
    // Read by a page only (its branding and promise): a JSON answer never parses the settings.
    get look() {
      return respondentLook(row.settings, rules);
    },
  };

  const counted = row.counted === 1;
  const expectsCase = opensCase({ score, counted }, target.followUp.includePassives);
  if (expectsCase || target.followUp.webhooks || checked.comment !== null) await enqueueCaptured(req.env, capturedMessage(claims.tenantId, id, expectsCase ? target.unitPath : undefined));
  const response = { id, score, comment: checked.comment, answers: checked.answers };
  const nextState = input.stateless ? '' : await signFormState(config, linkSubject(link), { t: state?.t ?? now, v: survey.version, l: row.locale });
  return { kind: 'saved', status: 'recorded', response, category, target, locale: row.locale, state: nextState };
}

/**
 * Hands an answer to the workflow queue (a new one, or one an admin included later). Awaited
 * so a send failure is seen; the answer is already stored, so a failure is logged, not
 * answered as an error (the respondent's answer counts either way; a sweep for answers without
 * follow-up belongs to the follow-up issue).
 */
export async function enqueueCaptured(env: Env, message: ResponseCapturedMessage | CommentMessage) {
  try {
    if (!env.WORKFLOW_QUEUE) throw new Error('WORKFLOW_QUEUE is not bound');
    await env.WORKFLOW_QUEUE.send(message);
  } catch (err) {
    console.error(JSON.stringify({ level: 'error', message: 'response.captured not enqueued', tenantId: message.tenantId, responseId: message.responseId, error: String(err) }));
  }
}
