import { isStorageUnavailable } from '../db/client';
import type { Config, Env } from '../env';
import { ApiError } from '../lib/errors';
import { newId } from '../lib/ids';
import { categorize, type Category } from '../scoring/nps';
import { chooseLocale } from '../surveys/definition';
import { cachedSurvey, type CachedSurvey } from '../surveys/published-cache';
import type { CaptureInput } from './capture';
import { formNonce, signFormState, type FormState } from './form-state';
import { linkSubject, type VerifiedLink } from './target';

/*
 * The durable buffer of capture (docs/outage.md). When an answer cannot be written in time (the
 * database past its deadline, refusing, failing; a tenant being moved), the Worker puts the
 * verified link and the answer on the workflow queue and thanks the respondent as usual; the
 * consumer (src/responses/replay.ts) writes it later through the same idempotent capture.
 */

/** The answer as the respondent sent it, without the client address (only its keyed hashes travel). */
export interface BufferedAnswer {
  score?: number;
  comment?: string;
  /** A JSON submit's answers, or a form's read against the cached survey version. */
  answers?: Record<string, unknown>;
  /** A form's fields, when the survey version was not at hand to read them (`q.<id>` → values). */
  form?: Record<string, string[]>;
  state?: string;
  honeypot: boolean;
  stateless?: boolean;
}

/** The workflow message of a buffered answer. */
export interface ResponseBufferedMessage {
  type: 'response.buffered';
  idempotencyKey: string;
  tenantId: string;
  /** The link as verified when the answer came (its signature is not checked again: it may have expired since). */
  link: VerifiedLink;
  answer: BufferedAnswer;
  acceptLanguage: string | null;
  /** When the respondent answered (epoch ms): the answer's time, and the clock of its quality checks. */
  submittedAt: number;
  /** Anonymous links: the keyed hashes of the client address (rate limit, duplicate and bulk checks). */
  client?: { key: string; hash: string };
  /** Anonymous links: the page's nonce (or the one chosen for a submit without a page), the response's key. */
  nonce?: string;
  /** Invitation links: the keyed fingerprint of the respondent's network (src/auth/network.ts), null without one. */
  network?: string | null;
  /** The write was sent and did not answer in time: it may have landed, its follow-up not sent. */
  maybeWritten: boolean;
}

/** What capture answers when it buffered the answer: the page thanks (or asks page two's questions) as usual. */
export interface BufferedOutcome {
  kind: 'buffered';
  score: number | null;
  category: Category | null;
  locale: string;
  /** The next form state (empty for a JSON answer to an invitation, or when the version is unknown). */
  state: string;
  /** The survey version, when this isolate has it (src/surveys/published-cache.ts). */
  survey: CachedSurvey | null;
}

export interface BufferContext {
  config: Config;
  env: Env;
  acceptLanguage: string | null;
  now: number;
  /** The page's verified state, when capture got that far. */
  state: FormState | null;
  client?: { key: string; hash: string };
  nonce?: string;
  network?: string | null;
  maybeWritten: boolean;
}

/**
 * Whether a failure means the answer cannot be written now but can later: a storage call past
 * its deadline, refused or failing (src/db/client.ts), or the tenant's database answering 503
 * for a while (being upgraded, the tenant being moved: src/db/plane.ts).
 */
export const cannotWriteNow = (err: unknown) => isStorageUnavailable(err) || (err instanceof ApiError && err.code === 'UNAVAILABLE');

/** A form's fields, carried as a plain record, as the reader of a form's answers takes them. */
export const formFieldsOf = (form: Record<string, string[]>) => ({ get: (name: string) => form[name]?.[0], getAll: (name: string) => form[name] ?? [] });

/** The survey version a link's page shows, if this isolate has it. */
export function surveyOf(link: VerifiedLink, state: FormState | null): CachedSurvey | undefined {
  const tenantId = link.claims.tenantId;
  if (link.kind === 'invitation') return cachedSurvey(tenantId, link.claims);
  return cachedSurvey(tenantId, { touchpointId: link.claims.touchpointId, surveyVersion: state?.v });
}

/**
 * Puts an answer that could not be written on the workflow queue and returns what the page
 * shows. Throws (the caller answers 503, "try again in a minute") only when the queue itself
 * refuses it: then nothing was accepted.
 */
export async function bufferAnswer(link: VerifiedLink, input: CaptureInput, cx: BufferContext): Promise<BufferedOutcome> {
  const { config, state } = cx;
  const survey = surveyOf(link, state) ?? null;
  const answers = typeof input.answers === 'function' ? (survey ? input.answers(survey.definition) : undefined) : input.answers;
  const anonymous = link.kind === 'touchpoint';
  const nonce = anonymous ? (cx.nonce ?? state?.n ?? formNonce()) : undefined;
  const message: ResponseBufferedMessage = {
    type: 'response.buffered',
    idempotencyKey: `response.buffered:${newId('buf')}`,
    tenantId: link.claims.tenantId,
    link,
    answer: {
      ...(input.score === undefined ? {} : { score: input.score }),
      ...(input.comment === undefined ? {} : { comment: input.comment }),
      ...(answers ? { answers } : input.form ? { form: input.form() } : {}),
      ...(input.state ? { state: input.state } : {}),
      honeypot: input.honeypot,
      ...(input.stateless ? { stateless: true } : {}),
    },
    acceptLanguage: cx.acceptLanguage,
    submittedAt: cx.now,
    ...(cx.client ? { client: cx.client } : {}),
    ...(nonce ? { nonce } : {}),
    ...(cx.network ? { network: cx.network } : {}),
    maybeWritten: cx.maybeWritten,
  };
  if (!cx.env.WORKFLOW_QUEUE) throw new Error('WORKFLOW_QUEUE is not bound: the answer cannot be buffered');
  await cx.env.WORKFLOW_QUEUE.send(message);
  console.warn(
    JSON.stringify({ level: 'warn', message: 'answer buffered: the database did not take it in time', tenantId: message.tenantId, key: message.idempotencyKey, maybeWritten: cx.maybeWritten }),
  );

  const locale = state?.l ?? (survey ? chooseLocale(Object.keys(survey.definition.translations ?? {}), survey.defaultLocale, null, cx.acceptLanguage) : '');
  const version = state?.v ?? survey?.version ?? (link.kind === 'invitation' ? link.claims.surveyVersion : undefined);
  // The state handed back: an anonymous page keeps its nonce, so the answer's later parts meet it.
  const next = input.stateless || version === undefined ? '' : await signFormState(config, linkSubject(link), { t: state?.t ?? cx.now, v: version, l: locale || 'en', ...(nonce ? { n: nonce } : {}) });
  const score = input.score ?? null;
  return { kind: 'buffered', score, category: score === null ? null : categorize(score), locale, state: next, survey };
}
