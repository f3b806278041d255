import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { events, invitations, responses, tenants } from '../../src/db/schema';
import { signSurveyLink } from '../../src/surveys/token';
import { config, send as answer } from './capture-fixture';
import { makeContact, makeKey, makeTouchpoint } from './program-fixture';
import { call, db, makeTenant, PASSWORD, runCron, uniq, type Fixture } from './support';

/*
 * Vendors and agents as dimensions (docs/dimensions.md): an event names the site, the vendor that
 * did the work and the agent who handled it; the answer keeps all three and counts for the site
 * and its ancestors and, independently, for the vendor and the agent.
 */

let t: Fixture;
let key: string;
let tp: { key: string };
let berlinManager: string;
const iso = (ms: number) => new Date(ms).toISOString();
const ingest = (list: unknown[]) => call('POST', '/api/v1/events', { token: key, body: { events: list } });
const event = (contactId: string, extra: Record<string, unknown> = {}) => ({
  id: `ev-${uniq()}${uniq()}`,
  type: 'ticket.resolved',
  occurredAt: iso(Date.now() - 60_000),
  contactId,
  unitId: t.units.berlin,
  touchpoint: tp.key,
  ...extra,
});

beforeAll(async () => {
  t = await makeTenant('Dimensions');
  key = await makeKey(t.tokens.admin);
  tp = await makeTouchpoint(t.tenantId, { delayMinutes: 0 });
  // Agent scores are hidden below 30 answers by default; 2 here, so one agent's answers show.
  await db(t.tenantId)
    .update(tenants)
    .set({ settings: { minResponses: 1, agentMinResponses: 2 } })
    .where(eq(tenants.id, t.tenantId));
  // A manager of the Berlin site alone.
  const email = `berlin.${uniq()}@dimensions.test`;
  const made = await call('POST', '/api/v1/users', { token: t.tokens.admin, body: { email, password: PASSWORD, grants: [{ unitId: t.units.berlin, role: 'manager' }] } });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  const login = await call('POST', '/api/v1/auth/login', { body: { email, password: PASSWORD }, headers: { 'cf-connecting-ip': `203.0.113.${Math.floor(Math.random() * 250)}` } });
  expect(login.status).toBe(200);
  berlinManager = login.body.token;
});

/** An event with a vendor and an agent, invited and answered through its survey link; answers the invitation. */
async function servedAndAnswered(score: number, extra: Record<string, unknown>) {
  const contact = await makeContact(t.tokens.admin, { email: `c.${uniq()}@dimensions.test` });
  const res = await ingest([event(contact.externalId, extra)]);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const invitationId = res.body.results[0].invitationId as string;
  expect(invitationId).toBeDefined();
  const [inv] = await db(t.tenantId)
    .select()
    .from(invitations)
    .where(and(eq(invitations.tenantId, t.tenantId), eq(invitations.id, invitationId)));
  const token = await signSurveyLink(config(), { tenantId: t.tenantId, invitationId, surveyId: inv!.surveyId, surveyVersion: inv!.surveyVersion }, inv!.expiresAt);
  const sent = await answer('POST', `/s/${token}`, { json: { score } });
  expect(sent.status, sent.text).toBe(200);
  return inv!;
}

const scores = async (token: string, params: Record<string, string | undefined>) => call('GET', `/api/v1/scores?${new URLSearchParams(params as Record<string, string>)}`, { token });

describe('events name a vendor and an agent', () => {
  it('an unknown vendor, or a unit that is not a vendor, is refused for that event alone and writes nothing', async () => {
    const contact = await makeContact(t.tokens.admin);
    const good = event(contact.externalId, { vendorId: t.units.fastfix, agentId: 'ext:77' });
    const unknown = event(contact.externalId, { vendorId: 'unit_nope' });
    const notVendor = event(contact.externalId, { vendorId: t.units.paris });
    const res = await ingest([unknown, notVendor, good]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.results[0].error).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    expect(res.body.results[1].error).toMatchObject({ code: 'UNPROCESSABLE', status: 422 });
    expect(res.body.results[2]).toMatchObject({ decision: 'invite' });
    const stored = await db(t.tenantId)
      .select({ eventId: events.eventId, vendorId: events.vendorId, agentId: events.agentId, invitationId: events.invitationId })
      .from(events)
      .where(eq(events.tenantId, t.tenantId));
    expect(stored.filter((e) => e.eventId === unknown.id || e.eventId === notVendor.id)).toEqual([]);
    const row = stored.find((e) => e.eventId === good.id)!;
    expect(row).toMatchObject({ vendorId: t.units.fastfix, agentId: 'ext:77' });
    const [inv] = await db(t.tenantId)
      .select({ vendorId: invitations.vendorId, agentId: invitations.agentId, unitId: invitations.unitId })
      .from(invitations)
      .where(and(eq(invitations.tenantId, t.tenantId), eq(invitations.id, row.invitationId!)));
    expect(inv).toEqual({ vendorId: t.units.fastfix, agentId: 'ext:77', unitId: t.units.berlin });
    // Nothing at all written when no event of the batch can be taken.
    const before = await db(t.tenantId).select().from(invitations).where(eq(invitations.tenantId, t.tenantId));
    // An id that is no unit: the vendor's own with its last character changed (to one it is not).
    const quickserve = t.units.quickserve!;
    const refused = await ingest([event(contact.externalId, { vendorId: `${quickserve.slice(0, -1)}${quickserve.endsWith('0') ? '1' : '0'}` })]);
    expect(refused.status).toBe(422);
    expect(await db(t.tenantId).select().from(invitations).where(eq(invitations.tenantId, t.tenantId))).toHaveLength(before.length);
    // The agent id is an id, not free text.
    expect((await ingest([event(contact.externalId, { agentId: 'has spaces' })])).status).toBe(400);
  });
});

describe('a FastFix job at the Berlin site', () => {
  let baseline: Record<string, number>;
  const n = async (token: string, params: Record<string, string | undefined>) => {
    const res = await scores(token, params);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return (res.body.items as { n: number }[]).reduce((a, i) => a + i.n, 0);
  };
  const counts = async () => ({
    berlin: await n(t.tokens.admin, { unitId: t.units.berlin }),
    emea: await n(t.tokens.admin, { unitId: t.units.emea }),
    tenant: await n(t.tokens.admin, {}),
    fastfix: await n(t.tokens.admin, { vendorId: t.units.fastfix }),
    quickserve: await n(t.tokens.admin, { vendorId: t.units.quickserve }),
    fastfixUnit: await n(t.tokens.admin, { unitId: t.units.fastfix }),
  });

  it("counts in Berlin's, EMEA's, the tenant's and FastFix's scores, before and after the fold", async () => {
    baseline = await counts();
    const inv = await servedAndAnswered(9, { vendorId: t.units.fastfix, agentId: 'ext:77' });
    const [row] = await db(t.tenantId)
      .select({ unitId: responses.unitId, vendorId: responses.vendorId, agentId: responses.agentId })
      .from(responses)
      .where(and(eq(responses.tenantId, t.tenantId), eq(responses.invitationId, inv.id)));
    expect(row).toEqual({ unitId: t.units.berlin, vendorId: t.units.fastfix, agentId: 'ext:77' });
    // One answer more in each, none in QuickServe's, and none in the FastFix unit's own subtree
    // (where answers filed under the vendor unit count, as they did before).
    const expected = { ...baseline, berlin: baseline.berlin! + 1, emea: baseline.emea! + 1, tenant: baseline.tenant! + 1, fastfix: baseline.fastfix! + 1 };
    expect(await counts()).toEqual(expected); // the live tail
    await runCron('* * * * *');
    expect(await counts()).toEqual(expected); // the rollups
  });

  it('the FastFix user sees it at every site, the QuickServe user does not, the Berlin manager does', async () => {
    const berlin = { unitId: t.units.berlin! };
    const total = async (token: string, params: Record<string, string | undefined>) => {
      const res = await scores(token, params);
      return res.status === 200 ? { status: 200, n: (res.body.items as { n: number }[]).reduce((a, i) => a + i.n, 0) } : { status: res.status };
    };
    // FastFix's user: its vendor's answers, anywhere (default the whole tenant; a site named).
    expect(await total(t.tokens.vendor, { vendorId: t.units.fastfix })).toEqual({ status: 200, n: await n(t.tokens.admin, { vendorId: t.units.fastfix }) });
    expect(await total(t.tokens.vendor, { vendorId: t.units.fastfix, ...berlin })).toEqual({ status: 200, n: await n(t.tokens.admin, { vendorId: t.units.fastfix, ...berlin }) });
    expect((await total(t.tokens.vendor, { vendorId: t.units.fastfix, ...berlin })).n).toBeGreaterThan(0);
    // But not the site's other answers, nor another vendor's.
    expect((await total(t.tokens.vendor, berlin)).status).toBe(404);
    expect((await total(t.tokens.vendor, { vendorId: t.units.quickserve })).status).toBe(404);
    // QuickServe's user: 404 for FastFix, wherever asked; its own vendor has none of these answers.
    expect((await total(t.tokens.otherVendor, { vendorId: t.units.fastfix })).status).toBe(404);
    expect((await total(t.tokens.otherVendor, { vendorId: t.units.fastfix, ...berlin })).status).toBe(404);
    expect(await total(t.tokens.otherVendor, { vendorId: t.units.quickserve, ...berlin })).toEqual({ status: 200, n: 0 });
    // The Berlin manager: the site's answers whoever did the work, by vendor too.
    const site = await scores(berlinManager, { ...berlin, groupBy: 'vendor' });
    expect(site.status).toBe(200);
    expect(site.body.items.find((i: { key: string }) => i.key === t.units.fastfix)?.n).toBeGreaterThan(0);
    expect(await total(berlinManager, { ...berlin, vendorId: t.units.fastfix })).toEqual({ status: 200, n: await n(t.tokens.admin, { vendorId: t.units.fastfix, ...berlin }) });
    // Paris is not the Berlin manager's.
    expect((await total(berlinManager, { unitId: t.units.paris, vendorId: t.units.fastfix })).status).toBe(404);
  });

  it("the vendor's users list its answers at every site, without comments; another vendor's answer 404", async () => {
    const inv = await servedAndAnswered(4, { vendorId: t.units.fastfix, agentId: 'ext:78' });
    const [row] = await db(t.tenantId)
      .select({ id: responses.id })
      .from(responses)
      .where(and(eq(responses.tenantId, t.tenantId), eq(responses.invitationId, inv.id)));
    const list = (token: string, params: Record<string, string>) => call('GET', `/api/v1/responses?${new URLSearchParams({ limit: '200', ...params })}`, { token });
    const mine = await list(t.tokens.vendor, { vendorId: t.units.fastfix! });
    expect(mine.status, JSON.stringify(mine.body)).toBe(200);
    const item = mine.body.items.find((i: { id: string }) => i.id === row!.id);
    expect(item).toMatchObject({ unitId: t.units.berlin, vendorId: t.units.fastfix, agentId: 'ext:78', score: 4 });
    expect(item).not.toHaveProperty('comment');
    // Only FastFix's answers, wherever they were.
    expect(mine.body.items.every((i: { vendorId: string }) => i.vendorId === t.units.fastfix)).toBe(true);
    // Without the filter, the vendor's own subtree only (as before): the Berlin answer is not there.
    const own = await list(t.tokens.vendor, {});
    expect(own.status).toBe(200);
    expect(own.body.items.some((i: { id: string }) => i.id === row!.id)).toBe(false);
    expect((await list(t.tokens.otherVendor, { vendorId: t.units.fastfix! })).status).toBe(404);
    expect((await list(t.tokens.vendor, { vendorId: t.units.quickserve! })).status).toBe(404);
    // The Berlin manager lists it among Berlin's answers, with the comment rights a manager has.
    const site = await list(berlinManager, { unitId: t.units.berlin! });
    expect(site.body.items.find((i: { id: string }) => i.id === row!.id)).toMatchObject({ vendorId: t.units.fastfix });
  });

  it('agent scores: keyed by agent id, `none` without one, hidden below the agent minimum', async () => {
    await servedAndAnswered(10, { vendorId: t.units.fastfix, agentId: 'ext:77' });
    await servedAndAnswered(3, { agentId: 'usr-solo' });
    await servedAndAnswered(8, {});
    const res = await scores(t.tokens.admin, { unitId: t.units.berlin, groupBy: 'agent' });
    expect(res.status).toBe(200);
    const byKey = new Map((res.body.items as { key: string; n: number; nps: number | null; suppressed: boolean }[]).map((i) => [i.key, i]));
    // ext:77: the two promoters above (agentMinResponses 2): shown, NPS 100.
    expect(byKey.get('ext:77')).toMatchObject({ n: 2, nps: 100, suppressed: false });
    // usr-solo: one answer, below the agent minimum: counted, not shown.
    expect(byKey.get('usr-solo')).toMatchObject({ n: 1, nps: null, suppressed: true, suppressedReason: 'below_min_n' });
    expect(byKey.get('none')!.n).toBeGreaterThanOrEqual(1);
    const one = await scores(t.tokens.admin, { unitId: t.units.berlin, agentId: 'usr-solo' });
    expect(one.body.items).toMatchObject([{ key: 'all', n: 1, nps: null, suppressed: true }]);
    // Shrinkage is of whole units toward their siblings: not of a vendor's or an agent's answers.
    for (const extra of [{ vendorId: t.units.fastfix }, { agentId: 'ext:77' }, { groupBy: 'agent' }]) {
      const shrunk = await scores(t.tokens.admin, { unitId: t.units.berlin, estimate: 'shrunk', ...extra });
      expect(shrunk.status, JSON.stringify(extra)).toBe(422);
    }
  });
});
