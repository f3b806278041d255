import { hex } from '../lib/ids';
import { outboundPost, type OutboundPolicy } from '../lib/outbound';
import type { Settings } from '../settings/settings';

/** The outcome of one try: sent, or failed either for good or for now (retry with backoff). */
export type SendResult = { outcome: 'sent'; statusCode: number | null } | { outcome: 'failed'; retryable: boolean; statusCode: number | null; error: string };

/** A provider that has not answered by then is treated as down (retried). */
const TIMEOUT_MS = 10_000;

export const sent = (statusCode: number | null = null): SendResult => ({ outcome: 'sent', statusCode });
export const permanentFailure = (error: string): SendResult => ({ outcome: 'failed', retryable: false, statusCode: null, error });

const trimSlash = (url: string) => url.replace(/\/+$/, '');
const encoder = new TextEncoder();

/**
 * POSTs to a provider through the one outbound path (src/lib/outbound.ts: internal addresses
 * refused, redirects not followed). 2xx is sent; no answer, a timeout, 408, 429 and 5xx are worth
 * retrying; a refused address, a redirect and any other status are permanent. The provider's
 * answer body is not kept: only its status.
 */
async function post(policy: OutboundPolicy, url: string, headers: Record<string, string>, body: string): Promise<SendResult> {
  const res = await outboundPost(url, { headers, body, timeoutMs: TIMEOUT_MS }, policy);
  if (res.kind === 'refused') return permanentFailure(res.error);
  if (res.kind === 'unreachable') return { outcome: 'failed', retryable: true, statusCode: null, error: res.error };
  if (res.ok) return sent(res.status);
  const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
  return { outcome: 'failed', retryable, statusCode: res.status, error: res.error ?? `HTTP ${res.status}` };
}

/** A header value without line breaks: CR and LF never reach a mail header (a subject, a sender's name). */
const headerText = (value: string) => value.replace(/[\r\n]+/g, ' ').trim();
const hasLineBreak = (value: string) => /[\r\n]/.test(value);

/** HTTP JSON mail API: `POST {baseUrl}/messages` with a Bearer key. */
export async function sendEmail(
  policy: OutboundPolicy,
  provider: NonNullable<Settings['email']>,
  m: { to: string; subject: string; text: string; html: string; invitationId: string; idempotencyKey: string; fromName?: string },
): Promise<SendResult> {
  // The tenant's sender name (validated: no quotes, angle brackets or line breaks) as the display name.
  const from = m.fromName ? `"${headerText(m.fromName)}" <${provider.from}>` : provider.from;
  // An address with a line break is not an address; a subject with one loses it (header injection).
  if (hasLineBreak(m.to) || hasLineBreak(provider.from)) return permanentFailure('a mail address contains a line break');
  return post(
    policy,
    `${trimSlash(provider.baseUrl)}/messages`,
    { authorization: `Bearer ${provider.apiKey}`, 'content-type': 'application/json', 'idempotency-key': m.idempotencyKey },
    JSON.stringify({ from, to: m.to, subject: headerText(m.subject), text: m.text, html: m.html, tags: { invitationId: m.invitationId } }),
  );
}

/** Twilio-style SMS: form-encoded `To`, `From`, `Body` with Basic auth `accountSid:authToken`. */
export function sendSms(policy: OutboundPolicy, provider: NonNullable<Settings['sms']>, m: { to: string; body: string; idempotencyKey: string }) {
  const basic = btoa(String.fromCharCode(...encoder.encode(`${provider.accountSid}:${provider.authToken}`)));
  return post(
    policy,
    `${trimSlash(provider.baseUrl)}/2010-04-01/Accounts/${encodeURIComponent(provider.accountSid)}/Messages.json`,
    { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', 'i-twilio-idempotency-token': m.idempotencyKey },
    new URLSearchParams({ To: m.to, From: provider.from, Body: m.body }).toString(),
  );
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the receiver recomputes it
 * over the raw body and refuses an old `t`, so a captured request cannot be replayed later.
 */
export async function webhookSignature(secret: string, unixSeconds: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(`${unixSeconds}.${body}`));
  return `t=${unixSeconds},v1=${hex(mac)}`;
}

/** The tenant's endpoint: a signed JSON POST. */
export async function sendWebhook(policy: OutboundPolicy, webhook: NonNullable<Settings['webhook']>, payload: unknown, idempotencyKey: string, now: number) {
  const body = JSON.stringify(payload);
  const signature = await webhookSignature(webhook.secret, Math.floor(now / 1000), body);
  return post(policy, webhook.url, { 'content-type': 'application/json', 'x-nps-signature': signature, 'idempotency-key': idempotencyKey }, body);
}
