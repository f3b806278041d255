import { eq } from 'drizzle-orm';
import { audit } from '../audit/record';
import { can } from '../auth/policy';
import { commit } from '../db/client';
import { revokedLinks, surveys, touchpoints, units } from '../db/schema';
import type { Deps } from '../lib/deps';
import { ApiError, forbidden, notFound } from '../lib/errors';
import { signTouchpointLink, TOUCHPOINT_LINK_DAYS, verifyTouchpointLink } from './touchpoint-token';

const DAY = 24 * 60 * 60 * 1000;

/** The token of a link as an admin pastes it: the whole URL (query and fragment ignored) or the token. */
const tokenOf = (url: string) =>
  url
    .trim()
    .replace(/[?#].*$/, '')
    .split('/s/')
    .pop()!;

/**
 * An anonymous survey link of a touchpoint for a unit: needs the admin role on the unit and a
 * live, published touchpoint. The link itself is not stored; its issue is audited.
 */
export async function issueLink(d: Deps, touchpointId: string, body: { unitId: string; expiresInDays?: number }) {
  const { t, actor, config } = d;
  const [[tp], [unit]] = await t.batch([
    t
      .select({ id: touchpoints.id, active: touchpoints.active, publishedVersion: surveys.publishedVersion })
      .from(touchpoints)
      .innerJoin(surveys, eq(surveys.id, touchpoints.surveyId))
      .where(eq(touchpoints.id, touchpointId)),
    t.select({ id: units.id, path: units.path }).from(units).where(eq(units.id, body.unitId)),
  ]);
  // A unit outside the caller's reach is not disclosed; the touchpoint is tenant-wide.
  if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('unit');
  if (!can(actor, 'touchpoint.link', unit.path)) throw forbidden('an anonymous link needs the admin role on its unit');
  if (!tp) throw notFound('touchpoint');
  if (!tp.active) throw new ApiError('UNPROCESSABLE', 'the touchpoint is inactive');
  if (tp.publishedVersion === null) throw new ApiError('UNPROCESSABLE', "the touchpoint's survey has no published version");
  const expiresAt = Date.now() + (body.expiresInDays ?? TOUCHPOINT_LINK_DAYS) * DAY;
  const token = await signTouchpointLink(config, { tenantId: actor.tenantId, touchpointId: tp.id, unitId: unit.id, databaseId: t.databaseId }, expiresAt);
  const link = { url: `${config.publicBaseUrl}/s/${token}`, touchpointId: tp.id, unitId: unit.id, expiresAt: new Date(expiresAt).toISOString() };
  await commit(t, await audit(d, { action: 'touchpoint.link', targetType: 'touchpoint', targetId: tp.id, details: { unitId: unit.id, expiresAt: link.expiresAt } }));
  return link;
}

/**
 * Revokes one anonymous link of a touchpoint (by its URL or token): needs the admin role on the
 * link's unit; audited. Revoking a revoked link changes nothing and answers as the first time.
 */
export async function revokeLink(d: Deps, touchpointId: string, url: string) {
  const { t, actor, config } = d;
  const check = await verifyTouchpointLink(config, tokenOf(url));
  if (!check.ok) {
    const message = check.reason === 'expired' ? 'the link has expired: it takes no answers already' : 'not an anonymous survey link';
    throw new ApiError('UNPROCESSABLE', message, [{ path: 'body.url', message }]);
  }
  const { claims, linkId, expiresAt } = check;
  // Another tenant's link, or another touchpoint's, is simply not found here.
  if (claims.tenantId !== actor.tenantId || claims.touchpointId !== touchpointId) throw notFound('link');
  const [[unit], [revoked]] = await t.batch([
    t.select({ path: units.path }).from(units).where(eq(units.id, claims.unitId)),
    t.select({ revokedAt: revokedLinks.revokedAt }).from(revokedLinks).where(eq(revokedLinks.id, linkId)),
  ]);
  if (!unit || !can(actor, 'unit.read', unit.path)) throw notFound('link');
  if (!can(actor, 'touchpoint.link', unit.path)) throw forbidden('revoking an anonymous link needs the admin role on its unit');
  const answer = (revokedAt: number) => ({ touchpointId: claims.touchpointId, unitId: claims.unitId, expiresAt: new Date(expiresAt).toISOString(), revokedAt: new Date(revokedAt).toISOString() });
  if (revoked) return answer(revoked.revokedAt);
  const now = Date.now();
  await commit(t, [
    t.insert(revokedLinks).values({ id: linkId, touchpointId: claims.touchpointId, unitId: claims.unitId, expiresAt, revokedAt: now }).onConflictDoNothing(),
    ...(await audit(d, {
      action: 'touchpoint.link_revoke',
      targetType: 'touchpoint',
      targetId: claims.touchpointId,
      details: { unitId: claims.unitId, linkId, expiresAt: new Date(expiresAt).toISOString() },
    })),
  ]);
  return answer(now);
}
