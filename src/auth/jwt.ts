import { jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Config } from '../env';

const ISSUER = 'nps-platform';
/** Sessions and survey links share the keys; the audience keeps one from passing as the other. */
const AUDIENCE = 'session';
const encoder = new TextEncoder();

export interface SessionClaims {
  sub: string; // user id
  tid: string; // tenant id
  sid: string; // session id
}

/** Signs with the first configured key; its `kid` lets verification pick the key after rotation. */
export async function signSession(config: Config, claims: SessionClaims, expiresAt: number): Promise<string> {
  const key = config.jwtKeys[0]!;
  return new SignJWT({ tid: claims.tid, sid: claims.sid })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: key.kid })
    .setSubject(claims.sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt / 1000))
    .sign(encoder.encode(key.secret));
}

/** Verifies signature (HS256 only: `alg: none` and others are refused), issuer and expiry; null when invalid. */
export async function verifySession(config: Config, token: string): Promise<SessionClaims | null> {
  try {
    const { payload } = await jwtVerify<JWTPayload & { tid?: unknown; sid?: unknown }>(
      token,
      async (header) => {
        const key = config.jwtKeys.find((k) => k.kid === header.kid);
        if (!key) throw new Error('unknown kid');
        return encoder.encode(key.secret);
      },
      { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, requiredClaims: ['exp', 'sub'] },
    );
    if (typeof payload.sub !== 'string' || typeof payload.tid !== 'string' || typeof payload.sid !== 'string') return null;
    return { sub: payload.sub, tid: payload.tid, sid: payload.sid };
  } catch {
    return null;
  }
}
