import { base64url } from '../lib/ids';

// workerd caps PBKDF2 at 100,000 iterations; OWASP's floor for PBKDF2-SHA256 is higher, so the
// count is stored with each hash and can be raised where the runtime allows.
const ITERATIONS = 100_000;
const FORMAT = 'pbkdf2-sha256';

async function derive(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

function fromBase64url(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** `pbkdf2-sha256$<iterations>$<salt>$<hash>`, base64url parts. */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(password, salt, ITERATIONS);
  return `${FORMAT}$${ITERATIONS}$${base64url(salt)}$${base64url(hash)}`;
}

/** Constant-time comparison of the derived key; false for any malformed stored value. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [format, iter, salt, hash] = stored.split('$');
  const iterations = Number(iter);
  if (format !== FORMAT || !salt || !hash || !Number.isInteger(iterations) || iterations < 1) return false;
  const expected = fromBase64url(hash);
  const actual = await derive(password, fromBase64url(salt), iterations);
  if (actual.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < actual.length; i++) diff |= actual[i]! ^ expected[i]!;
  return diff === 0;
}

/** A hash of a random password, compared against when the account does not exist, so timing does not reveal it. */
export const DECOY_HASH = 'pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
