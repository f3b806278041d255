import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../src/db/client';
import { auditLog, cases, responses, tenants } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { answerRow, makeTouchpoint } from './program-fixture';
import { call, db, makeTenant, PASSWORD, runCron, uniq, type Fixture } from './support';

/*
 * Agent views (docs/dimensions.md "Agent views"). Minimum n: minResponses 1, agentMinResponses 3,
 * so agent scores need 3 answers. Answers yesterday (inside the 90-day window), one 120 days ago
 * (outside it):
 *   agent (Berlin), own id:   10 10 6        → P 2, D 1, n 3 → NPS 100 · 1 / 3 = 33.3…
 *   agent, external `tix-7`:  9 (comment)    → mapped later: n 4, P 3, D 1 → NPS 50
 *   agent, 120 days ago:      0              → outside the window, never counted
 *   agent2 (Paris):           10 10          → n 2, below 3: counts only
 *   agent3 (New York):        8 8 8          → n 3, NPS 0 (shown until marked)
 */

let t: Fixture;
const agent2 = { id: '', token: '' };
const agent3 = { id: '', token: '' };
let sixId = '';
const get = (path: string, token: string) => call('GET', path, { token });
const me = (token: string) => get('/api/v1/agents/me', token);
const mapAgent = (agentId: string, userId: string | null, token = t.tokens.admin) => call('PUT', `/api/v1/agents/${agentId}`, { token, body: { userId } });
const settings = (body: unknown, token = t.tokens.admin) => call('PATCH', '/api/v1/settings', { token, body });

async function user(unit: string, role: string) {
  const email = `${role}.${uniq()}@agents.test`;
  const made = await call('POST', '/api/v1/users', { token: t.tokens.admin, body: { email, password: PASSWORD, grants: [{ unitId: unit, role }] } });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  const login = await call('POST', '/api/v1/auth/login', { body: { email, password: PASSWORD }, headers: { 'cf-connecting-ip': `192.0.2.${Math.floor(Math.random() * 250)}` } });
  return { id: made.body.id as string, token: login.body.token as string };
}

beforeAll(async () => {
  t = await makeTenant('Agents');
  Object.assign(agent2, await user(t.units.paris!, 'agent'));
  Object.assign(agent3, await user(t.units.newYork!, 'agent'));
  const tp = await makeTouchpoint(t.tenantId);
  const yesterday = Date.now() - 86_400_000;
  const answer = (unitId: string, score: number, agentId: string, comment: string | null = null, when = yesterday) => answerRow(t.tenantId, tp, unitId, score, when, { comment, agentId });
  const a = t.userIds.agent!;
  const rows = [
    answer(t.units.berlin!, 10, a, 'Quick and kind'),
    answer(t.units.berlin!, 10, a),
    answer(t.units.berlin!, 6, a, 'Came late'),
    answer(t.units.berlin!, 9, 'tix-7', 'Fixed it first time'),
    answer(t.units.berlin!, 0, a, 'Long ago', Date.now() - 120 * 86_400_000),
    answer(t.units.paris!, 10, agent2.id, 'Great'),
    answer(t.units.paris!, 10, agent2.id),
    ...[8, 8, 8].map((s) => answer(t.units.newYork!, s, agent3.id)),
  ];
  sixId = rows[2]!.id;
  const d = db(t.tenantId);
  await commit(d, [
    d.insert(responses).values(rows),
    d.insert(cases).values({
      id: newId('case'),
      tenantId: t.tenantId,
      responseId: sixId,
      unitId: t.units.berlin!,
      touchpointId: tp.id,
      status: 'open',
      score: 6,
      firstContactDueAt: yesterday + 3_600_000,
      resolutionDueAt: yesterday + 48 * 3_600_000,
      createdAt: yesterday,
      updatedAt: yesterday,
    }),
    d
      .update(tenants)
      .set({ settings: { minResponses: 1, agentMinResponses: 3 } })
      .where(eq(tenants.id, t.tenantId)),
  ]);
});

describe("an agent's own page", () => {
  it('their NPS with its interval over the last 90 days, their cases and comments; the same after the fold', async () => {
    for (const pass of ['live tail', 'rollups']) {
      if (pass === 'rollups') await runCron('* * * * *');
      const res = await me(t.tokens.agent);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const b = res.body;
      expect(b.agent).toMatchObject({ userId: t.userIds.agent, agentIds: [t.userIds.agent], unitIds: [t.units.berlin] });
      expect([b.windowDays, b.minimum, b.hidden]).toEqual([90, 3, null]);
      expect(Date.parse(`${b.to}T00:00:00Z`) - Date.parse(`${b.from}T00:00:00Z`)).toBe(89 * 86_400_000);
      expect(b.score).toMatchObject({ n: 3, promoters: 2, passives: 0, detractors: 1, suppressed: false });
      expect(b.score.nps).toBeCloseTo(100 / 3, 9);
      expect(b.score.ci.low).toBeLessThan(b.score.nps);
      expect(b.score.ci.high).toBeGreaterThan(b.score.nps);
      expect(b.cases.map((c: { status: string; unitId: string }) => [c.status, c.unitId])).toEqual([['open', t.units.berlin]]);
      expect(b.comments.map((c: { comment: string; score: number }) => [c.comment, c.score]).sort()).toEqual([
        ['Came late', 6],
        ['Quick and kind', 10],
      ]);
    }
  });

  it("another agent's page answers 404; the team list is for leads", async () => {
    expect((await get(`/api/v1/agents/${agent2.id}`, t.tokens.agent)).status).toBe(404);
    expect((await get(`/api/v1/agents/${t.userIds.agent}`, agent2.token)).status).toBe(404);
    expect((await get(`/api/v1/agents/${t.userIds.agent}`, t.tokens.agent)).status).toBe(200); // their own, by id
    expect((await get('/api/v1/agents/tix-7', agent2.token)).status).toBe(404);
    expect((await get('/api/v1/agents/nobody', t.tokens.admin)).status).toBe(404);
    for (const token of [t.tokens.agent, t.tokens.analyst, t.tokens.viewer, t.tokens.vendor]) expect((await get(`/api/v1/agents?unitId=${t.units.berlin}`, token)).status).not.toBe(200);
  });

  it('below the agent minimum: counts only, and the comments without their scores', async () => {
    const b = (await me(agent2.token)).body;
    expect(b.score).toMatchObject({ n: 2, nps: null, ci: null, suppressed: true, suppressedReason: 'below_min_n' });
    expect(b.hidden).toBe('below_minimum');
    expect(b.comments).toMatchObject([{ comment: 'Great', score: null }]);
  });
});

describe('mapping external agent ids to users', () => {
  it('an admin maps `tix-7` to the agent: audited, no answer rewritten, the agent now counts it', async () => {
    expect((await mapAgent('tix-7', t.userIds.agent!, t.tokens.manager)).status).toBe(403);
    expect((await mapAgent('tix-7', 'usr_nope')).status).toBe(404);
    expect((await mapAgent(agent2.id, t.userIds.agent!)).status).toBe(422); // a user id is its own agent id
    expect((await mapAgent('has space', t.userIds.agent!)).status).toBe(400);
    const res = await mapAgent('tix-7', t.userIds.agent!);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ agentId: 'tix-7', userId: t.userIds.agent });
    const audits = await db(t.tenantId)
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, t.tenantId), eq(auditLog.action, 'agent_mapping.update')));
    expect(audits.map((a) => [a.targetId, (a.details as { userId: string }).userId])).toEqual([['tix-7', t.userIds.agent]]);
    const [row] = await db(t.tenantId)
      .select({ agentId: responses.agentId })
      .from(responses)
      .where(and(eq(responses.tenantId, t.tenantId), eq(responses.comment, 'Fixed it first time')));
    expect(row!.agentId).toBe('tix-7');
    // 10 10 6 9: P 3, D 1, n 4 → NPS 50.
    const b = (await me(t.tokens.agent)).body;
    expect(b.agent.agentIds).toEqual([t.userIds.agent, 'tix-7']);
    expect(b.score).toMatchObject({ n: 4, nps: 50, suppressed: false });
    expect(b.comments).toHaveLength(3);
    expect((await get('/api/v1/agent-mappings', t.tokens.admin)).body.items).toMatchObject([{ agentId: 'tix-7', userId: t.userIds.agent }]);
    expect((await get('/api/v1/agent-mappings', t.tokens.manager)).status).toBe(403);
  });
});

describe("a team lead's view", () => {
  it("EMEA's manager sees the agents of EMEA with their scores; New York's manager does not see Berlin's agent", async () => {
    const res = await get(`/api/v1/agents?unitId=${t.units.emea}`, t.tokens.manager);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const byId = new Map(res.body.items.map((i: { userId: string }) => [i.userId, i]));
    expect([...byId.keys()].sort()).toEqual([t.userIds.agent, agent2.id].sort());
    expect(byId.get(t.userIds.agent)).toMatchObject({ hidden: null, score: { n: 4, nps: 50 } });
    expect(byId.get(agent2.id)).toMatchObject({ hidden: 'below_minimum', score: { n: 2, nps: null, suppressed: true } });
    // The lead opens one agent: the agent's numbers, with the comments the lead reads.
    const one = await get(`/api/v1/agents/${t.userIds.agent}`, t.tokens.manager);
    expect(one.status).toBe(200);
    expect(one.body.score).toMatchObject({ n: 4, nps: 50 });
    expect(one.body.comments).toHaveLength(3);
    expect((await get(`/api/v1/agents/${t.userIds.agent}`, t.tokens.siteManager)).status).toBe(404);
    expect((await get(`/api/v1/agents?unitId=${t.units.berlin}`, t.tokens.siteManager)).status).toBe(404);
    const ny = await get('/api/v1/agents', t.tokens.siteManager);
    expect(ny.body.items.map((i: { userId: string }) => i.userId)).toEqual([agent3.id]);
    expect(ny.body.items[0]).toMatchObject({ score: { n: 3, nps: 0, suppressed: false } });
  });
});

describe('answers an agent served outside their units', () => {
  it("are on the agent's own page wherever they were served; a lead sees the comments of units the lead reads", async () => {
    // Paris's agent covers a shift in New York: an answer with a comment and no score (so agent2's
    // n stays 2), at a unit none of agent2's grants reach.
    const tp = await makeTouchpoint(t.tenantId);
    const when = Date.now() - 2 * 86_400_000;
    await db(t.tenantId)
      .insert(responses)
      .values({
        id: newId('rsp'),
        tenantId: t.tenantId,
        touchpointId: tp.id,
        unitId: t.units.newYork!,
        surveyId: tp.surveyId,
        surveyVersion: 1,
        channel: 'link',
        locale: 'en',
        score: null,
        comment: 'Covered the New York desk',
        counted: true,
        agentId: agent2.id,
        createdAt: when,
        updatedAt: when,
      });
    const own = (await me(agent2.token)).body;
    expect(own.comments.map((c: { comment: string; unitId: string }) => [c.comment, c.unitId]).sort()).toEqual([
      ['Covered the New York desk', t.units.newYork],
      ['Great', t.units.paris],
    ]);
    expect(own.score).toMatchObject({ n: 2 });
    // EMEA's manager leads Paris but does not read New York: Paris's comment only. The admin reads both.
    const lead = await get(`/api/v1/agents/${agent2.id}`, t.tokens.manager);
    expect(lead.body.comments.map((c: { comment: string }) => c.comment)).toEqual(['Great']);
    expect((await get(`/api/v1/agents/${agent2.id}`, t.tokens.admin)).body.comments).toHaveLength(2);
  });
});

describe('not for individual evaluation', () => {
  it('a marked unit hides its agents everywhere (counts only in the scores API); a marked role hides every agent', async () => {
    expect((await settings({ notForIndividualEvaluation: { roles: [], unitIds: ['unit_nope'] } })).status).toBe(422);
    expect((await settings({ notForIndividualEvaluation: { roles: [], unitIds: [t.units.emea] } }, t.tokens.manager)).status).toBe(403);
    const set = await settings({ notForIndividualEvaluation: { roles: [], unitIds: [t.units.emea] } });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.notForIndividualEvaluation).toEqual({ roles: [], unitIds: [t.units.emea] });
    const audit = await db(t.tenantId)
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, t.tenantId), eq(auditLog.action, 'settings.update')));
    expect(audit.flatMap((a) => (a.details as { changed: string[] }).changed)).toContain('notForIndividualEvaluation.unitIds');

    const mine = (await me(t.tokens.agent)).body;
    expect([mine.score, mine.hidden]).toEqual([null, 'not_for_individual_evaluation']);
    expect(mine.comments.every((c: { score: number | null }) => c.score === null)).toBe(true);
    const team = (await get(`/api/v1/agents?unitId=${t.units.emea}`, t.tokens.manager)).body.items;
    expect(team.every((i: { score: unknown; hidden: string }) => i.score === null && i.hidden === 'not_for_individual_evaluation')).toBe(true);
    // The scores API: the agent's counts, no score, whoever asks; New York's agent still shown.
    const byAgent = await get(`/api/v1/scores?groupBy=agent`, t.tokens.admin);
    const item = (key: string) => byAgent.body.items.find((i: { key: string }) => i.key === key);
    expect(item(t.userIds.agent!)).toMatchObject({ n: 3, nps: null, ci: null, suppressed: true, suppressedReason: 'not_for_individual_evaluation' });
    expect(item('tix-7')).toMatchObject({ n: 1, nps: null, suppressedReason: 'not_for_individual_evaluation' });
    expect(item(agent3.id)).toMatchObject({ n: 3, nps: 0, suppressed: false });
    expect((await get('/api/v1/scores?agentId=tix-7', t.tokens.admin)).body.items[0]).toMatchObject({ n: 1, nps: null, suppressedReason: 'not_for_individual_evaluation' });

    // The role: every agent.
    expect((await settings({ notForIndividualEvaluation: { roles: ['agent'], unitIds: [] } })).status).toBe(200);
    expect((await me(agent3.token)).body).toMatchObject({ score: null, hidden: 'not_for_individual_evaluation' });
    expect((await get(`/api/v1/scores?groupBy=agent&unitId=${t.units.newYork}`, t.tokens.admin)).body.items.find((i: { key: string }) => i.key === agent3.id)).toMatchObject({
      nps: null,
      suppressedReason: 'not_for_individual_evaluation',
    });
    // Unmarked again: shown.
    expect((await settings({ notForIndividualEvaluation: { roles: [], unitIds: [] } })).status).toBe(200);
    expect((await me(t.tokens.agent)).body.score).toMatchObject({ n: 4, nps: 50 });
  });
});
