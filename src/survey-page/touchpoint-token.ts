import { jwtVerify, SignJWT } from 'jose';
import type { Config } from '../env';

/**
 * The second kind of survey link: an anonymous touchpoint link (a QR code at a site, a link
 * on a receipt). It names no invitation, only the tenant, the touchpoint and the unit the
 * answers count for, and it lives long. Its audience differs from invitation links
 * (`src/surveys/token.ts`), so neither kind is accepted where the other is expected.
 */
const ISSUER = 'nps-platform';
export const TOUCHPOINT_LINK_AUDIENCE = 'survey-touchpoint';
const encoder = new TextEncoder();

/** Default lifetime of an anonymous link: one year. */
export const TOUCHPOINT_LINK_DAYS = 365;

export interface TouchpointLinkClaims {
  tenantId: string;
  touchpointId: string;
  unitId: string;
}

export type TouchpointLinkCheck = { ok: true; claims: TouchpointLinkClaims } | { ok: false; reason: 'expired' | 'invalid' };

/** A signed anonymous link token (HS256 with `kid`) valid until `expiresAt` (ms). */
export async function signTouchpointLink(config: Config, claims: TouchpointLinkClaims, expiresAt: number): Promise<string> {
  const key = config.jwtKeys[0]!;
  return new SignJWT({ tid: claims.tenantId, unit: claims.unitId })
    .setProtectedHeader({ alg: 'HS256', kid: key.kid })
    .setSubject(claims.touchpointId)
    .setIssuer(ISSUER)
    .setAudience(TOUCHPOINT_LINK_AUDIENCE)
    .setExpirationTime(Math.floor(expiresAt / 1000))
    .sign(encoder.encode(key.secret));
}

/** Verifies an anonymous link token: expired (signature fine, past its time) or invalid (anything else). */
export async function verifyTouchpointLink(config: Config, token: string): Promise<TouchpointLinkCheck> {
  try {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        const key = config.jwtKeys.find((k) => k.kid === header.kid);
        if (!key) throw new Error('unknown kid');
        return encoder.encode(key.secret);
      },
      { algorithms: ['HS256'], issuer: ISSUER, audience: TOUCHPOINT_LINK_AUDIENCE, requiredClaims: ['exp', 'sub'] },
    );
    if (typeof payload.tid !== 'string' || typeof payload.unit !== 'string' || typeof payload.sub !== 'string') return { ok: false, reason: 'invalid' };
    return { ok: true, claims: { tenantId: payload.tid, touchpointId: payload.sub, unitId: payload.unit } };
  } catch (err) {
    return { ok: false, reason: (err as { code?: string }).code === 'ERR_JWT_EXPIRED' ? 'expired' : 'invalid' };
  }
}
