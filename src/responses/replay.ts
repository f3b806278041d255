import { z } from 'zod';
import { opensCase } from '../cases/follow-up';
import { dataPlane } from '../db/plane';
import { TenantDb } from '../db/tenant-db';
import { loadConfig, type Env } from '../env';
import type { JobMessage } from '../jobs/queue';
import { categorize } from '../scoring/nps';
import type { Definition } from '../surveys/definition';
import { answersFromForm } from './answers';
import { formFieldsOf, type ResponseBufferedMessage } from './buffer';
import { capture, capturedMessage, enqueueCaptured, type CaptureInput, type CaptureOutcome } from './capture';

const Answer = z.object({
  score: z.number().int().min(0).max(10).optional(),
  comment: z.string().max(2000).optional(),
  answers: z.record(z.string(), z.unknown()).optional(),
  form: z.record(z.string(), z.array(z.string())).optional(),
  state: z.string().max(1000).optional(),
  honeypot: z.boolean(),
  stateless: z.boolean().optional(),
});

const Link = z.union([
  z.object({ kind: z.literal('invitation'), claims: z.object({ tenantId: z.string(), invitationId: z.string(), surveyVersion: z.number().int(), surveyId: z.string().optional() }) }),
  z.object({
    kind: z.literal('touchpoint'),
    claims: z.object({ tenantId: z.string(), touchpointId: z.string(), unitId: z.string() }),
    linkId: z.string(),
    expiresAt: z.number(),
  }),
]);

const Message = z.object({
  type: z.literal('response.buffered'),
  idempotencyKey: z.string().min(1),
  tenantId: z.string().min(1),
  link: Link,
  answer: Answer,
  acceptLanguage: z.string().nullable(),
  submittedAt: z.number().int(),
  client: z.object({ key: z.string(), hash: z.string() }).optional(),
  nonce: z.string().optional(),
  network: z.string().nullable().optional(),
  maybeWritten: z.boolean(),
});

/** A buffered answer that waits for another one (its score): retried with the queue's backoff. */
export class NotYet extends Error {}

const log = (level: 'warn' | 'error', message: string, m: ResponseBufferedMessage, extra: Record<string, unknown> = {}) =>
  console[level](JSON.stringify({ level, message, tenantId: m.tenantId, key: m.idempotencyKey, link: m.link.kind, submittedAt: m.submittedAt, ...extra }));

/**
 * Consumer of `response.buffered` (workflow queue, docs/outage.md): writes an answer the Worker
 * could not write in time, through the same idempotent capture (one response per invitation or
 * anonymous page; a later submit merges as any other), at the time it was given. Then its
 * follow-up as for any answer: capture enqueues `response.captured` for a new response; when
 * the first try's write may have landed after all (`maybeWritten`), the follow-up is enqueued
 * here too (it opens a case once, whoever asks). A storage failure throws: the queue retries
 * with backoff, then dead-letters. An answer without a score whose score has not been written
 * yet waits the same way. What can never be written (a link no longer valid, closed before the
 * answer came, an address past its rate limit) is logged and acknowledged.
 */
export async function handleResponseBuffered(message: JobMessage, env: Env): Promise<void> {
  const m = Message.parse(message) as ResponseBufferedMessage;
  const config = loadConfig(env);
  const db = await dataPlane(config).forTenant(m.tenantId, { write: true, job: true });
  if (!db) return log('error', 'buffered answer dropped: the tenant no longer exists', m);
  const t = new TenantDb(db, m.tenantId);
  const { answer } = m;
  // Issues found in a first try (a tampered form or JSON): what is valid is written, the rest dropped and logged.
  const dropped = new Set<string>();
  const keep = (answers: Record<string, unknown>) => Object.fromEntries(Object.entries(answers).filter(([id]) => !dropped.has(`answers.${id}`)));
  const input = (): CaptureInput => ({
    score: answer.score,
    comment: dropped.has('comment') ? undefined : answer.comment,
    answers: answer.form ? (def: Definition) => keep(answersFromForm(def, formFieldsOf(answer.form!))) : answer.answers && keep(answer.answers),
    state: answer.state,
    honeypot: answer.honeypot,
    // Required questions are the page's to ask; what the respondent gave is kept.
    enforceRequired: false,
    stateless: true,
  });
  const run = () =>
    capture(m.link, input(), { t, config, env, ip: '', acceptLanguage: m.acceptLanguage, now: m.submittedAt, replay: { client: m.client, nonce: m.nonce, network: m.network ?? null } });

  let outcome: CaptureOutcome = await run();
  if (outcome.kind === 'invalid') {
    for (const issue of outcome.issues) dropped.add(issue.path);
    log('warn', 'buffered answer: invalid parts dropped', m, { dropped: [...dropped] });
    outcome = await run();
  }
  switch (outcome.kind) {
    case 'saved': {
      if (!m.maybeWritten || outcome.status === 'recorded') return;
      // The first try's write may have landed without its follow-up: ask for it (it is idempotent).
      const { target, response } = outcome;
      const couldOpenCase = opensCase({ score: response.score, counted: true }, target.followUp.includePassives);
      if (couldOpenCase || target.followUp.webhooks) await enqueueCaptured(env, capturedMessage(m.tenantId, response.id, couldOpenCase ? target.unitPath : undefined));
      return;
    }
    case 'needs-score':
      throw new NotYet(`buffered answer ${m.idempotencyKey} has no score and none is stored yet: retried until the answer with the score is written`);
    case 'invalid':
      return log('error', 'buffered answer dropped: still invalid without its invalid parts', m, { issues: outcome.issues });
    case 'invalid-link':
    case 'closed':
    case 'rate-limited':
      // What the respondent would have been told at once had the database answered (404, 410, 429).
      return log('error', `buffered answer dropped: ${outcome.kind}`, m, { score: answer.score ?? null, category: answer.score === undefined ? null : categorize(answer.score) });
    case 'buffered':
      throw new Error('a replayed answer is never buffered again');
  }
}
