import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../src/db/client';
import { responses, surveys, surveyVersions, touchpoints } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { standardSurvey } from '../../src/surveys/templates';
import { call, db, makeTenant, uniq, type Fixture } from './support';

/**
 * Where action plans start: GET /api/v1/action-plans/owners (who can own a plan on a unit). The
 * themes a plan can start from are tested in themes.test.ts.
 */

let t: Fixture;
let other: Fixture;

/** Comments with their category written out; the expected themes below are counted by hand. */
const COMMENTS: { unit: 'berlin' | 'paris' | 'newYork'; score: number; comment: string; at: string; counted?: boolean }[] = [
  { unit: 'berlin', score: 2, comment: 'Engineer late twice', at: '2026-03-02T10:00:00Z' },
  { unit: 'paris', score: 5, comment: 'The engineer: late arrival!', at: '2026-03-03T10:00:00Z' },
  { unit: 'berlin', score: 0, comment: 'Rude engineer, rude.', at: '2026-03-04T10:00:00Z' },
  { unit: 'berlin', score: 7, comment: 'Engineer was late', at: '2026-03-04T11:00:00Z' },
  { unit: 'paris', score: 10, comment: 'Great engineer', at: '2026-03-05T10:00:00Z' },
  { unit: 'berlin', score: 9, comment: 'Punctual and great', at: '2026-03-05T11:00:00Z' },
  // Not counted: no theme.
  { unit: 'berlin', score: 1, comment: 'Spam spam', at: '2026-03-05T12:00:00Z', counted: false },
  // Outside EMEA and outside the window.
  { unit: 'newYork', score: 3, comment: 'Dispatcher late', at: '2026-03-03T10:00:00Z' },
  { unit: 'berlin', score: 1, comment: 'Invoice wrong', at: '2026-02-20T10:00:00Z' },
];

beforeAll(async () => {
  [t, other] = await Promise.all([makeTenant('Sources'), makeTenant('SourcesOther')]);
  const d = db();
  const now = Date.now();
  const surveyId = newId('srv');
  const tp = newId('tp');
  await commit(d, [
    d.insert(surveys).values({ id: surveyId, tenantId: t.tenantId, name: 'S', defaultLocale: 'en', draft: standardSurvey('X'), publishedVersion: 1, createdAt: now, updatedAt: now }),
    d.insert(surveyVersions).values({ id: newId('srv_v'), tenantId: t.tenantId, surveyId, version: 1, definition: standardSurvey('X'), createdAt: now }),
    d.insert(touchpoints).values({ id: tp, tenantId: t.tenantId, key: 'visit', name: 'Visit', kind: 'site_visit', surveyId, channels: ['email'], createdAt: now, updatedAt: now }),
  ]);
  await d.insert(responses).values(
    COMMENTS.map((c) => ({
      id: newId('rsp'),
      tenantId: t.tenantId,
      touchpointId: tp,
      unitId: t.units[c.unit]!,
      surveyId,
      surveyVersion: 1,
      channel: 'email' as const,
      locale: 'en',
      score: c.score,
      comment: c.comment,
      counted: c.counted ?? true,
      qualityFlags: c.counted === false ? ['bulk'] : [],
      answeredAt: Date.parse(c.at),
      createdAt: Date.parse(c.at),
      updatedAt: Date.parse(c.at),
    })),
  );
});

describe('GET /api/v1/action-plans/owners', () => {
  let teamLead: string;
  let disabled: string;
  let paused: string;
  beforeAll(async () => {
    const team = await call('POST', '/api/v1/units', { token: t.tokens.admin, body: { name: 'Berlin North', kind: 'team', parentId: t.units.berlin } });
    expect(team.status).toBe(201);
    const user = async (name: string, grants: { unitId: string; role: string }[]) => {
      const res = await call('POST', '/api/v1/users', {
        token: t.tokens.admin,
        body: { email: `${name.toLowerCase().replace(/\W+/g, '.')}.${uniq()}@sources.test`, name, password: 'a-long-password-1', grants },
      });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    teamLead = await user('Team Lead', [{ unitId: team.body.id, role: 'manager' }]);
    disabled = await user('Gone Manager', [{ unitId: t.units.berlin!, role: 'manager' }]);
    paused = await user('Berlin Analyst', [{ unitId: t.units.berlin!, role: 'analyst' }]);
    expect((await call('PATCH', `/api/v1/users/${disabled}`, { token: t.tokens.admin, body: { status: 'disabled' } })).status).toBe(200);
  });

  const owners = async (token: string, unit: string) => {
    const res = await call('GET', `/api/v1/action-plans/owners?unitId=${unit}`, { token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return (res.body.items as { id: string; name: string; email: string }[]).map((u) => u.id).sort();
  };

  it('admins and managers on the unit, above it or below it; active users of this tenant only', async () => {
    // Berlin: the root admin and the EMEA manager above, the team lead below.
    expect(await owners(t.tokens.manager, t.units.berlin!)).toEqual([t.userIds.admin, t.userIds.manager, teamLead].sort());
    expect(await owners(t.tokens.manager, t.units.paris!)).toEqual([t.userIds.admin, t.userIds.manager].sort());
    expect(await owners(t.tokens.admin, t.units.emea!)).toEqual([t.userIds.admin, t.userIds.manager, teamLead].sort());
    expect(await owners(t.tokens.admin, t.units.americas!)).toEqual([t.userIds.admin, t.userIds.siteManager].sort());
    const res = await call('GET', `/api/v1/action-plans/owners?unitId=${t.units.berlin}`, { token: t.tokens.admin });
    const lead = res.body.items.find((u: { id: string }) => u.id === teamLead);
    expect(lead).toEqual({ id: teamLead, name: 'Team Lead', email: expect.stringMatching(/^team\.lead\./) });
    const text = JSON.stringify(res.body);
    for (const never of [disabled, paused, t.userIds.analyst, t.userIds.vendor, other.userIds.admin, other.userIds.manager]) expect(text).not.toContain(never);
  });

  it('the EMEA manager asking for an Americas unit: 404; roles that do not write plans: 403; no unit: 400', async () => {
    for (const unit of [t.units.americas, t.units.newYork, t.units.root, other.units.berlin]) {
      const res = await call('GET', `/api/v1/action-plans/owners?unitId=${unit}`, { token: t.tokens.manager });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
    for (const login of ['analyst', 'viewer'] as const) expect((await call('GET', `/api/v1/action-plans/owners?unitId=${t.units.berlin}`, { token: t.tokens[login] })).status, login).toBe(403);
    expect((await call('GET', `/api/v1/action-plans/owners?unitId=${t.units.fastfix}`, { token: t.tokens.vendor })).status).toBe(403);
    expect((await call('GET', '/api/v1/action-plans/owners', { token: t.tokens.manager })).status).toBe(400);
  });

  it('the chosen owner is stored on the plan', async () => {
    const plan = await call('POST', '/api/v1/action-plans', { token: t.tokens.manager, body: { unitId: t.units.berlin, title: 'Punctuality', theme: 'late', ownerUserId: teamLead } });
    expect(plan.status).toBe(201);
    const got = await call('GET', `/api/v1/action-plans/${plan.body.id}`, { token: t.tokens.manager });
    expect(got.body.ownerUserId).toBe(teamLead);
  });
});
