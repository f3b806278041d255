const encoder = new TextEncoder();
// Resolved keys only: a pending promise of one request is not awaited by another.
const keys = new Map<string, CryptoKey>();

/** Every MAC the platform makes other than a JWT, by purpose; each gets a key of its own. */
export type KeyPurpose = 'responses-cursor' | 'form-state' | 'client-address' | 'contact-erasure' | 'network-fingerprint';

/**
 * The HMAC-SHA256 key of one purpose, derived from a JWT_KEYS secret with HKDF-SHA256 and the
 * purpose as its info: a MAC made for one purpose (a pagination cursor, a form state) never
 * verifies as another, nor as a session token, and learning one derived key does not give away
 * the secret. The JWTs themselves use the secret as is, kept apart by their audience claim.
 */
export async function purposeKey(secret: string, purpose: KeyPurpose): Promise<CryptoKey> {
  const id = `${purpose}\n${secret}`;
  let key = keys.get(id);
  if (!key) {
    const base = await crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, ['deriveKey']);
    key = await crypto.subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: encoder.encode('nps-platform'), info: encoder.encode(purpose) },
      base,
      { name: 'HMAC', hash: 'SHA-256', length: 256 },
      false,
      ['sign', 'verify'],
    );
    keys.set(id, key);
  }
  return key;
}
