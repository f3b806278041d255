import { jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Config } from '../env';

const ISSUER = 'nps-platform';
const encoder = new TextEncoder();
// Resolved keys only: a pending promise of one request is not awaited by another.
const keys = new Map<string, CryptoKey>();

/** The HS256 key of a secret, imported once per isolate (jose would import it on every call). */
async function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    keys.set(secret, key);
  }
  return key;
}

/**
 * The platform's signed tokens: HS256 with the first configured key, its `kid` in the header so
 * verification finds the key after a rotation. Each kind has its own audience (session, survey
 * link, touchpoint link), so no token passes as another kind.
 */
export async function signToken(config: Config, audience: string, subject: string, claims: Record<string, unknown>, expiresAt: number, issuedAt = true): Promise<string> {
  const key = config.jwtKeys[0]!;
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: key.kid })
    .setSubject(subject)
    .setIssuer(ISSUER)
    .setAudience(audience)
    .setExpirationTime(Math.floor(expiresAt / 1000));
  // Links leave the issue time out, so the same invitation always gets the same link.
  if (issuedAt) jwt.setIssuedAt();
  return jwt.sign(await hmacKey(key.secret));
}

export type TokenCheck = { ok: true; payload: JWTPayload & Record<string, unknown> } | { ok: false; reason: 'expired' | 'invalid' };

/** Verifies signature (HS256 only: `alg: none` and others are refused), issuer, audience (one of them, when several) and expiry. */
export async function verifyToken(config: Config, audience: string | string[], token: string): Promise<TokenCheck> {
  try {
    const { payload } = await jwtVerify<Record<string, unknown>>(
      token,
      async (header) => {
        const key = config.jwtKeys.find((k) => k.kid === header.kid);
        if (!key) throw new Error('unknown kid');
        return hmacKey(key.secret);
      },
      { algorithms: ['HS256'], issuer: ISSUER, audience, requiredClaims: ['exp', 'sub'] },
    );
    return { ok: true, payload };
  } catch (err) {
    return { ok: false, reason: (err as { code?: string }).code === 'ERR_JWT_EXPIRED' ? 'expired' : 'invalid' };
  }
}

const SESSION = 'session';

export interface SessionClaims {
  sub: string; // user id
  tid: string; // tenant id
  sid: string; // session id
}

export const signSession = (config: Config, claims: SessionClaims, expiresAt: number) => signToken(config, SESSION, claims.sub, { tid: claims.tid, sid: claims.sid }, expiresAt);

/** The claims of a valid session token, else null. */
export async function verifySession(config: Config, token: string): Promise<SessionClaims | null> {
  const check = await verifyToken(config, SESSION, token);
  if (!check.ok) return null;
  const { sub, tid, sid } = check.payload;
  return typeof sub === 'string' && typeof tid === 'string' && typeof sid === 'string' ? { sub, tid, sid } : null;
}
