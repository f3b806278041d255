/**
 * The HMAC-SHA256 keys capture uses, one per purpose, derived by label from a `JWT_KEYS`
 * secret: a form state never passes for a client hash, a JWT or anything else. The one place
 * to change when keys come from elsewhere.
 */
export type CapturePurpose = 'form-state' | 'client-address';

const encoder = new TextEncoder();
// Resolved keys only: a pending promise of one request is not awaited by another.
const keys = new Map<string, CryptoKey>();

export async function captureKey(purpose: CapturePurpose, secret: string): Promise<CryptoKey> {
  const label = `${purpose}:${secret}`;
  let key = keys.get(label);
  if (!key) {
    key = await crypto.subtle.importKey('raw', encoder.encode(label), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    keys.set(label, key);
  }
  return key;
}
