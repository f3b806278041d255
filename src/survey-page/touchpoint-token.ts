import { signToken, verifyToken } from '../auth/jwt';
import type { Config } from '../env';
import { base64url, randomSecret } from '../lib/ids';

/**
 * The second kind of survey link: an anonymous touchpoint link (a QR code at a site, a link
 * on a receipt). It names no invitation, only the tenant, the touchpoint and the unit the
 * answers count for, and it lives long. Its audience differs from invitation links
 * (`src/surveys/token.ts`), so neither kind is accepted where the other is expected.
 */
export const TOUCHPOINT_LINK_AUDIENCE = 'survey-touchpoint';

/** Default lifetime of an anonymous link: one year. */
export const TOUCHPOINT_LINK_DAYS = 365;

export interface TouchpointLinkClaims {
  tenantId: string;
  touchpointId: string;
  unitId: string;
  /** The tenant's data database when the link was issued (claim `db`, as on invitation links: src/surveys/token.ts). */
  databaseId?: string;
}

/** A verified anonymous link: its claims, and its id for revocation (`revoked_links`). */
export interface TouchpointLink {
  claims: TouchpointLinkClaims;
  linkId: string;
  /** Epoch ms. */
  expiresAt: number;
}

export type TouchpointLinkCheck = ({ ok: true } & TouchpointLink) | { ok: false; reason: 'expired' | 'invalid' };

/**
 * The id of an anonymous link: the base64url SHA-256 of its token. Links are not stored, so
 * any link ever issued (older ones too) can be revoked by its URL.
 */
export const linkIdOf = async (token: string) => base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))));

/** A signed anonymous link token valid until `expiresAt` (ms). */
export const signTouchpointLink = (config: Config, claims: TouchpointLinkClaims, expiresAt: number) =>
  // `jti`: every link differs, so revoking one never revokes another issued in the same second.
  signToken(
    config,
    TOUCHPOINT_LINK_AUDIENCE,
    claims.touchpointId,
    { tid: claims.tenantId, unit: claims.unitId, jti: randomSecret(9), ...(claims.databaseId ? { db: claims.databaseId } : {}) },
    expiresAt,
    false,
  );

/** Verifies an anonymous link token: expired (signature fine, past its time) or invalid (anything else). */
export async function verifyTouchpointLink(config: Config, token: string): Promise<TouchpointLinkCheck> {
  const check = await verifyToken(config, TOUCHPOINT_LINK_AUDIENCE, token);
  return check.ok ? touchpointLinkOf(check.payload, token) : check;
}

/** The claims of a verified anonymous link's payload; invalid when one is missing or of the wrong type. */
export async function touchpointLinkOf(payload: Record<string, unknown>, token: string): Promise<TouchpointLinkCheck> {
  const { tid, unit, sub, exp, db } = payload;
  if (typeof tid !== 'string' || typeof unit !== 'string' || typeof sub !== 'string' || typeof exp !== 'number' || (db !== undefined && typeof db !== 'string'))
    return { ok: false, reason: 'invalid' };
  return { ok: true, claims: { tenantId: tid, touchpointId: sub, unitId: unit, ...(db ? { databaseId: db } : {}) }, linkId: await linkIdOf(token), expiresAt: exp * 1000 };
}
