import { signToken, verifyToken } from '../auth/jwt';
import type { Config } from '../env';

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
}

export type TouchpointLinkCheck = { ok: true; claims: TouchpointLinkClaims } | { ok: false; reason: 'expired' | 'invalid' };

/** A signed anonymous link token valid until `expiresAt` (ms). */
export const signTouchpointLink = (config: Config, claims: TouchpointLinkClaims, expiresAt: number) =>
  signToken(config, TOUCHPOINT_LINK_AUDIENCE, claims.touchpointId, { tid: claims.tenantId, unit: claims.unitId }, expiresAt, false);

/** Verifies an anonymous link token: expired (signature fine, past its time) or invalid (anything else). */
export async function verifyTouchpointLink(config: Config, token: string): Promise<TouchpointLinkCheck> {
  const check = await verifyToken(config, TOUCHPOINT_LINK_AUDIENCE, token);
  if (!check.ok) return check;
  const { tid, unit, sub } = check.payload;
  if (typeof tid !== 'string' || typeof unit !== 'string' || typeof sub !== 'string') return { ok: false, reason: 'invalid' };
  return { ok: true, claims: { tenantId: tid, touchpointId: sub, unitId: unit } };
}
