import { jwtVerify, SignJWT } from 'jose';
import type { Config } from '../env';

const ISSUER = 'nps-platform';
const AUDIENCE = 'survey';
const encoder = new TextEncoder();

/** What a survey link names: the tenant, the invitation and the survey version it shows. */
export interface SurveyLinkClaims {
  tenantId: string;
  invitationId: string;
  surveyVersion: number;
}

export type SurveyLinkCheck = { ok: true; claims: SurveyLinkClaims } | { ok: false; reason: 'expired' | 'invalid' };

/** A signed link token (HS256 with `kid`, audience `survey`) valid until `expiresAt` (ms). */
export async function signSurveyLink(config: Config, claims: SurveyLinkClaims, expiresAt: number): Promise<string> {
  const key = config.jwtKeys[0]!;
  return new SignJWT({ tid: claims.tenantId, sv: claims.surveyVersion })
    .setProtectedHeader({ alg: 'HS256', kid: key.kid })
    .setSubject(claims.invitationId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setExpirationTime(Math.floor(expiresAt / 1000))
    .sign(encoder.encode(key.secret));
}

/** Verifies a link token; tells an expired one (a friendly "this survey has closed") from a forged or altered one. */
export async function verifySurveyLink(config: Config, token: string): Promise<SurveyLinkCheck> {
  try {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        const key = config.jwtKeys.find((k) => k.kid === header.kid);
        if (!key) throw new Error('unknown kid');
        return encoder.encode(key.secret);
      },
      { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, requiredClaims: ['exp', 'sub'] },
    );
    if (typeof payload.tid !== 'string' || typeof payload.sv !== 'number' || typeof payload.sub !== 'string') return { ok: false, reason: 'invalid' };
    return { ok: true, claims: { tenantId: payload.tid, invitationId: payload.sub, surveyVersion: payload.sv } };
  } catch (err) {
    return { ok: false, reason: (err as { code?: string }).code === 'ERR_JWT_EXPIRED' ? 'expired' : 'invalid' };
  }
}
