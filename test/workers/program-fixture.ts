import { asc, eq } from 'drizzle-orm';
import { commit } from '../../src/db/client';
import { events, invitations, surveys, surveyVersions, touchpoints, type Channel } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { standardSurvey } from '../../src/surveys/templates';
import type { TouchpointRules } from '../../src/touchpoints/rules';
import { call, db, uniq } from './support';

export { answerRow } from '../answer-row';

/**
 * Surveys and touchpoints written straight to the database (a published version unless told
 * otherwise), so the event and wave suites do not depend on the survey API.
 */
export async function makeTouchpoint(tenantId: string, opts: { channels?: Channel[]; delayMinutes?: number; rules?: TouchpointRules; published?: boolean; active?: boolean; key?: string } = {}) {
  const d = db();
  const now = Date.now();
  const surveyId = newId('srv');
  const key = opts.key ?? `tp-${uniq()}`;
  const id = newId('tp');
  const published = opts.published ?? true;
  const definition = standardSurvey('Acme') as unknown as Record<string, unknown>;
  await commit(d, [
    d.insert(surveys).values({ id: surveyId, tenantId, name: `Survey ${key}`, defaultLocale: 'en', draft: definition, publishedVersion: published ? 1 : null, createdAt: now, updatedAt: now }),
    ...(published ? [d.insert(surveyVersions).values({ id: newId('srvv'), tenantId, surveyId, version: 1, definition, createdAt: now })] : []),
    d.insert(touchpoints).values({
      id,
      tenantId,
      key,
      name: key,
      kind: 'support_resolution',
      surveyId,
      channels: opts.channels ?? ['email', 'link'],
      delayMinutes: opts.delayMinutes ?? 0,
      rules: (opts.rules ?? {}) as Record<string, unknown>,
      active: opts.active ?? true,
      createdAt: now,
      updatedAt: now,
    }),
  ]);
  return { id, key, surveyId };
}

/** A contact through the API (PUT), with a fresh external id unless given. */
export async function makeContact(token: string, body: Record<string, unknown> = {}, externalId = `crm_${uniq()}${uniq()}`) {
  const res = await call('PUT', `/api/v1/contacts/${externalId}`, { token, body: { email: `${externalId}@example.test`, ...body } });
  if (res.status !== 201) throw new Error(`contact: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; externalId: string };
}

/** An admin API key of the tenant (read and write), as integrations hold one. */
export async function makeKey(adminToken: string, body: Record<string, unknown> = {}) {
  const res = await call('POST', '/api/v1/api-keys', { token: adminToken, body: { name: `integration ${uniq()}`, ...body } });
  if (res.status !== 201) throw new Error(`api key: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.secret as string;
}

/**
 * The tenant's stored events and the ids of its invitations, what a test compares before and
 * after. Only ids of invitations: the every-minute delivery scan of other suites may move their
 * status meanwhile.
 */
export async function stored(tenantId: string) {
  const d = db();
  const [e, i] = await d.batch([
    d.select().from(events).where(eq(events.tenantId, tenantId)).orderBy(asc(events.id)),
    d.select({ id: invitations.id }).from(invitations).where(eq(invitations.tenantId, tenantId)).orderBy(asc(invitations.id)),
  ]);
  return { events: e, invitations: i.map((r) => r.id) };
}
