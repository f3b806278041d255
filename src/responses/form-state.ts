import type { Config } from '../env';
import { purposeKey } from '../auth/purpose-key';
import { base64url } from '../lib/ids';

/**
 * The signed state a survey page (or the widget) hands back with each submit: when the
 * server rendered it, which version and locale it showed, and, for anonymous links, the
 * page's single-use nonce and (after the first answer) which response later submits continue.
 * The server signs it (HMAC-SHA256 with a key derived from the JWT keys), so the render time
 * is the server's clock, never the client's, and a continued response id cannot be guessed or
 * swapped.
 */
export interface FormState {
  /** Render time, epoch ms (server clock). */
  t: number;
  /** Survey version shown. */
  v: number;
  /** Locale shown. */
  l: string;
  /** Anonymous links: the response later submits continue. */
  r?: string;
  /**
   * Anonymous links: the page's nonce, random per rendered page. The first answer records it
   * (`responses.form_nonce`, unique per tenant), so posting one page's state again continues
   * that answer instead of adding another.
   */
  n?: string;
}

/** A fresh nonce for an anonymous page's state. */
export const formNonce = () => base64url(crypto.getRandomValues(new Uint8Array(16)));

const encoder = new TextEncoder();

// A key of its own, so a form state can never pass for a JWT or a cursor, or back.
const hmacKey = (secret: string) => purposeKey(secret, 'form-state');

const fromBase64url = (s: string) => {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
};

/** `subject` binds the state to one link: the invitation id, or `touchpoint:unit` for anonymous links. */
export async function signFormState(config: Config, subject: string, state: FormState): Promise<string> {
  const payload = base64url(encoder.encode(JSON.stringify(state)));
  const sig = await crypto.subtle.sign('HMAC', await hmacKey(config.jwtKeys[0]!.secret), encoder.encode(`${subject}|${payload}`));
  return `${payload}.${base64url(new Uint8Array(sig))}`;
}

/** The state when its signature holds for this subject under any configured key, else null. */
export async function verifyFormState(config: Config, subject: string, value: string | undefined | null): Promise<FormState | null> {
  if (!value || value.length > 1000) return null;
  const m = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!m) return null;
  const data = encoder.encode(`${subject}|${m[1]}`);
  let sig: Uint8Array<ArrayBuffer>;
  try {
    sig = fromBase64url(m[2]!);
  } catch {
    return null;
  }
  for (const k of config.jwtKeys) {
    // subtle.verify compares in constant time.
    if (await crypto.subtle.verify('HMAC', await hmacKey(k.secret), sig, data)) {
      try {
        const s = JSON.parse(new TextDecoder().decode(fromBase64url(m[1]!))) as FormState;
        if (typeof s.t !== 'number' || typeof s.v !== 'number' || typeof s.l !== 'string') return null;
        if (s.r !== undefined && typeof s.r !== 'string') return null;
        if (s.n !== undefined && typeof s.n !== 'string') return null;
        return s;
      } catch {
        return null;
      }
    }
  }
  return null;
}
