import type { Config } from '../env';
import { signSurveyLink } from '../surveys/token';

/**
 * The survey link of an invitation, naming the tenant's data database (`databaseId`, the
 * handle's). The token is deterministic for the same claims and expiry, so the link sent, the
 * link of a reminder and the link the API shows are one link (until the tenant moves).
 */
export async function invitationLink(
  config: Config,
  inv: { tenantId: string; id: string; surveyId: string; surveyVersion: number; expiresAt: number },
  databaseId: string | undefined,
): Promise<string> {
  const token = await signSurveyLink(config, { tenantId: inv.tenantId, invitationId: inv.id, surveyId: inv.surveyId, surveyVersion: inv.surveyVersion, databaseId }, inv.expiresAt);
  return `${config.publicBaseUrl}/s/${token}`;
}
