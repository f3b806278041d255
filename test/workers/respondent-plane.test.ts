import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/client';
import { openDirectory } from '../../src/db/directory';
import { dataPlane } from '../../src/db/plane';
import { responses, tenants } from '../../src/db/schema';
import { pauseTenantWrites } from '../../src/tenancy/archive';
import { moveTenant } from '../../src/tenancy/lifecycle';
import { config, makeInvitation, makeSurvey, responseOf, send } from './capture-fixture';
import { call, makeTenant } from './support';

/*
 * Respondents on the data plane (issue 11): a survey link and a widget key name the tenant's data
 * database, so answering reads nothing from the directory; a tenant's writes paused in its own
 * database (a move) send answers to the buffer; a link signed before a move still answers, in
 * the new database. The directory's own statement counter (the local libSQL server's /stats)
 * tells whether a request read it.
 */
const PLANE: { id: string; region: string; url: string }[] = JSON.parse(env.PLANE_DATABASES!);
const directoryStatements = async () => ((await (await fetch(`${env.DIRECTORY_URL}/stats`)).json()) as { statements: number }).statements;
/** Forgets what this isolate keeps of the tenant's placement, as a fresh isolate would not know it. */
const forget = (tenantId: string) => dataPlane(config()).forget(tenantId);

describe('respondents on the data plane', () => {
  it('an answer through a link naming its database reads nothing from the directory; one through a link naming none does', async () => {
    const t = await makeTenant('Plane');
    const s = await makeSurvey(t.tenantId);
    const [warm, named, unnamed] = await Promise.all([0, 1, 2].map((i) => makeInvitation(s, t.units.berlin, { databaseId: i < 2 ? t.databaseId : undefined })));
    // The first answer may read the catalog of databases (once per isolate).
    expect((await send('POST', warm!.path, { json: { score: 9 } })).status).toBe(200);

    forget(t.tenantId);
    const before = await directoryStatements();
    expect((await send('POST', named!.path, { json: { score: 3, comment: 'slow' } })).status).toBe(200);
    expect(await directoryStatements()).toBe(before);
    expect((await responseOf(t.tenantId, named!.id))[0]).toMatchObject({ score: 3, comment: 'slow' });

    // The control: the same answer by a link without the database finds the tenant in the directory.
    forget(t.tenantId);
    const before2 = await directoryStatements();
    expect((await send('POST', unnamed!.path, { json: { score: 10 } })).status).toBe(200);
    expect(await directoryStatements()).toBeGreaterThan(before2);
  });

  it('links the platform signs name the database, and so do widget keys', async () => {
    const t = await makeTenant('Plane');
    const s = await makeSurvey(t.tenantId);
    const link = await call('POST', `/api/v1/touchpoints/${s.touchpointId}/links`, { token: t.tokens.admin, body: { unitId: t.units.berlin } });
    expect(link.status).toBe(201);
    const payload = JSON.parse(atob(link.body.url.split('/s/')[1].split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    expect(payload.db).toBe(t.databaseId);
    const key = await call('POST', '/api/v1/settings/widget-key', { token: t.tokens.admin });
    expect(key.status).toBe(201);
    expect(key.body.publicKey.endsWith(`_${t.databaseId}`)).toBe(true);
  });

  it('while the tenant’s writes are paused in its database, an answer goes to the buffer and nothing is written', async () => {
    const t = await makeTenant('Plane');
    const s = await makeSurvey(t.tenantId);
    const inv = await makeInvitation(s, t.units.berlin, { databaseId: t.databaseId });
    const home = openDb(PLANE.find((d) => d.id === t.databaseId)!.url);
    await pauseTenantWrites(home, t.tenantId, true);
    try {
      const res = await send('POST', inv.path, { json: { score: 2 } });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ status: 'accepted', score: 2 });
      expect(await responseOf(t.tenantId, inv.id)).toEqual([]);
    } finally {
      await pauseTenantWrites(home, t.tenantId, false);
    }
    expect((await send('POST', inv.path, { json: { score: 2 } })).status).toBe(200);
  });

  it('a link signed before the tenant moved answers in the new database', async () => {
    const t = await makeTenant('Plane');
    const s = await makeSurvey(t.tenantId);
    const inv = await makeInvitation(s, t.units.berlin, { databaseId: t.databaseId });
    const from = PLANE.find((d) => d.id === t.databaseId)!;
    const to = PLANE.find((d) => d.id !== t.databaseId)!;
    await moveTenant(openDirectory(env.DIRECTORY_URL!), t.tenantId, { id: from.id, db: openDb(from.url) }, { id: to.id, db: openDb(to.url) }, { actor: 'test', settleMs: 0 });
    forget(t.tenantId);

    const res = await send('POST', inv.path, { json: { score: 8 } });
    expect(res.status).toBe(200);
    const written = await openDb(to.url).select({ score: responses.score }).from(responses).where(eq(responses.invitationId, inv.id));
    expect(written).toEqual([{ score: 8 }]);
    const [moved] = await openDb(to.url).select({ id: tenants.id, paused: tenants.writesPausedAt }).from(tenants).where(eq(tenants.id, t.tenantId));
    expect(moved).toEqual({ id: t.tenantId, paused: null });
    expect(await openDb(from.url).select({ id: tenants.id }).from(tenants).where(eq(tenants.id, t.tenantId))).toEqual([]);
  });
});
