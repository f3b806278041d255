import { commit } from '../../src/db/client';
import { invitations, surveys, surveyVersions, touchpoints, type Channel } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { db, uniq } from './support';

const DEFINITION = { questions: [{ id: 'nps', type: 'nps' }], translations: { en: { 'nps.label': 'How likely are you to recommend us?' } } };

/** One survey and touchpoint per tenant for the invitations of the access suites, written straight to the database. */
const programs = new Map<string, Promise<{ surveyId: string; touchpointId: string }>>();
function programOf(tenantId: string) {
  if (!programs.has(tenantId)) {
    programs.set(
      tenantId,
      (async () => {
        const d = db(tenantId);
        const now = Date.now();
        const surveyId = newId('srv');
        const touchpointId = newId('tp');
        await commit(d, [
          d.insert(surveys).values({ id: surveyId, tenantId, name: 'Access', defaultLocale: 'en', draft: DEFINITION, publishedVersion: 1, createdAt: now, updatedAt: now }),
          d.insert(surveyVersions).values({ id: newId('srvv'), tenantId, surveyId, version: 1, definition: DEFINITION, createdAt: now }),
          d.insert(touchpoints).values({ id: touchpointId, tenantId, key: `access-${uniq()}`, name: 'Access', kind: 'site_visit', surveyId, channels: ['link'], createdAt: now, updatedAt: now }),
        ]);
        return { surveyId, touchpointId };
      })(),
    );
  }
  return programs.get(tenantId)!;
}

/** An invitation in a unit, already sent, written straight to the database. */
export async function makeSentInvitation(tenantId: string, unitId: string, channel: Channel = 'link') {
  const { surveyId, touchpointId } = await programOf(tenantId);
  const now = Date.now();
  const id = newId('inv');
  await db(tenantId)
    .insert(invitations)
    .values({
      id,
      tenantId,
      unitId,
      touchpointId,
      surveyId,
      surveyVersion: 1,
      channel,
      status: 'sent',
      source: 'test',
      dueAt: now,
      sentAt: now,
      attempts: 0,
      expiresAt: now + 30 * 86_400_000,
      createdAt: now,
      updatedAt: now,
    });
  return id;
}
