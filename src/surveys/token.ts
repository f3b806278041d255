import { signToken, verifyToken } from '../auth/jwt';
import type { Config } from '../env';

export const SURVEY_LINK_AUDIENCE = 'survey';
const AUDIENCE = SURVEY_LINK_AUDIENCE;

/** What a survey link names: the tenant, the invitation and the survey version it shows. */
export interface SurveyLinkClaims {
  tenantId: string;
  invitationId: string;
  surveyVersion: number;
  /**
   * The survey (claim `sid`): with the version, what the page shows, so that a page opened while
   * the database does not answer can render from the isolate's cache of published versions
   * (src/surveys/published-cache.ts). Links signed before it was added lack it.
   */
  surveyId?: string;
  /**
   * The tenant's data database when the link was signed (claim `db`): capture goes there without
   * reading the directory (src/lib/bind-tenant.ts). Absent on links signed before it, and in the
   * single-database mode.
   */
  databaseId?: string;
}

export type SurveyLinkCheck = { ok: true; claims: SurveyLinkClaims } | { ok: false; reason: 'expired' | 'invalid' };

/** A signed link token (audience `survey`) valid until `expiresAt` (ms); the same invitation always gets the same token. */
export const signSurveyLink = (config: Config, claims: SurveyLinkClaims, expiresAt: number) =>
  signToken(
    config,
    AUDIENCE,
    claims.invitationId,
    { tid: claims.tenantId, sv: claims.surveyVersion, ...(claims.surveyId ? { sid: claims.surveyId } : {}), ...(claims.databaseId ? { db: claims.databaseId } : {}) },
    expiresAt,
    false,
  );

/** Verifies a link token; tells an expired one (a friendly "this survey has closed") from a forged or altered one. */
export async function verifySurveyLink(config: Config, token: string): Promise<SurveyLinkCheck> {
  const check = await verifyToken(config, AUDIENCE, token);
  return check.ok ? surveyLinkOf(check.payload) : check;
}

/** The claims of a verified survey link's payload; invalid when one is missing or of the wrong type. */
export function surveyLinkOf(payload: Record<string, unknown>): SurveyLinkCheck {
  const { tid, sv, sub, sid, db } = payload;
  if (typeof tid !== 'string' || typeof sv !== 'number' || typeof sub !== 'string' || (sid !== undefined && typeof sid !== 'string') || (db !== undefined && typeof db !== 'string')) {
    return { ok: false, reason: 'invalid' };
  }
  return { ok: true, claims: { tenantId: tid, invitationId: sub, surveyVersion: sv, ...(sid ? { surveyId: sid } : {}), ...(db ? { databaseId: db } : {}) } };
}
