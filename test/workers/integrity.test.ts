import { and, eq, inArray } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { invitations, responses, sessions, signInNetworks } from '../../src/db/schema';
import { signSurveyLink } from '../../src/surveys/token';
import { config, send } from './capture-fixture';
import { makeKey, makeTouchpoint } from './program-fixture';
import { newId } from '../../src/lib/ids';
import { call, db, makeTenant, PASSWORD, runCron, uniq, type Fixture } from './support';

/*
 * Safeguards against gaming (docs/integrity.md). One tenant with a planted steering agent (their
 * customers answer 10, from the agent's own sign-in network, minutes after the service, several
 * with the same coached comment), an honest high performer (many answers, high but plausible
 * scores, hours after the service, from the customers' own networks, varied comments) and four
 * ordinary peers. Every expected figure is derived below from the plan of the data, by hand or
 * by a brute-force binomial sum written here, never read from the report.
 */

let t: Fixture;
let key: string;
let tp: { key: string };
const agentIp = { steer: '203.0.113.7', honest: '203.0.113.8' };
const agentUser: Record<'steer' | 'honest', { id: string; token: string }> = {} as never;
/** Response ids per agent, as captured. */
const answered: Record<string, string[]> = {};

const MIN = 60_000;
const HOUR = 60 * MIN;
const words = () => `${uniq()} ${uniq()} ${uniq()} ${uniq()}`;

/** The plan: per agent its unit, invitations, answers (scores in order), minutes between service and answer, network, comments. */
interface Plan {
  agent: string;
  unit: 'berlin' | 'paris' | 'newYork';
  issued: number;
  scores: number[];
  minutesAfter: (i: number) => number;
  ip?: string;
  comment: (i: number) => string | undefined;
}

const PEER_SCORES = [10, 9, 8, 7, 10, 9, 6, 8, 10, 5, 10, 8, 3, 9, 7, 8]; // 16 answers, four 10s
const HONEST_SCORES = [10, 9, 10, 9, 8, 10, 9, 10, 9, 8, 10, 10, 9, 10, 9, 8, 10, 9, 10, 9, 8, 10, 10, 9, 10, 9, 8, 10, 9, 10, 9, 8, 10]; // 33 answers
const COACHED = ['Sam was AMAZING, best service ever. 10/10 from me!', 'sam was amazing - best service ever, 10 10 from me', 'Sam was amazing; best service ever! 10/10 from me.'];

let plans: Plan[];

beforeAll(async () => {
  t = await makeTenant('Integrity');
  key = await makeKey(t.tokens.admin);
  tp = await makeTouchpoint(t.tenantId, { delayMinutes: 0 });
  // Two agents with accounts, each signing in from their own network.
  for (const who of ['steer', 'honest'] as const) {
    const email = `${who}.${uniq()}@integrity.test`;
    const made = await call('POST', '/api/v1/users', {
      token: t.tokens.admin,
      body: { email, name: who, password: PASSWORD, grants: [{ unitId: who === 'steer' ? t.units.berlin : t.units.paris, role: 'agent' }] },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const login = await call('POST', '/api/v1/auth/login', { body: { email, password: PASSWORD }, headers: { 'cf-connecting-ip': agentIp[who] } });
    expect(login.status).toBe(200);
    agentUser[who] = { id: made.body.id, token: login.body.token };
  }
  plans = [
    // Steering: 36 jobs, 34 answered, every one a 10, two minutes after the service, from the agent's own network; 9 coached comments.
    { agent: agentUser.steer.id, unit: 'berlin', issued: 36, scores: Array(34).fill(10), minutesAfter: () => 2, ip: agentIp.steer, comment: (i) => (i < 9 ? COACHED[i % 3] : undefined) },
    // The honest high performer: 60 jobs, 33 answered (55 %), fifteen 10s (45 %), hours after the service, varied comments.
    { agent: agentUser.honest.id, unit: 'paris', issued: 60, scores: HONEST_SCORES, minutesAfter: (i) => (2 + i) * 60, comment: () => `Visit went well ${words()}` },
    // Peers: external agent ids, 40 jobs each, 16 answered.
    ...(['berlin', 'berlin', 'paris', 'newYork'] as const).map((unit, k) => ({
      agent: `ext:peer${k}`,
      unit,
      issued: 40,
      scores: PEER_SCORES,
      minutesAfter: (i: number) => (3 + i) * 60,
      comment: (i: number) => (i % 2 ? `Technician ${words()}` : undefined),
    })),
  ];

  // Contacts, one per job (no fatigue rule can keep one from being invited).
  const jobs = plans.flatMap((p) => Array.from({ length: p.issued }, (_, i) => ({ p, i, contact: `int_${uniq()}${uniq()}` })));
  const imported = await call('POST', '/api/v1/contacts/import', {
    token: t.tokens.admin,
    rawBody: `externalId,email\n${jobs.map((j) => `${j.contact},${j.contact}@example.test`).join('\n')}\n`,
    headers: { 'content-type': 'text/csv' },
  });
  expect(imported.status, JSON.stringify(imported.body)).toBe(200);
  const now = Date.now();
  const ingested = await call('POST', '/api/v1/events', {
    token: key,
    body: {
      events: jobs.map((j) => ({
        id: `ev-${uniq()}${uniq()}`,
        type: 'ticket.resolved',
        // Answered jobs: the service lies `minutesAfter` before now (the answer comes now); others a day ago.
        occurredAt: new Date(now - (j.i < j.p.scores.length ? j.p.minutesAfter(j.i) * MIN : 24 * HOUR)).toISOString(),
        contactId: j.contact,
        unitId: t.units[j.p.unit],
        touchpoint: tp.key,
        agentId: j.p.agent,
      })),
    },
  });
  expect(ingested.status, JSON.stringify(ingested.body)).toBe(200);
  const invitationIds: string[] = ingested.body.results.map((r: { invitationId?: string }) => r.invitationId);
  expect(invitationIds.every(Boolean), JSON.stringify(ingested.body.results.find((r: { invitationId?: string }) => !r.invitationId))).toBe(true);
  const rows = await db(t.tenantId)
    .select()
    .from(invitations)
    .where(and(eq(invitations.tenantId, t.tenantId), inArray(invitations.id, invitationIds)));
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const [n, j] of jobs.entries()) {
    if (j.i >= j.p.scores.length) continue;
    const inv = byId.get(invitationIds[n]!)!;
    const token = await signSurveyLink(config(), { tenantId: t.tenantId, invitationId: inv.id, surveyId: inv.surveyId, surveyVersion: inv.surveyVersion }, inv.expiresAt);
    const comment = j.p.comment(j.i);
    const res = await send('POST', `/s/${token}`, { json: { score: j.p.scores[j.i], ...(comment ? { comment } : {}) }, ...(j.p.ip ? { ip: j.p.ip } : {}) });
    expect(res.status, res.text).toBe(200);
  }
  const stored = await db(t.tenantId).select({ id: responses.id, agentId: responses.agentId }).from(responses).where(eq(responses.tenantId, t.tenantId));
  for (const r of stored) (answered[r.agentId!] ??= []).push(r.id);
}, 240_000);

/** P(X ≥ x) for X ~ Binomial(n, p), summed from the definition (the test's own, independent of src/scoring). */
function tail(x: number, n: number, p: number) {
  let sum = 0;
  for (let k = x; k <= n; k++) {
    let c = 1;
    for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
    sum += c * p ** k * (1 - p) ** (n - k);
  }
  return sum;
}

const report = async (query = '', token = t.tokens.admin) => call('GET', `/api/v1/integrity${query}`, { token });
const signal = (subject: { signals: { signal: string }[] }, name: string) => subject.signals.find((s) => s.signal === name) as any;

describe('what is stored: fingerprints, never addresses', () => {
  it("the agent's sign-in keeps a keyed network fingerprint on the session and in sign_in_networks; the answer keeps the respondent's", async () => {
    const [session] = await db(t.tenantId)
      .select()
      .from(sessions)
      .where(and(eq(sessions.tenantId, t.tenantId), eq(sessions.userId, agentUser.steer.id)));
    expect(session!.networkHash).toMatch(/^[0-9a-f]{64}$/);
    const nets = await db(t.tenantId)
      .select()
      .from(signInNetworks)
      .where(and(eq(signInNetworks.tenantId, t.tenantId), eq(signInNetworks.userId, agentUser.steer.id)));
    expect(nets.map((n) => n.networkHash)).toEqual([session!.networkHash]);
    const steered = await db(t.tenantId).select({ networkHash: responses.networkHash }).from(responses).where(eq(responses.id, answered[agentUser.steer.id]![0]!));
    // Same network (the steering agent's address) gives the same fingerprint; the honest agent's customers, other ones.
    expect(steered[0]!.networkHash).toBe(session!.networkHash);
    const honest = await db(t.tenantId).select({ networkHash: responses.networkHash }).from(responses).where(inArray(responses.id, answered[agentUser.honest.id]!));
    expect(honest.every((r) => r.networkHash !== null && r.networkHash !== session!.networkHash)).toBe(true);
    // No raw address in either row.
    expect(JSON.stringify([session, nets, steered])).not.toContain('203.0.113');
  });
});

describe('sign-in networks are kept 180 days after their last sign-in', () => {
  it('the daily credentials purge deletes an older one and keeps a recent one', async () => {
    const now = Date.now();
    const d = db(t.tenantId);
    const [old, recent] = [`old${uniq()}`.padEnd(64, '0'), `new${uniq()}`.padEnd(64, '0')];
    await d.insert(signInNetworks).values([
      { tenantId: t.tenantId, userId: agentUser.honest.id, networkHash: old, firstAt: now - 400 * 86_400_000, lastAt: now - 181 * 86_400_000 },
      { tenantId: t.tenantId, userId: agentUser.honest.id, networkHash: recent, firstAt: now - 400 * 86_400_000, lastAt: now - 179 * 86_400_000 },
    ]);
    // An expired session makes the daily credentials job due (its probe), as any day with sign-ins does.
    await d.insert(sessions).values({ id: newId('ses'), tenantId: t.tenantId, userId: agentUser.honest.id, expiresAt: now - 60_000, createdAt: now - 120_000 });
    await runCron('0 3 * * *', now);
    const left = await d
      .select({ networkHash: signInNetworks.networkHash })
      .from(signInNetworks)
      .where(and(eq(signInNetworks.tenantId, t.tenantId), inArray(signInNetworks.networkHash, [old, recent])));
    expect(left.map((r) => r.networkHash)).toEqual([recent]);
  });
});

describe('GET /api/v1/integrity', () => {
  it('flags the planted steering with its evidence, and not the honest high performer', async () => {
    const res = await report();
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const body = res.body;
    expect(body.unitId).toBe(t.units.root);
    expect(body.days).toBe(90);
    expect(body.answers).toBe(34 + 33 + 4 * 16);
    const steer = body.agents.find((a: any) => a.agentId === agentUser.steer.id);
    const honest = body.agents.find((a: any) => a.agentId === agentUser.honest.id);
    expect(steer.name).toBe('steer');
    // Flagged agents come first.
    expect(body.agents[0].agentId).toBe(agentUser.steer.id);

    // (c) The agent's own network: all 34 answers came from the address the agent signs in from.
    const own = signal(steer, 'own_network');
    expect(own).toMatchObject({ flagged: true, status: 'flagged', count: 34, total: 34, rate: 1, peerCount: 0, peerTotal: 97 });
    expect(own.examples).toHaveLength(5);
    for (const id of own.examples) expect(answered[agentUser.steer.id]).toContain(id);

    // (b) Share of 10s: 34 of 34. Peers pooled: the honest agent's 15 of 33 and the four peers' 4 of 16 each: 31 of 97.
    // Tested against 31/97 + 0.2, p = q^34 (every answer a 10). Tested agents (n ≥ 30): steer and honest, so Holm gives 2p.
    const tens = signal(steer, 'tens');
    const q = 31 / 97 + 0.2;
    expect(tens).toMatchObject({ flagged: true, count: 34, total: 34, peerCount: 31, peerTotal: 97 });
    expect(tens.testedRate).toBeCloseTo(q, 12);
    expect(tens.p).toBeCloseTo(q ** 34, 15);
    expect(tens.pAdjusted).toBeCloseTo(Math.min(1, 2 * q ** 34), 15);

    // (d) Bursts: all 34 answered two minutes after the service; no peer answer within ten minutes (0 of 97): tested against 0.2, p = 0.2^34.
    const bursts = signal(steer, 'bursts');
    expect(bursts).toMatchObject({ flagged: true, count: 34, total: 34, peerCount: 0, peerTotal: 97 });
    expect(bursts.p).toBeCloseTo(0.2 ** 34, 30);

    // (e) Near-identical comments: nine coached comments, three wordings that differ only in case and punctuation, one cluster.
    expect(signal(steer, 'near_duplicates')).toMatchObject({ flagged: true, count: 9, total: 9, clusters: 1 });

    // (a) Response rate: 34 of 36 invitations. Peers: 33 of 60 and 16 of 40 four times: 97 of 220. All six agents have
    // at least 30 invitations, so Holm multiplies the smallest p (the steering agent's) by 6.
    const rr = signal(steer, 'response_rate');
    const p = tail(34, 36, 97 / 220 + 0.2);
    expect(rr).toMatchObject({ count: 34, total: 36, peerCount: 97, peerTotal: 220 });
    expect(rr.p).toBeCloseTo(p, 12);
    expect(rr.pAdjusted).toBeCloseTo(Math.min(1, 6 * p), 12);
    expect(rr.flagged).toBe(6 * p < 0.05);
    expect(rr.flagged).toBe(true);

    // The honest high performer: many answers, NPS (15 promoters, 0 detractors of 33) far above the peers, nothing flagged.
    expect(honest.answers).toBe(33);
    expect(honest.flagged).toBe(false);
    for (const s of honest.signals) expect(s.flagged, s.signal).toBe(false);
    expect(signal(honest, 'own_network').count).toBe(0);
    expect(signal(honest, 'bursts').count).toBe(0);
    expect(signal(honest, 'near_duplicates').count).toBe(0);
    // Its share of 10s (15 of 33) against the others' (34 + 16 = 50 of 98) + 0.2: not significant.
    const hTens = signal(honest, 'tens');
    expect(hTens).toMatchObject({ count: 15, total: 33, peerCount: 50, peerTotal: 98, status: 'not_flagged' });
    expect(hTens.p).toBeCloseTo(tail(15, 33, 50 / 98 + 0.2), 12);
    // Peers with 16 answers are below the minimum n of 30 for the tested shares.
    const peer = body.agents.find((a: any) => a.agentId === 'ext:peer0');
    expect(signal(peer, 'tens').status).toBe('too_few');
    expect(peer.flagged).toBe(false);
  });

  it('per unit: Berlin (where the steering agent works) is flagged for its own-network answers and bursts; Paris and New York are not', async () => {
    const body = (await report()).body;
    const site = (id: string | undefined) => body.sites.find((s: any) => s.unitId === id);
    const berlin = site(t.units.berlin);
    expect(berlin.answers).toBe(34 + 2 * 16);
    expect(signal(berlin, 'own_network')).toMatchObject({ flagged: true, count: 34 });
    // Berlin: 34 of 66 within ten minutes; the other units 0 of 65.
    expect(signal(berlin, 'bursts')).toMatchObject({ flagged: true, count: 34, total: 66, peerCount: 0, peerTotal: 65 });
    for (const id of [t.units.paris, t.units.newYork]) expect(site(id).flagged).toBe(false);
  });

  it('a window and a unit narrow it; the default window is the 90 days up to today', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const start = new Date(Date.parse(`${today}T00:00:00Z`) - 89 * 86_400_000).toISOString().slice(0, 10);
    const dflt = (await report()).body;
    expect([dflt.from, dflt.to]).toEqual([start, today]);
    const past = await report('?from=2020-01-01&to=2020-03-31');
    expect(past.status).toBe(200);
    expect(past.body).toMatchObject({ answers: 0, agents: [], sites: [], days: 91 });
    const paris = await report(`?unitId=${t.units.paris}`);
    expect(paris.status).toBe(200);
    // Paris alone: the honest agent and one peer.
    expect(paris.body.agents.map((a: any) => a.agentId).sort()).toEqual([agentUser.honest.id, 'ext:peer2'].sort());
  });

  it('the analyst reads it; the agents themselves, managers and vendors do not (403)', async () => {
    expect((await report('', t.tokens.analyst)).status).toBe(200);
    for (const token of [agentUser.steer.token, agentUser.honest.token, t.tokens.manager, t.tokens.vendor, t.tokens.agent, t.tokens.viewer]) {
      const res = await report('', token);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
      expect(JSON.stringify(res.body)).not.toContain(agentUser.steer.id);
    }
  });

  it('bad input is a 4xx with the envelope', async () => {
    for (const [query, status] of [
      ['?from=2026-03-01&to=2026-02-01', 400],
      ['?from=2026-02-30', 400],
      ['?from=2024-01-01&to=2026-01-01', 400],
      ['?unitId=unit_nope', 404],
      ['?window=7', 400],
    ] as const) {
      const res = await report(query);
      expect(res.status, query).toBe(status);
      expect(res.body.error.code, query).toBeTypeOf('string');
      expect(res.body.error.requestId, query).toBeTypeOf('string');
    }
  });
});
