import { TenantDb } from '../../src/db/tenant-db';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeSentInvitation } from './invitation-fixture';
import { cases as caseRows, responses } from '../../src/db/schema';
import { alerts } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { providerSpace } from './provider';
import { makeSurvey } from './capture-fixture';
import { call, db, makeTenant, uniq, type CallResult, type Fixture, type Login } from './support';

/**
 * The role × route matrix of one tenant. Expectations come from the access rules, written out
 * here, never from what the API answers:
 *  - a grant reaches the granted unit's whole subtree;
 *  - every role reads within its reach; only admin writes (units, within its reach);
 *  - a unit outside the caller's read reach answers 404 (not disclosed), a unit within it
 *    that the caller may not change answers 403;
 *  - users, API keys and the audit log are tenant-wide: admin on the root, else 403.
 */

let t: Fixture;

type UnitKey = 'root' | 'emea' | 'americas' | 'berlin' | 'paris' | 'newYork' | 'fastfix' | 'quickserve';
const LABEL: Record<UnitKey, string> = {
  root: 'root',
  emea: 'EMEA',
  americas: 'Americas',
  berlin: 'Berlin',
  paris: 'Paris',
  newYork: 'New York',
  fastfix: 'FastFix',
  quickserve: 'QuickServe',
};
const ALL_UNITS = Object.keys(LABEL) as UnitKey[];
const LOGINS: Login[] = ['admin', 'analyst', 'manager', 'siteManager', 'agent', 'vendor', 'otherVendor', 'viewer'];

/** Each login's one grant, as the fixture makes it. */
const GRANT: Record<Login, { role: string; unit: UnitKey }> = {
  admin: { role: 'admin', unit: 'root' },
  analyst: { role: 'analyst', unit: 'root' },
  manager: { role: 'manager', unit: 'emea' },
  siteManager: { role: 'manager', unit: 'newYork' },
  agent: { role: 'agent', unit: 'berlin' },
  vendor: { role: 'vendor', unit: 'fastfix' },
  otherVendor: { role: 'vendor', unit: 'quickserve' },
  viewer: { role: 'viewer', unit: 'root' },
};

/** Which fixture units each login sees: its grant's unit and everything below. */
const SEES: Record<Login, UnitKey[]> = {
  admin: ALL_UNITS,
  analyst: ALL_UNITS,
  viewer: ALL_UNITS,
  manager: ['emea', 'berlin', 'paris'],
  siteManager: ['newYork'],
  agent: ['berlin'],
  vendor: ['fastfix'],
  otherVendor: ['quickserve'],
};
/** Where each login may change units: only admin, within its reach (the root's subtree). */
const WRITES: Record<Login, UnitKey[]> = {
  admin: ALL_UNITS,
  analyst: [],
  viewer: [],
  manager: [],
  siteManager: [],
  agent: [],
  vendor: [],
  otherVendor: [],
};
/** Tenant-wide management (users, API keys, audit log): admin on the root only. */
const TENANT_ADMIN = new Set<Login>(['admin']);

const readStatus = (login: Login, unit: UnitKey) => (SEES[login].includes(unit) ? 200 : 404);
const writeStatus = (login: Login, unit: UnitKey, ok: number) => (WRITES[login].includes(unit) ? ok : SEES[login].includes(unit) ? 403 : 404);
const tenantStatus = (login: Login, ok: number) => (TENANT_ADMIN.has(login) ? ok : 403);

const CODE: Record<number, string> = { 403: 'FORBIDDEN', 404: 'NOT_FOUND', 422: 'UNPROCESSABLE' };

const U = (k: UnitKey) => t.units[k]!;
const admin = () => t.tokens.admin;
const tokenOf = (login: Login) => t.tokens[login];

/** The status, and for errors the envelope with the code of that status and the request id. */
function expectOutcome(res: CallResult, expected: number) {
  expect(res.status, JSON.stringify(res.body)).toBe(expected);
  const requestId = res.headers.get('x-request-id');
  expect(requestId).toBeTruthy();
  if (expected >= 400) {
    expect(res.body.error.code).toBe(CODE[expected]);
    expect(res.body.error.message.length).toBeGreaterThan(0);
    expect(res.body.error.requestId).toBe(requestId);
  }
}

/** Request ids of refused state-changing calls: none may have left an audit row. */
const refused: { name: string; requestId: string }[] = [];

/** The allowed call wrote exactly one audit row: its action, by the caller, with its request id. */
async function expectAudited(res: CallResult, login: Login, action: string, targetId: string) {
  const requestId = res.headers.get('x-request-id');
  expect(requestId).toBeTruthy();
  const log = await call('GET', `/api/v1/audit-log?targetId=${targetId}`, { token: admin() });
  expect(log.status).toBe(200);
  const rows = log.body.items.filter((r: any) => r.requestId === requestId);
  expect(rows).toEqual([expect.objectContaining({ action, actorType: 'user', actorId: t.userIds[login], targetId, requestId })]);
}

const getUnit = (id: string) => call('GET', `/api/v1/units/${id}`, { token: admin() });
const getUser = (id: string) => call('GET', `/api/v1/users/${id}`, { token: admin() });
const newUnit = async (parent: UnitKey) => {
  const res = await call('POST', '/api/v1/units', { token: admin(), body: { name: `Target ${uniq()}`, kind: 'team', parentId: U(parent) } });
  expect(res.status).toBe(201);
  return res.body as { id: string; name: string };
};
const newUser = async (grants: { unitId: string; role: string }[] = []) => {
  const res = await call('POST', '/api/v1/users', { token: admin(), body: { email: `target.${uniq()}@authz.test`, name: 'Target', password: 'a-long-password-1', grants } });
  expect(res.status).toBe(201);
  return res.body as { id: string; email: string };
};
const newKey = async () => {
  const res = await call('POST', '/api/v1/api-keys', { token: admin(), body: { name: `target ${uniq()}`, role: 'viewer', unitId: U('paris'), scopes: ['read'] } });
  expect(res.status).toBe(201);
  return res.body as { id: string; secret: string };
};

/** A user nobody but an admin may touch: the target of every refused user and grant call. */
let bystander: { id: string; email: string };
let bystanderBefore: unknown;

/** One unit per parent that refused calls aim at (allowed calls get a fresh one each), as it was. */
const sharedUnits = new Map<UnitKey, { id: string; name: string; before: unknown }>();
async function sharedUnit(parent: UnitKey) {
  if (!sharedUnits.has(parent)) {
    const unit = await newUnit(parent);
    sharedUnits.set(parent, { ...unit, before: (await getUnit(unit.id)).body });
  }
  return sharedUnits.get(parent)!;
}
/** The live key refused revocations aim at. */
let sharedKey: { id: string; secret: string } | undefined;

/**
 * After a refused call on a shared unit: it must be as it was. A shared target that changed
 * anyway is replaced, so that one wrongly allowed call fails its own case and not the next.
 */
async function expectUnitUnchanged(parent: UnitKey, res: CallResult, expected: number, name: string) {
  refused.push({ name, requestId: res.headers.get('x-request-id')! });
  const shared = sharedUnits.get(parent)!;
  const after = await getUnit(shared.id);
  if (JSON.stringify(after.body) !== JSON.stringify(shared.before)) sharedUnits.delete(parent);
  expectOutcome(res, expected);
  expect(after.body).toEqual(shared.before);
}

/** The same for the bystander user. */
async function expectBystanderUnchanged(res: CallResult, expected: number, name: string) {
  refused.push({ name, requestId: res.headers.get('x-request-id')! });
  const after = await getUser(bystander.id);
  const before = bystanderBefore;
  if (JSON.stringify(after.body) !== JSON.stringify(before)) await makeBystander();
  expectOutcome(res, expected);
  expect(after.body).toEqual(before);
}

async function makeBystander() {
  bystander = await newUser([{ unitId: U('paris'), role: 'viewer' }]);
  bystanderBefore = (await getUser(bystander.id)).body;
  expect(bystanderBefore).toMatchObject({ status: 'active', grants: [{ unitId: U('paris'), role: 'viewer' }] });
}

interface Case {
  login: Login;
  route: string;
  target: string;
  expected: number;
  run: (login: Login, expected: number) => Promise<void>;
}
const cases: Case[] = [];
const matrix = (route: string, target: string, expected: (login: Login) => number, run: Case['run']) => {
  for (const login of LOGINS) cases.push({ login, route, target, expected: expected(login), run });
};

// ---- Units: reads -------------------------------------------------------------------------

matrix(
  'GET /api/v1/units',
  'the tree in reach',
  () => 200,
  async (login, expected) => {
    const res = await call('GET', '/api/v1/units', { token: tokenOf(login) });
    expectOutcome(res, expected);
    const items = res.body.items as { id: string; path: string }[];
    const fixtureIds = new Map(ALL_UNITS.map((k) => [U(k), k]));
    const seen = items.filter((u) => fixtureIds.has(u.id)).map((u) => fixtureIds.get(u.id));
    expect(seen.sort()).toEqual([...SEES[login]].sort());
    // Units other cases created lie inside the reach too.
    const reach = SEES[login].map((k) => t.paths[k]!.path);
    for (const u of items)
      expect(
        reach.some((p) => u.path.startsWith(p)),
        `${u.id} is outside the reach`,
      ).toBe(true);
  },
);

for (const unit of ['root', 'emea', 'berlin', 'newYork', 'fastfix', 'quickserve'] as UnitKey[]) {
  matrix(
    'GET /api/v1/units/{id}',
    LABEL[unit],
    (login) => readStatus(login, unit),
    async (login, expected) => {
      const res = await call('GET', `/api/v1/units/${U(unit)}`, { token: tokenOf(login) });
      expectOutcome(res, expected);
      if (expected === 200) {
        expect(res.body).toMatchObject({ id: U(unit), path: t.paths[unit]!.path });
      } else {
        // Not disclosed: nothing of the unit in the answer.
        expect(JSON.stringify(res.body)).not.toContain(t.paths[unit]!.path);
      }
    },
  );
}

// ---- Units: writes ------------------------------------------------------------------------

for (const parent of ['emea', 'quickserve'] as UnitKey[]) {
  matrix(
    'POST /api/v1/units',
    `under ${LABEL[parent]}`,
    (login) => writeStatus(login, parent, 201),
    async (login, expected) => {
      const name = `New ${uniq()}`;
      const before = await call('GET', `/api/v1/units?rootId=${U(parent)}`, { token: admin() });
      const res = await call('POST', '/api/v1/units', { token: tokenOf(login), body: { name, kind: 'team', parentId: U(parent) } });
      expectOutcome(res, expected);
      if (expected === 201) {
        expect(res.body).toMatchObject({ name, parentId: U(parent), path: `${t.paths[parent]!.path}${res.body.id}/` });
        expect((await getUnit(res.body.id)).status).toBe(200);
        await expectAudited(res, login, 'unit.create', res.body.id);
      } else {
        refused.push({ name: `${login} POST /api/v1/units`, requestId: res.headers.get('x-request-id')! });
        const after = await call('GET', `/api/v1/units?rootId=${U(parent)}`, { token: admin() });
        expect(after.body.items).toEqual(before.body.items);
      }
    },
  );
}

for (const parent of ['berlin', 'quickserve'] as UnitKey[]) {
  matrix(
    'PATCH /api/v1/units/{id}',
    `a new unit in ${LABEL[parent]}`,
    (login) => writeStatus(login, parent, 200),
    async (login, expected) => {
      const target = expected === 200 ? await newUnit(parent) : await sharedUnit(parent);
      const res = await call('PATCH', `/api/v1/units/${target.id}`, { token: tokenOf(login), body: { name: `Renamed ${uniq()}`, timezone: 'Europe/Berlin' } });
      if (expected !== 200) return expectUnitUnchanged(parent, res, expected, `${login} PATCH /api/v1/units/{id}`);
      expectOutcome(res, expected);
      const after = await getUnit(target.id);
      expect(after.body).toMatchObject({ name: res.body.name, timezone: 'Europe/Berlin' });
      expect(after.body.name).not.toBe(target.name);
      await expectAudited(res, login, 'unit.update', target.id);
    },
  );

  matrix(
    'DELETE /api/v1/units/{id}',
    `a new unit in ${LABEL[parent]}`,
    (login) => writeStatus(login, parent, 204),
    async (login, expected) => {
      const target = expected === 204 ? await newUnit(parent) : await sharedUnit(parent);
      const res = await call('DELETE', `/api/v1/units/${target.id}`, { token: tokenOf(login) });
      if (expected !== 204) return expectUnitUnchanged(parent, res, expected, `${login} DELETE /api/v1/units/{id}`);
      expectOutcome(res, expected);
      expect((await getUnit(target.id)).status).toBe(404);
      await expectAudited(res, login, 'unit.delete', target.id);
    },
  );
}

// ---- Users and grants (tenant-wide) -------------------------------------------------------

matrix(
  'GET /api/v1/users',
  'the tenant',
  (login) => tenantStatus(login, 200),
  async (login, expected) => {
    const res = await call('GET', '/api/v1/users', { token: tokenOf(login) });
    expectOutcome(res, expected);
    if (expected === 200) expect(res.body.items.map((u: any) => u.id)).toEqual(expect.arrayContaining(LOGINS.map((l) => t.userIds[l])));
    else expect(JSON.stringify(res.body)).not.toContain(bystander.email);
  },
);

matrix(
  'POST /api/v1/users',
  'an admin on the root',
  (login) => tenantStatus(login, 201),
  async (login, expected) => {
    const email = `new.${uniq()}@authz.test`;
    const res = await call('POST', '/api/v1/users', { token: tokenOf(login), body: { email, password: 'a-long-password-1', grants: [{ unitId: U('root'), role: 'admin' }] } });
    expectOutcome(res, expected);
    const listed = (await call('GET', '/api/v1/users', { token: admin() })).body.items.filter((u: any) => u.email === email);
    if (expected === 201) {
      expect(listed).toEqual([expect.objectContaining({ id: res.body.id, grants: [{ unitId: U('root'), role: 'admin' }] })]);
      await expectAudited(res, login, 'user.create', res.body.id);
    } else {
      refused.push({ name: `${login} POST /api/v1/users`, requestId: res.headers.get('x-request-id')! });
      expect(listed).toEqual([]);
    }
  },
);

matrix(
  'GET /api/v1/users/{id}',
  'a user',
  (login) => tenantStatus(login, 200),
  async (login, expected) => {
    const res = await call('GET', `/api/v1/users/${bystander.id}`, { token: tokenOf(login) });
    expectOutcome(res, expected);
    if (expected === 200) expect(res.body).toMatchObject({ id: bystander.id, email: bystander.email });
    else expect(JSON.stringify(res.body)).not.toContain(bystander.email);
  },
);

matrix(
  'PATCH /api/v1/users/{id}',
  'rename and disable a user',
  (login) => tenantStatus(login, 200),
  async (login, expected) => {
    const target = expected === 200 ? await newUser() : bystander;
    const res = await call('PATCH', `/api/v1/users/${target.id}`, { token: tokenOf(login), body: { name: `Renamed ${uniq()}`, status: 'disabled' } });
    if (expected !== 200) return expectBystanderUnchanged(res, expected, `${login} PATCH /api/v1/users/{id}`);
    expectOutcome(res, expected);
    expect((await getUser(target.id)).body).toMatchObject({ name: res.body.name, status: 'disabled' });
    await expectAudited(res, login, 'user.update', target.id);
  },
);

matrix(
  'PUT /api/v1/users/{id}/grants/{unitId}',
  'admin on Paris for a user',
  (login) => tenantStatus(login, 200),
  async (login, expected) => {
    const target = expected === 200 ? await newUser() : bystander;
    const res = await call('PUT', `/api/v1/users/${target.id}/grants/${U('paris')}`, { token: tokenOf(login), body: { role: 'admin' } });
    if (expected !== 200) return expectBystanderUnchanged(res, expected, `${login} PUT /api/v1/users/{id}/grants/{unitId}`);
    expectOutcome(res, expected);
    expect((await getUser(target.id)).body.grants).toEqual([{ unitId: U('paris'), role: 'admin' }]);
    await expectAudited(res, login, 'grant.set', target.id);
  },
);

matrix(
  'PUT /api/v1/users/{id}/grants/{unitId}',
  'admin on the root for oneself',
  (login) => tenantStatus(login, 200),
  async (login, expected) => {
    const self = t.userIds[login]!;
    const res = await call('PUT', `/api/v1/users/${self}/grants/${U('root')}`, { token: tokenOf(login), body: { role: 'admin' } });
    const after = await getUser(self);
    const own = [{ unitId: U(GRANT[login].unit), role: GRANT[login].role }];
    if (expected !== 200 && JSON.stringify(after.body.grants) !== JSON.stringify(own)) {
      // Escalated anyway: undo, so that the login's other cases still test its own role.
      await call('DELETE', `/api/v1/users/${self}/grants/${U('root')}`, { token: admin() });
      if (GRANT[login].unit === 'root') await call('PUT', `/api/v1/users/${self}/grants/${U('root')}`, { token: admin(), body: { role: GRANT[login].role } });
    }
    expectOutcome(res, expected);
    if (expected === 200) {
      // The admin already is one there: the grant is set again, and audited.
      expect(after.body.grants).toEqual([{ unitId: U('root'), role: 'admin' }]);
      await expectAudited(res, login, 'grant.set', self);
    } else {
      refused.push({ name: `${login} PUT grant (self)`, requestId: res.headers.get('x-request-id')! });
      expect(after.body.status).toBe('active');
      expect(after.body.grants).toEqual(own);
    }
  },
);

matrix(
  'DELETE /api/v1/users/{id}/grants/{unitId}',
  "a user's grant on Paris",
  (login) => tenantStatus(login, 204),
  async (login, expected) => {
    const target = expected === 204 ? await newUser([{ unitId: U('paris'), role: 'viewer' }]) : bystander;
    const res = await call('DELETE', `/api/v1/users/${target.id}/grants/${U('paris')}`, { token: tokenOf(login) });
    if (expected !== 204) return expectBystanderUnchanged(res, expected, `${login} DELETE /api/v1/users/{id}/grants/{unitId}`);
    expectOutcome(res, expected);
    expect((await getUser(target.id)).body.grants).toEqual([]);
    await expectAudited(res, login, 'grant.revoke', target.id);
  },
);

// ---- Surveys and touchpoints (program design) ----------------------------------------------

/** Program design is read by admins, analysts and managers, and written by admins on the root. */
const PROGRAM_READERS = new Set<Login>(['admin', 'analyst', 'manager', 'siteManager']);
const programRead = (login: Login) => (PROGRAM_READERS.has(login) ? 200 : 403);

let programSurvey: { id: string; name: string } | undefined;
let programTouchpoint: { id: string; name: string } | undefined;
async function designTargets() {
  if (!programSurvey) {
    const s = await call('POST', '/api/v1/surveys', { token: admin(), body: { name: `Program ${uniq()}` } });
    expect(s.status).toBe(201);
    programSurvey = s.body;
    const tp = await call('POST', '/api/v1/touchpoints', { token: admin(), body: { key: `tp-${uniq()}`, name: 'Visit', kind: 'site_visit', surveyId: s.body.id, channels: ['link'] } });
    expect(tp.status).toBe(201);
    programTouchpoint = tp.body;
  }
  return { survey: programSurvey!, touchpoint: programTouchpoint! };
}

for (const [route, path] of [
  ['GET /api/v1/surveys', () => '/api/v1/surveys'],
  ['GET /api/v1/surveys/{id}', (x: { survey: { id: string } }) => `/api/v1/surveys/${x.survey.id}`],
  ['GET /api/v1/touchpoints', () => '/api/v1/touchpoints'],
  ['GET /api/v1/touchpoints/{id}', (x: { touchpoint: { id: string } }) => `/api/v1/touchpoints/${x.touchpoint.id}`],
] as const) {
  matrix(route, 'program design', programRead, async (login, expected) => {
    const targets = await designTargets();
    const res = await call('GET', (path as (x: typeof targets) => string)(targets), { token: tokenOf(login) });
    expectOutcome(res, expected);
    if (expected === 403) expect(JSON.stringify(res.body)).not.toContain(targets.survey.name);
  });
}

matrix(
  'POST /api/v1/surveys',
  'a new survey',
  (login) => tenantStatus(login, 201),
  async (login, expected) => {
    const name = `Survey ${uniq()}`;
    const res = await call('POST', '/api/v1/surveys', { token: tokenOf(login), body: { name } });
    expectOutcome(res, expected);
    const listed = (await call('GET', '/api/v1/surveys', { token: admin() })).body.items.filter((x: any) => x.name === name);
    if (expected === 201) {
      expect(listed).toHaveLength(1);
      await expectAudited(res, login, 'survey.create', res.body.id);
    } else {
      refused.push({ name: `${login} POST /api/v1/surveys`, requestId: res.headers.get('x-request-id')! });
      expect(listed).toEqual([]);
    }
  },
);

for (const [route, method, path, body, ok, action] of [
  ['PATCH /api/v1/surveys/{id}', 'PATCH', (id: string) => `/api/v1/surveys/${id}`, { name: 'Renamed' }, 200, 'survey.update'],
  ['POST /api/v1/surveys/{id}/publish', 'POST', (id: string) => `/api/v1/surveys/${id}/publish`, undefined, 201, 'survey.publish'],
] as const) {
  matrix(
    route,
    'a survey',
    (login) => tenantStatus(login, ok),
    async (login, expected) => {
      const target = expected === ok ? (await call('POST', '/api/v1/surveys', { token: admin(), body: { name: `Target ${uniq()}` } })).body : (await designTargets()).survey;
      const before = (await call('GET', `/api/v1/surveys/${target.id}`, { token: admin() })).body;
      const res = await call(method, path(target.id), { token: tokenOf(login), body });
      expectOutcome(res, expected);
      const after = (await call('GET', `/api/v1/surveys/${target.id}`, { token: admin() })).body;
      if (expected === ok) {
        expect(after).not.toEqual(before);
        await expectAudited(res, login, action, target.id);
      } else {
        refused.push({ name: `${login} ${route}`, requestId: res.headers.get('x-request-id')! });
        expect(after).toEqual(before);
      }
    },
  );
}

matrix('GET /api/v1/surveys/{id}/versions', 'a published survey', programRead, async (login, expected) => {
  const { survey } = await designTargets();
  await call('POST', `/api/v1/surveys/${survey.id}/publish`, { token: admin() });
  const res = await call('GET', `/api/v1/surveys/${survey.id}/versions`, { token: tokenOf(login) });
  expectOutcome(res, expected);
  if (expected === 200) expect(res.body.items.length).toBeGreaterThan(0);
});

matrix('GET /api/v1/surveys/{id}/versions/{version}', 'version 1', programRead, async (login, expected) => {
  const { survey } = await designTargets();
  await call('POST', `/api/v1/surveys/${survey.id}/publish`, { token: admin() });
  const res = await call('GET', `/api/v1/surveys/${survey.id}/versions/1`, { token: tokenOf(login) });
  expectOutcome(res, expected);
  if (expected === 200) expect(res.body.version).toBe(1);
});

// Previewing renders a draft and stores nothing: whoever reads survey designs may.
matrix('POST /api/v1/surveys/{id}/preview', 'a survey in German', programRead, async (login, expected) => {
  const { survey } = await designTargets();
  const before = (await call('GET', `/api/v1/surveys/${survey.id}`, { token: admin() })).body;
  const res = await call('POST', `/api/v1/surveys/${survey.id}/preview`, { token: tokenOf(login), body: { locale: 'de' } });
  expectOutcome(res, expected);
  if (expected === 200) expect(res.body).toContain('<html lang="de"');
  else expect(JSON.stringify(res.body)).not.toContain(survey.name);
  expect((await call('GET', `/api/v1/surveys/${survey.id}`, { token: admin() })).body).toEqual(before);
});

matrix(
  'POST /api/v1/touchpoints',
  'a new touchpoint',
  (login) => tenantStatus(login, 201),
  async (login, expected) => {
    const { survey } = await designTargets();
    const key = `new-${uniq()}`;
    const res = await call('POST', '/api/v1/touchpoints', { token: tokenOf(login), body: { key, name: 'New', kind: 'invoice', surveyId: survey.id, channels: ['email'] } });
    expectOutcome(res, expected);
    const listed = (await call('GET', '/api/v1/touchpoints', { token: admin() })).body.items.filter((x: any) => x.key === key);
    if (expected === 201) {
      expect(listed).toHaveLength(1);
      await expectAudited(res, login, 'touchpoint.create', res.body.id);
    } else {
      refused.push({ name: `${login} POST /api/v1/touchpoints`, requestId: res.headers.get('x-request-id')! });
      expect(listed).toEqual([]);
    }
  },
);

matrix(
  'PATCH /api/v1/touchpoints/{id}',
  'a touchpoint',
  (login) => tenantStatus(login, 200),
  async (login, expected) => {
    const { touchpoint } = await designTargets();
    const before = (await call('GET', `/api/v1/touchpoints/${touchpoint.id}`, { token: admin() })).body;
    const res = await call('PATCH', `/api/v1/touchpoints/${touchpoint.id}`, { token: tokenOf(login), body: { delayMinutes: before.delayMinutes + 1 } });
    expectOutcome(res, expected);
    const after = (await call('GET', `/api/v1/touchpoints/${touchpoint.id}`, { token: admin() })).body;
    if (expected === 200) {
      expect(after.delayMinutes).toBe(before.delayMinutes + 1);
      await expectAudited(res, login, 'touchpoint.update', touchpoint.id);
    } else {
      refused.push({ name: `${login} PATCH /api/v1/touchpoints/{id}`, requestId: res.headers.get('x-request-id')! });
      expect(after).toEqual(before);
    }
  },
);

// ---- Program health --------------------------------------------------------------------------

/** The invitation funnel: who reads invitations (admin, analyst, manager), within reach; unseen units are 404. */
const INVITATION_READERS = new Set<Login>(['admin', 'analyst', 'manager', 'siteManager']);
for (const unit of ['emea', 'newYork', 'fastfix'] as UnitKey[]) {
  matrix(
    'GET /api/v1/program/funnel',
    `${LABEL[unit]}`,
    (login) => (!SEES[login].includes(unit) ? 404 : INVITATION_READERS.has(login) ? 200 : 403),
    async (login, expected) => {
      const res = await call('GET', `/api/v1/program/funnel?unitId=${U(unit)}&from=2020-01-01&to=2020-12-31`, { token: tokenOf(login) });
      expectOutcome(res, expected);
      if (expected === 200) expect(res.body.total).toMatchObject({ invited: expect.any(Number), answered: expect.any(Number) });
    },
  );
}

// ---- Scores --------------------------------------------------------------------------------

/** Aggregated scores: every role but agent, within its reach (agents work cases, not trends). */
const SCORE_READERS = new Set<Login>(['admin', 'analyst', 'manager', 'siteManager', 'vendor', 'otherVendor', 'viewer']);
for (const unit of ['emea', 'berlin', 'fastfix'] as UnitKey[]) {
  matrix(
    'GET /api/v1/scores',
    `${LABEL[unit]} by unit`,
    (login) => (!SEES[login].includes(unit) ? 404 : SCORE_READERS.has(login) ? 200 : 403),
    async (login, expected) => {
      const res = await call('GET', `/api/v1/scores?unitId=${U(unit)}&groupBy=unit`, { token: tokenOf(login) });
      expectOutcome(res, expected);
      if (expected === 200) expect(Array.isArray(res.body.items)).toBe(true);
    },
  );
}

/** Individual responses: admins, analysts, managers and vendors in reach; verbatims not for vendors. */
const ROW_READERS = new Set<Login>(['admin', 'analyst', 'manager', 'siteManager', 'vendor', 'otherVendor']);
const VERBATIM_READERS = new Set<Login>(['admin', 'analyst', 'manager', 'siteManager']);
for (const unit of ['emea', 'fastfix'] as UnitKey[]) {
  matrix(
    'GET /api/v1/exports/responses.csv',
    LABEL[unit],
    (login) => (!SEES[login].includes(unit) ? 404 : ROW_READERS.has(login) ? 200 : 403),
    async (login, expected) => {
      const res = await call('GET', `/api/v1/exports/responses.csv?unitId=${U(unit)}`, { token: tokenOf(login) });
      expectOutcome(res, expected);
      if (expected === 200) expect((res.body as string).split('\r\n')[0]!.split(',').includes('comment')).toBe(VERBATIM_READERS.has(login));
    },
  );
  matrix(
    'GET /api/v1/exports/scores.csv',
    LABEL[unit],
    (login) => (!SEES[login].includes(unit) ? 404 : SCORE_READERS.has(login) ? 200 : 403),
    async (login, expected) => {
      const res = await call('GET', `/api/v1/exports/scores.csv?unitId=${U(unit)}`, { token: tokenOf(login) });
      expectOutcome(res, expected);
    },
  );
}

// ---- API keys (tenant-wide) ---------------------------------------------------------------

matrix(
  'GET /api/v1/api-keys',
  'the tenant',
  (login) => tenantStatus(login, 200),
  async (login, expected) => {
    const res = await call('GET', '/api/v1/api-keys', { token: tokenOf(login) });
    expectOutcome(res, expected);
    if (expected === 200) expect(Array.isArray(res.body.items)).toBe(true);
    else expect(res.body.items).toBeUndefined();
  },
);

matrix(
  'POST /api/v1/api-keys',
  'an admin key',
  (login) => tenantStatus(login, 201),
  async (login, expected) => {
    const name = `key ${uniq()}`;
    const res = await call('POST', '/api/v1/api-keys', { token: tokenOf(login), body: { name } });
    expectOutcome(res, expected);
    const listed = (await call('GET', '/api/v1/api-keys', { token: admin() })).body.items.filter((k: any) => k.name === name);
    if (expected === 201) {
      expect(listed).toEqual([expect.objectContaining({ id: res.body.id, role: 'admin', unitId: U('root'), revokedAt: null })]);
      await expectAudited(res, login, 'api_key.create', res.body.id);
    } else {
      refused.push({ name: `${login} POST /api/v1/api-keys`, requestId: res.headers.get('x-request-id')! });
      expect(listed).toEqual([]);
      expect(res.body.secret).toBeUndefined();
    }
  },
);

matrix(
  'DELETE /api/v1/api-keys/{id}',
  'a live key',
  (login) => tenantStatus(login, 204),
  async (login, expected) => {
    const key = expected === 204 ? await newKey() : (sharedKey ??= await newKey());
    const res = await call('DELETE', `/api/v1/api-keys/${key.id}`, { token: tokenOf(login) });
    if (expected === 204) {
      expectOutcome(res, expected);
      const listed = (await call('GET', '/api/v1/api-keys', { token: admin() })).body.items.find((k: any) => k.id === key.id);
      expect(listed.revokedAt).not.toBeNull();
      expect((await call('GET', '/api/v1/me', { token: key.secret })).status).toBe(401);
      await expectAudited(res, login, 'api_key.revoke', key.id);
    } else {
      refused.push({ name: `${login} DELETE /api/v1/api-keys/{id}`, requestId: res.headers.get('x-request-id')! });
      // Still live: it still signs in (else the next case gets a live one).
      const me = await call('GET', '/api/v1/me', { token: key.secret });
      if (me.status !== 200) sharedKey = undefined;
      expectOutcome(res, expected);
      expect(me.status).toBe(200);
    }
  },
);

// ---- Settings (tenant-wide) ---------------------------------------------------------------

const settings = async () => (await call('GET', '/api/v1/settings', { token: admin() })).body;

matrix(
  'GET /api/v1/settings',
  'the tenant',
  (login) => tenantStatus(login, 200),
  async (login, expected) => {
    const res = await call('GET', '/api/v1/settings', { token: tokenOf(login) });
    expectOutcome(res, expected);
    if (expected === 200) expect(res.body).toMatchObject({ fatigueDays: expect.any(Number), email: null });
    else expect(res.body.fatigueDays).toBeUndefined();
  },
);

matrix(
  'PATCH /api/v1/settings',
  'the fatigue window',
  (login) => tenantStatus(login, 200),
  async (login, expected) => {
    const before = await settings();
    const days = 100 + Math.floor(Math.random() * 3000);
    const res = await call('PATCH', '/api/v1/settings', { token: tokenOf(login), body: { fatigueDays: days } });
    expectOutcome(res, expected);
    const after = await settings();
    if (expected === 200) {
      expect(after.fatigueDays).toBe(days);
      await expectAudited(res, login, 'settings.update', t.tenantId);
    } else {
      refused.push({ name: `${login} PATCH /api/v1/settings`, requestId: res.headers.get('x-request-id')! });
      expect(after).toEqual(before);
    }
  },
);

matrix(
  'POST /api/v1/settings/widget-key',
  'a new key pair',
  (login) => tenantStatus(login, 201),
  async (login, expected) => {
    const before = await settings();
    const res = await call('POST', '/api/v1/settings/widget-key', { token: tokenOf(login) });
    expectOutcome(res, expected);
    const after = await settings();
    if (expected === 201) {
      expect(after.widget.publicKey).toBe(res.body.publicKey);
      await expectAudited(res, login, 'settings.widget_key', t.tenantId);
    } else {
      refused.push({ name: `${login} POST /api/v1/settings/widget-key`, requestId: res.headers.get('x-request-id')! });
      expect(res.body.secret).toBeUndefined();
      expect(after).toEqual(before);
    }
  },
);

// ---- Invitations ----------------------------------------------------------------------------

/** Who reads an invitation: admin and analyst tenant-wide, managers within their subtree; other roles 403 in reach, 404 outside. */
const READS_INVITATIONS: Record<Login, UnitKey[]> = {
  admin: ALL_UNITS,
  analyst: ALL_UNITS,
  manager: ['emea', 'berlin', 'paris'],
  siteManager: ['newYork'],
  agent: [],
  vendor: [],
  otherVendor: [],
  viewer: [],
};
const invitationStatus = (login: Login, unit: UnitKey) => (READS_INVITATIONS[login].includes(unit) ? 200 : SEES[login].includes(unit) ? 403 : 404);
const invitationIn = new Map<UnitKey, Promise<string>>();

for (const unit of ['berlin', 'newYork', 'fastfix'] as UnitKey[]) {
  matrix(
    'GET /api/v1/invitations/{id}',
    `in ${LABEL[unit]}`,
    (login) => invitationStatus(login, unit),
    async (login, expected) => {
      if (!invitationIn.has(unit)) invitationIn.set(unit, makeSentInvitation(t.tenantId, U(unit)));
      const id = await invitationIn.get(unit)!;
      const res = await call('GET', `/api/v1/invitations/${id}`, { token: tokenOf(login) });
      expectOutcome(res, expected);
      if (expected === 200) {
        expect(res.body).toMatchObject({ id, unitId: U(unit), status: 'sent', channel: 'link' });
        // Whoever holds the link can answer as the contact: admins only.
        expect('link' in res.body, 'link shown').toBe(login === 'admin');
      } else {
        expect(res.body.status).toBeUndefined();
      }
    },
  );
}

// ---- Responses and anonymous links ------------------------------------------------------------

/** Who reads individual responses (within reach), and who reads their verbatims. */
const RESPONSE_ROLES = new Set(['admin', 'analyst', 'manager', 'vendor']);
const VERBATIM_ROLES = new Set(['admin', 'analyst', 'manager']);
const responseRead = (login: Login, unit: UnitKey) => (!SEES[login].includes(unit) ? 404 : RESPONSE_ROLES.has(GRANT[login].role) ? 200 : 403);

let answerProgram: Promise<{ surveyId: string; touchpointId: string }> | undefined;
/** A published survey and an active touchpoint for responses and links, made once through the API. */
function answerTargets() {
  answerProgram ??= (async () => {
    const s = await call('POST', '/api/v1/surveys', { token: admin(), body: { name: `Answers ${uniq()}` } });
    expect((await call('POST', `/api/v1/surveys/${s.body.id}/publish`, { token: admin() })).status).toBe(201);
    const tp = await call('POST', '/api/v1/touchpoints', { token: admin(), body: { key: `answers-${uniq()}`, name: 'Answers', kind: 'site_visit', surveyId: s.body.id, channels: ['link'] } });
    expect(tp.status).toBe(201);
    return { surveyId: s.body.id as string, touchpointId: tp.body.id as string };
  })();
  return answerProgram;
}

/** A flagged response with a verbatim in a unit, written straight to the database. */
async function newResponse(unit: UnitKey, counted = false) {
  const { surveyId, touchpointId } = await answerTargets();
  const id = newId('rsp');
  const comment = `verbatim ${uniq()}`;
  await db()
    .insert(responses)
    .values({
      id,
      tenantId: t.tenantId,
      touchpointId,
      unitId: U(unit),
      surveyId,
      surveyVersion: 1,
      channel: 'link',
      locale: 'en',
      score: 4,
      comment,
      qualityFlags: counted ? [] : ['duplicate'],
      counted,
    });
  return { id, comment };
}

for (const unit of ['berlin', 'fastfix'] as UnitKey[]) {
  matrix(
    'GET /api/v1/responses/{id}',
    `a response in ${LABEL[unit]}`,
    (login) => responseRead(login, unit),
    async (login, expected) => {
      const r = await newResponse(unit);
      const res = await call('GET', `/api/v1/responses/${r.id}`, { token: tokenOf(login) });
      expectOutcome(res, expected);
      if (expected === 200) {
        expect(res.body).toMatchObject({ id: r.id, score: 4, qualityFlags: ['duplicate'], counted: false });
        // Verbatims only for the roles that read them.
        expect(res.body.comment).toBe(VERBATIM_ROLES.has(GRANT[login].role) ? r.comment : null);
      }
      if (!(expected === 200 && VERBATIM_ROLES.has(GRANT[login].role))) expect(JSON.stringify(res.body)).not.toContain(r.comment);
    },
  );
}

for (const unit of ['emea', 'fastfix'] as UnitKey[]) {
  matrix(
    'GET /api/v1/responses',
    `answers in ${LABEL[unit]}`,
    (login) => responseRead(login, unit),
    async (login, expected) => {
      const r = await newResponse(unit === 'emea' ? 'paris' : unit);
      const res = await call('GET', `/api/v1/responses?unitId=${U(unit)}&limit=200`, { token: tokenOf(login) });
      expectOutcome(res, expected);
      if (expected === 200) {
        const item = res.body.items.find((i: any) => i.id === r.id);
        expect(item).toMatchObject({ id: r.id, score: 4, excluded: true });
        // Verbatims only for the roles that read them; for others the field is absent.
        if (VERBATIM_ROLES.has(GRANT[login].role)) expect(item.comment).toBe(r.comment);
        else expect('comment' in item).toBe(false);
      }
      if (!(expected === 200 && VERBATIM_ROLES.has(GRANT[login].role))) expect(JSON.stringify(res.body)).not.toContain(r.comment);
    },
  );
}

// Searching answers (?q) reads their comments and names: only roles that read verbatims.
for (const unit of ['emea', 'fastfix'] as UnitKey[]) {
  matrix(
    'GET /api/v1/responses',
    `a search (?q) in ${LABEL[unit]}`,
    (login) => (!SEES[login].includes(unit) ? 404 : VERBATIM_ROLES.has(GRANT[login].role) ? 200 : 403),
    async (login, expected) => {
      const r = await newResponse(unit === 'emea' ? 'paris' : unit);
      const res = await call('GET', `/api/v1/responses?unitId=${U(unit)}&q=${encodeURIComponent(r.comment)}&excluded=all`, { token: tokenOf(login) });
      expectOutcome(res, expected);
      if (expected === 200) expect(res.body.items.map((i: { id: string }) => i.id)).toEqual([r.id]);
      else expect(JSON.stringify(res.body)).not.toContain(r.comment);
    },
  );
  matrix(
    'GET /api/v1/exports/responses.csv',
    `a search (?q) in ${LABEL[unit]}`,
    (login) => (!SEES[login].includes(unit) ? 404 : VERBATIM_ROLES.has(GRANT[login].role) ? 200 : 403),
    async (login, expected) => {
      const r = await newResponse(unit === 'emea' ? 'paris' : unit, true);
      const res = await call('GET', `/api/v1/exports/responses.csv?unitId=${U(unit)}&q=${encodeURIComponent(r.comment)}`, { token: tokenOf(login) });
      expectOutcome(res, expected);
      if (expected === 200) expect(String(res.body)).toContain(r.id);
      else expect(String(res.body)).not.toContain(r.comment);
    },
  );
}

for (const verb of ['include', 'exclude'] as const) {
  matrix(
    `POST /api/v1/responses/{id}/${verb}`,
    'a response in Berlin',
    (login) => writeStatus(login, 'berlin', 200),
    async (login, expected) => {
      const r = await newResponse('berlin', verb === 'exclude');
      const res = await call('POST', `/api/v1/responses/${r.id}/${verb}`, { token: tokenOf(login), body: { reason: `checked by ${login}` } });
      expectOutcome(res, expected);
      const after = (await call('GET', `/api/v1/responses/${r.id}`, { token: admin() })).body;
      if (expected === 200) {
        expect(after.counted).toBe(verb === 'include');
        await expectAudited(res, login, `response.${verb}`, r.id);
      } else {
        refused.push({ name: `${login} POST /api/v1/responses/{id}/${verb}`, requestId: res.headers.get('x-request-id')! });
        expect(after.counted).toBe(verb === 'exclude');
      }
    },
  );
}

for (const unit of ['emea', 'quickserve'] as UnitKey[]) {
  matrix(
    'POST /api/v1/touchpoints/{id}/links',
    `an anonymous link for ${LABEL[unit]}`,
    (login) => writeStatus(login, unit, 201),
    async (login, expected) => {
      const { touchpointId } = await answerTargets();
      const res = await call('POST', `/api/v1/touchpoints/${touchpointId}/links`, { token: tokenOf(login), body: { unitId: U(unit) } });
      expectOutcome(res, expected);
      if (expected === 201) {
        expect(res.body).toMatchObject({ touchpointId, unitId: U(unit), url: expect.stringContaining('/s/') });
        await expectAudited(res, login, 'touchpoint.link', touchpointId);
      } else {
        refused.push({ name: `${login} POST /api/v1/touchpoints/{id}/links`, requestId: res.headers.get('x-request-id')! });
        expect(res.body.url).toBeUndefined();
      }
    },
  );
}

for (const unit of ['emea', 'quickserve'] as UnitKey[]) {
  matrix(
    'POST /api/v1/touchpoints/{id}/links/revoke',
    `revoke an anonymous link for ${LABEL[unit]}`,
    (login) => writeStatus(login, unit, 200),
    async (login, expected) => {
      const { touchpointId } = await answerTargets();
      const url = (await call('POST', `/api/v1/touchpoints/${touchpointId}/links`, { token: admin(), body: { unitId: U(unit) } })).body.url;
      const res = await call('POST', `/api/v1/touchpoints/${touchpointId}/links/revoke`, { token: tokenOf(login), body: { url } });
      expectOutcome(res, expected);
      if (expected === 200) await expectAudited(res, login, 'touchpoint.link_revoke', touchpointId);
      else refused.push({ name: `${login} POST /api/v1/touchpoints/{id}/links/revoke`, requestId: res.headers.get('x-request-id')! });
    },
  );
}

// ---- Recovery cases ----------------------------------------------------------------------------

/** Who reads cases of units in reach: admin, analyst, manager, vendor; everyone reads the cases they own; a viewer none. */
const CASE_READERS = new Set(['admin', 'analyst', 'manager', 'vendor']);
const CASE_WRITERS = new Set(['admin', 'manager', 'vendor']);
const caseRead = (login: Login, unit: UnitKey, owner: Login) => (login === owner || (SEES[login].includes(unit) && CASE_READERS.has(GRANT[login].role)) ? 200 : 404);
const caseWrite = (login: Login, unit: UnitKey, owner: Login) => (caseRead(login, unit, owner) === 404 ? 404 : login === owner || CASE_WRITERS.has(GRANT[login].role) ? 200 : 403);

/** A case in a unit owned by a login, written straight to the database on a response there. */
async function newCase(unit: UnitKey, owner: Login) {
  const r = await newResponse(unit, true);
  const { touchpointId } = await answerTargets();
  const id = newId('case');
  await db()
    .insert(caseRows)
    .values({ id, tenantId: t.tenantId, responseId: r.id, unitId: U(unit), touchpointId, ownerUserId: t.userIds[owner], status: 'open', score: 4 });
  return id;
}

for (const [unit, owner] of [
  ['berlin', 'manager'],
  ['berlin', 'agent'],
  ['fastfix', 'vendor'],
] as [UnitKey, Login][]) {
  matrix(
    'GET /api/v1/cases/{id}',
    `a case in ${LABEL[unit]} owned by ${owner}`,
    (login) => caseRead(login, unit, owner),
    async (login, expected) => {
      const id = await newCase(unit, owner);
      const res = await call('GET', `/api/v1/cases/${id}`, { token: tokenOf(login) });
      expectOutcome(res, expected);
      if (expected === 200) expect(res.body).toMatchObject({ id, unitId: U(unit), ownerUserId: t.userIds[owner] });
      const listed = await call('GET', '/api/v1/cases?limit=500', { token: tokenOf(login) });
      expect(listed.status).toBe(200);
      expect(listed.body.items.some((c: any) => c.id === id)).toBe(expected === 200);
    },
  );
  matrix(
    'PATCH /api/v1/cases/{id}',
    `a case in ${LABEL[unit]} owned by ${owner}`,
    (login) => caseWrite(login, unit, owner),
    async (login, expected) => {
      const id = await newCase(unit, owner);
      const res = await call('PATCH', `/api/v1/cases/${id}`, { token: tokenOf(login), body: { status: 'contacted', note: `called by ${login}` } });
      expectOutcome(res, expected);
      const after = (await call('GET', `/api/v1/cases/${id}`, { token: admin() })).body;
      if (expected === 200) {
        expect(after.status).toBe('contacted');
        await expectAudited(res, login, 'case.update', id);
      } else {
        refused.push({ name: `${login} PATCH /api/v1/cases/{id}`, requestId: res.headers.get('x-request-id')! });
        expect(after.status).toBe('open');
      }
    },
  );
}

/** Reassigning (and listing who may own a case) is for admins, managers and vendors over the unit: not for an owner alone. */
const caseReassign = (login: Login, unit: UnitKey, owner: Login) => (caseRead(login, unit, owner) === 404 ? 404 : SEES[login].includes(unit) && CASE_WRITERS.has(GRANT[login].role) ? 200 : 403);
for (const [unit, owner] of [
  ['berlin', 'agent'],
  ['fastfix', 'vendor'],
] as [UnitKey, Login][]) {
  matrix(
    'GET /api/v1/cases/{id}/owners',
    `a case in ${LABEL[unit]} owned by ${owner}`,
    (login) => caseReassign(login, unit, owner),
    async (login, expected) => {
      const id = await newCase(unit, owner);
      const res = await call('GET', `/api/v1/cases/${id}/owners`, { token: tokenOf(login) });
      expectOutcome(res, expected);
      if (expected === 200) expect(res.body.items.map((o: { id: string }) => o.id)).toEqual(expect.arrayContaining([t.userIds.admin, t.userIds[owner]]));
    },
  );
  matrix(
    'PATCH /api/v1/cases/{id}',
    `reassign a case in ${LABEL[unit]} owned by ${owner} to the admin`,
    (login) => caseReassign(login, unit, owner),
    async (login, expected) => {
      const id = await newCase(unit, owner);
      const res = await call('PATCH', `/api/v1/cases/${id}`, { token: tokenOf(login), body: { ownerUserId: t.userIds.admin } });
      expectOutcome(res, expected);
      const after = (await call('GET', `/api/v1/cases/${id}`, { token: admin() })).body;
      if (expected === 200) {
        expect(after.ownerUserId).toBe(t.userIds.admin);
        await expectAudited(res, login, 'case.update', id);
      } else {
        refused.push({ name: `${login} PATCH /api/v1/cases/{id} (reassign)`, requestId: res.headers.get('x-request-id')! });
        expect(after.ownerUserId).toBe(t.userIds[owner]);
      }
    },
  );
}

matrix(
  'GET /api/v1/cases/{id}/reply',
  'a case in Berlin owned by manager',
  (login) => caseRead(login, 'berlin', 'manager'),
  async (login, expected) => {
    await call('POST', '/api/v1/reply-templates', { token: admin(), body: { theme: 'authz', locale: 'en', subject: 'Hello {contactName}', body: 'Score {score}' } });
    const id = await newCase('berlin', 'manager');
    const res = await call('GET', `/api/v1/cases/${id}/reply?theme=authz`, { token: tokenOf(login) });
    expectOutcome(res, expected);
    if (expected === 200) expect(res.body.body).toBe('Score 4');
  },
);

/** Metrics of the caller's own subtree: needs case.read there. */
matrix(
  'GET /api/v1/cases/metrics',
  'own subtree',
  (login) => (CASE_READERS.has(GRANT[login].role) ? 200 : 403),
  async (login, expected) => {
    const res = await call('GET', '/api/v1/cases/metrics', { token: tokenOf(login) });
    expectOutcome(res, expected);
    if (expected === 200) expect(res.body.unitId).toBe(U(GRANT[login].unit));
  },
);

matrix(
  'POST /api/v1/reply-templates',
  'the tenant',
  (login) => tenantStatus(login, 201),
  async (login, expected) => {
    const theme = `t-${uniq()}`;
    const res = await call('POST', '/api/v1/reply-templates', { token: tokenOf(login), body: { theme, locale: 'en', subject: 's', body: 'b' } });
    expectOutcome(res, expected);
    if (expected === 201) await expectAudited(res, login, 'reply_template.create', res.body.id);
    else refused.push({ name: `${login} POST /api/v1/reply-templates`, requestId: res.headers.get('x-request-id')! });
    const listed = await call('GET', `/api/v1/reply-templates?theme=${theme}`, { token: admin() });
    expect(listed.body.items).toHaveLength(expected === 201 ? 1 : 0);
  },
);

matrix(
  'GET /api/v1/reply-templates',
  'the tenant',
  (login) => (GRANT[login].role === 'viewer' ? 403 : 200),
  async (login, expected) => {
    expectOutcome(await call('GET', '/api/v1/reply-templates', { token: tokenOf(login) }), expected);
  },
);

matrix(
  'PUT /api/v1/vendor-contracts/{unitId}',
  'FastFix',
  (login) => writeStatus(login, 'fastfix', 200),
  async (login, expected) => {
    const hours = 1 + Math.floor(Math.random() * 100);
    const res = await call('PUT', `/api/v1/vendor-contracts/${U('fastfix')}`, { token: tokenOf(login), body: { firstContactHours: hours } });
    expectOutcome(res, expected);
    if (expected === 200) {
      expect(res.body.firstContactHours).toBe(hours);
      await expectAudited(res, login, 'vendor_contract.update', U('fastfix'));
    } else refused.push({ name: `${login} PUT /api/v1/vendor-contracts/{unitId}`, requestId: res.headers.get('x-request-id')! });
  },
);

matrix(
  'GET /api/v1/case-settings',
  'the tenant',
  (login) => tenantStatus(login, 200),
  async (login, expected) => {
    expectOutcome(await call('GET', '/api/v1/case-settings', { token: tokenOf(login) }), expected);
  },
);

matrix(
  'PUT /api/v1/case-settings',
  'the tenant',
  (login) => tenantStatus(login, 200),
  async (login, expected) => {
    const hours = 10 + Math.floor(Math.random() * 1000);
    const res = await call('PUT', '/api/v1/case-settings', { token: tokenOf(login), body: { caseTargets: { resolutionHours: hours } } });
    expectOutcome(res, expected);
    const after = (await call('GET', '/api/v1/case-settings', { token: admin() })).body;
    if (expected === 200) {
      expect(after.caseTargets.resolutionHours).toBe(hours);
      await expectAudited(res, login, 'case_settings.update', t.tenantId);
    } else {
      refused.push({ name: `${login} PUT /api/v1/case-settings`, requestId: res.headers.get('x-request-id')! });
      expect(after.caseTargets.resolutionHours).not.toBe(hours);
    }
  },
);

// ---- Audit log and the caller -------------------------------------------------------------

matrix(
  'GET /api/v1/audit-log',
  'the tenant',
  (login) => tenantStatus(login, 200),
  async (login, expected) => {
    const res = await call('GET', '/api/v1/audit-log?limit=5', { token: tokenOf(login) });
    expectOutcome(res, expected);
    if (expected === 200) expect(res.body.items.length).toBeGreaterThan(0);
    else expect(res.body.items).toBeUndefined();
  },
);

matrix(
  'GET /api/v1/me',
  'oneself',
  () => 200,
  async (login, expected) => {
    const res = await call('GET', '/api/v1/me', { token: tokenOf(login) });
    expectOutcome(res, expected);
    expect(res.body.user.id).toBe(t.userIds[login]);
    expect(res.body.tenant.id).toBe(t.tenantId);
    expect(res.body.grants).toEqual([{ unitId: U(GRANT[login].unit), role: GRANT[login].role }]);
  },
);

// ---- Alerts (units in reach) and webhooks (tenant-wide) ---------------------------------------

/** Rules: an admin of the unit or above; reading alerts: admin, analyst, manager; root causes: admin, manager. */
const ALERT_READERS = new Set<Login>(['admin', 'analyst', 'manager', 'siteManager']);
const ALERT_ANNOTATORS = new Set<Login>(['admin', 'manager', 'siteManager']);

matrix(
  'POST /api/v1/alert-rules',
  'a rule on Berlin',
  (login) => writeStatus(login, 'berlin', 201),
  async (login, expected) => {
    const res = await call('POST', '/api/v1/alert-rules', { token: tokenOf(login), body: { unitId: U('berlin') } });
    expectOutcome(res, expected);
    if (expected === 201) await expectAudited(res, login, 'alert_rule.create', res.body.id);
    else refused.push({ name: `${login} POST /api/v1/alert-rules`, requestId: res.headers.get('x-request-id')! });
  },
);
for (const route of ['/api/v1/alert-rules', '/api/v1/alerts']) {
  matrix(
    `GET ${route}`,
    'in reach',
    (login) => (ALERT_READERS.has(login) ? 200 : 403),
    async (login, expected) => {
      expectOutcome(await call('GET', route, { token: tokenOf(login) }), expected);
    },
  );
}
let berlinAlert: string | undefined;
async function alertInBerlin() {
  if (!berlinAlert) {
    const rule = await call('POST', '/api/v1/alert-rules', { token: admin(), body: { unitId: U('berlin') } });
    berlinAlert = newId('alr');
    await db()
      .insert(alerts)
      .values({ id: berlinAlert, tenantId: t.tenantId, ruleId: rule.body.id, unitId: U('berlin'), status: 'open', evidence: {} });
  }
  return berlinAlert;
}
matrix(
  'PATCH /api/v1/alerts/{id}',
  'an alert in Berlin',
  (login) => (!SEES[login].includes('berlin') ? 404 : ALERT_ANNOTATORS.has(login) ? 200 : 403),
  async (login, expected) => {
    const id = await alertInBerlin();
    const res = await call('PATCH', `/api/v1/alerts/${id}`, { token: tokenOf(login), body: { rootCause: `cause by ${login}` } });
    expectOutcome(res, expected);
    if (expected === 200) await expectAudited(res, login, 'alert.annotate', id);
    else refused.push({ name: `${login} PATCH /api/v1/alerts/{id}`, requestId: res.headers.get('x-request-id')! });
  },
);

async function newHook() {
  const res = await call('POST', '/api/v1/webhooks', { token: admin(), body: { url: `${providerSpace().url}/hook`, events: ['alert.raised'] } });
  expect(res.status).toBe(201);
  return res.body as { id: string };
}
const hookCalls: [string, number, string, (id: string) => [string, string, unknown?]][] = [
  ['PATCH /api/v1/webhooks/{id}', 200, 'webhook.update', (id) => ['PATCH', `/api/v1/webhooks/${id}`, { active: false }]],
  ['DELETE /api/v1/webhooks/{id}', 204, 'webhook.delete', (id) => ['DELETE', `/api/v1/webhooks/${id}`]],
  ['POST /api/v1/webhooks/{id}/rotate-secret', 200, 'webhook.rotate_secret', (id) => ['POST', `/api/v1/webhooks/${id}/rotate-secret`]],
  ['GET /api/v1/webhooks/{id}/deliveries', 200, '', (id) => ['GET', `/api/v1/webhooks/${id}/deliveries`]],
];
matrix(
  'GET /api/v1/webhooks',
  'the tenant',
  (login) => tenantStatus(login, 200),
  async (login, expected) => {
    expectOutcome(await call('GET', '/api/v1/webhooks', { token: tokenOf(login) }), expected);
  },
);
matrix(
  'POST /api/v1/webhooks',
  'a new endpoint',
  (login) => tenantStatus(login, 201),
  async (login, expected) => {
    const res = await call('POST', '/api/v1/webhooks', { token: tokenOf(login), body: { url: 'https://hooks.authz.test/x', events: ['case.opened'] } });
    expectOutcome(res, expected);
    if (expected === 201) await expectAudited(res, login, 'webhook.create', res.body.id);
    else refused.push({ name: `${login} POST /api/v1/webhooks`, requestId: res.headers.get('x-request-id')! });
  },
);
for (const [route, ok, action, request] of hookCalls) {
  matrix(
    route,
    'an endpoint',
    (login) => tenantStatus(login, ok),
    async (login, expected) => {
      const hook = await newHook();
      const [method, path, body] = request(hook.id);
      const res = await call(method, path, { token: tokenOf(login), body });
      expectOutcome(res, expected);
      if (expected === ok && action) await expectAudited(res, login, action, hook.id);
      if (expected !== ok) refused.push({ name: `${login} ${route}`, requestId: res.headers.get('x-request-id')! });
    },
  );
}
matrix(
  'POST /api/v1/webhooks/{id}/deliveries/{deliveryId}/replay',
  'a logged message',
  (login) => tenantStatus(login, 200),
  async (login, expected) => {
    const hook = await newHook();
    const { webhookEvent } = await import('../../src/webhooks/emit');
    await webhookEvent(new TenantDb(db(), t.tenantId), 'alert.raised', { n: 1 }, Date.now() + 365 * 86_400_000);
    const log = await call('GET', `/api/v1/webhooks/${hook.id}/deliveries`, { token: admin() });
    const deliveryId = log.body.items[0].id as string;
    const res = await call('POST', `/api/v1/webhooks/${hook.id}/deliveries/${deliveryId}/replay`, { token: tokenOf(login) });
    expectOutcome(res, expected);
    if (expected === 200) await expectAudited(res, login, 'webhook.replay', deliveryId);
    else refused.push({ name: `${login} replay`, requestId: res.headers.get('x-request-id')! });
  },
);

// ---- Action plans (units in reach) -----------------------------------------------------------

/** Reading plans: admin, analyst, manager; creating and changing them: admin, manager. */
const PLAN_READERS = new Set<Login>(['admin', 'analyst', 'manager', 'siteManager']);
const PLAN_WRITERS = new Set<Login>(['admin', 'manager', 'siteManager']);
const planStatus = (login: Login, allowed: Set<Login>, ok: number) => (!SEES[login].includes('berlin') ? 404 : allowed.has(login) ? ok : 403);
async function planInBerlin() {
  const res = await call('POST', '/api/v1/action-plans', { token: admin(), body: { unitId: U('berlin'), title: `Plan ${uniq()}` } });
  expect(res.status).toBe(201);
  return res.body as { id: string };
}
matrix(
  'POST /api/v1/action-plans',
  'a plan on Berlin',
  (login) => planStatus(login, PLAN_WRITERS, 201),
  async (login, expected) => {
    const res = await call('POST', '/api/v1/action-plans', { token: tokenOf(login), body: { unitId: U('berlin'), title: `Plan by ${login}` } });
    expectOutcome(res, expected);
    if (expected === 201) await expectAudited(res, login, 'action_plan.create', res.body.id);
    else refused.push({ name: `${login} POST /api/v1/action-plans`, requestId: res.headers.get('x-request-id')! });
  },
);
matrix(
  'GET /api/v1/action-plans',
  'in reach',
  (login) => (PLAN_READERS.has(login) ? 200 : 403),
  async (login, expected) => {
    expectOutcome(await call('GET', '/api/v1/action-plans', { token: tokenOf(login) }), expected);
  },
);
matrix(
  'GET /api/v1/action-plans/{id}',
  'a plan in Berlin',
  (login) => planStatus(login, PLAN_READERS, 200),
  async (login, expected) => {
    const plan = await planInBerlin();
    expectOutcome(await call('GET', `/api/v1/action-plans/${plan.id}`, { token: tokenOf(login) }), expected);
  },
);
matrix(
  'PATCH /api/v1/action-plans/{id}',
  'a plan in Berlin',
  (login) => planStatus(login, PLAN_WRITERS, 200),
  async (login, expected) => {
    const plan = await planInBerlin();
    const res = await call('PATCH', `/api/v1/action-plans/${plan.id}`, { token: tokenOf(login), body: { status: 'in_progress' } });
    expectOutcome(res, expected);
    if (expected === 200) await expectAudited(res, login, 'action_plan.update', plan.id);
    else {
      refused.push({ name: `${login} PATCH /api/v1/action-plans/{id}`, requestId: res.headers.get('x-request-id')! });
      expect((await call('GET', `/api/v1/action-plans/${plan.id}`, { token: admin() })).body.status).toBe('planned');
    }
  },
);

/** Who may pick an owner for a plan on a unit: the plan writers within reach. */
matrix(
  'GET /api/v1/action-plans/owners',
  'owners for Berlin',
  (login) => planStatus(login, PLAN_WRITERS, 200),
  async (login, expected) => {
    const res = await call('GET', `/api/v1/action-plans/owners?unitId=${U('berlin')}`, { token: tokenOf(login) });
    expectOutcome(res, expected);
    if (expected === 200) expect(res.body.items.map((u: any) => u.id)).toContain(t.userIds.admin);
  },
);

// ---- Annotations (units in reach) -----------------------------------------------------------

/** Writing annotations: admin, manager within reach; reading them: whoever reads the unit's scores. */
const ANNOTATION_WRITERS = new Set<Login>(['admin', 'manager', 'siteManager']);
matrix(
  'POST /api/v1/annotations',
  'a release in Berlin',
  (login) => (!SEES[login].includes('berlin') ? 404 : ANNOTATION_WRITERS.has(login) ? 201 : 403),
  async (login, expected) => {
    const res = await call('POST', '/api/v1/annotations', { token: tokenOf(login), body: { unitId: U('berlin'), date: '2026-03-02', kind: 'release', title: `Release by ${login}` } });
    expectOutcome(res, expected);
    if (expected === 201) await expectAudited(res, login, 'annotation.create', res.body.id);
    else refused.push({ name: `${login} POST /api/v1/annotations`, requestId: res.headers.get('x-request-id')! });
  },
);
matrix(
  'GET /api/v1/annotations',
  "Berlin's trend",
  (login) => (!SEES[login].includes('berlin') ? 404 : SCORE_READERS.has(login) ? 200 : 403),
  async (login, expected) => {
    const res = await call('GET', `/api/v1/annotations?unitId=${U('berlin')}`, { token: tokenOf(login) });
    expectOutcome(res, expected);
    if (expected === 200) expect(Array.isArray(res.body.items)).toBe(true);
  },
);

// ---- Targets (units in reach) ---------------------------------------------------------------

/** Setting targets and rebaselining: admins of the unit; reading targets and attainment: score readers. */
const TARGET_WRITERS = new Set<Login>(['admin']);
matrix(
  'PUT /api/v1/units/{id}/targets',
  "Berlin's April",
  (login) => (!SEES[login].includes('berlin') ? 404 : TARGET_WRITERS.has(login) ? 200 : 403),
  async (login, expected) => {
    const res = await call('PUT', `/api/v1/units/${U('berlin')}/targets`, { token: tokenOf(login), body: { period: '2026-04', threshold: 0, target: 10, stretch: 20 } });
    expectOutcome(res, expected);
    if (expected === 200) await expectAudited(res, login, 'target.set', res.body.id);
    else refused.push({ name: `${login} PUT /api/v1/units/{id}/targets`, requestId: res.headers.get('x-request-id')! });
  },
);
matrix(
  'GET /api/v1/units/{id}/targets',
  "Berlin's",
  (login) => (!SEES[login].includes('berlin') ? 404 : SCORE_READERS.has(login) ? 200 : 403),
  async (login, expected) => {
    expectOutcome(await call('GET', `/api/v1/units/${U('berlin')}/targets`, { token: tokenOf(login) }), expected);
  },
);
matrix(
  'POST /api/v1/units/{id}/targets/rebaseline',
  'Berlin after a release (not a process change: 422 for the admin)',
  (login) => (!SEES[login].includes('berlin') ? 404 : TARGET_WRITERS.has(login) ? 422 : 403),
  async (login, expected) => {
    const note = await call('POST', '/api/v1/annotations', { token: admin(), body: { unitId: U('berlin'), date: '2026-01-05', kind: 'release', title: `Release ${uniq()}` } });
    const res = await call('POST', `/api/v1/units/${U('berlin')}/targets/rebaseline`, { token: tokenOf(login), body: { annotationId: note.body.id, reason: 'authz' } });
    expectOutcome(res, expected);
    refused.push({ name: `${login} POST /api/v1/units/{id}/targets/rebaseline`, requestId: res.headers.get('x-request-id')! });
  },
);
matrix(
  'GET /api/v1/targets/attainment',
  "Berlin's April",
  (login) => (!SEES[login].includes('berlin') ? 404 : SCORE_READERS.has(login) ? 200 : 403),
  async (login, expected) => {
    const res = await call('GET', `/api/v1/targets/attainment?unitId=${U('berlin')}&period=2026-04`, { token: tokenOf(login) });
    expectOutcome(res, expected);
    if (expected === 200) expect(Array.isArray(res.body.items)).toBe(true);
  },
);

/** Peer clusters: whoever reads the unit's scores. */
matrix(
  'GET /api/v1/clusters',
  'the sites under EMEA',
  (login) => (!SEES[login].includes('emea') ? 404 : SCORE_READERS.has(login) ? 200 : 403),
  async (login, expected) => {
    const res = await call('GET', `/api/v1/clusters?unitId=${U('emea')}`, { token: tokenOf(login) });
    expectOutcome(res, expected);
    if (expected === 200) expect(Array.isArray(res.body.clusters)).toBe(true);
  },
);

/** Themes are aggregates of stored analyses: every role reading scores within reach (examples only with verbatims, themes.test.ts). */
for (const unit of ['emea', 'fastfix'] as UnitKey[]) {
  matrix(
    'GET /api/v1/themes',
    `themes of ${LABEL[unit]}`,
    (login) => (!SEES[login].includes(unit) ? 404 : SCORE_READERS.has(login) ? 200 : 403),
    async (login, expected) => {
      const res = await call('GET', `/api/v1/themes?unitId=${U(unit)}`, { token: tokenOf(login) });
      expectOutcome(res, expected);
      if (expected === 200) expect(Array.isArray(res.body.items)).toBe(true);
    },
  );
}

/** The theme library: read by every role that reads scores somewhere; edited by the admin on the root only. */
const libraryItems = async () => (await call('GET', '/api/v1/theme-library', { token: admin() })).body.items as { id: string; name: string }[];
matrix(
  'GET /api/v1/theme-library',
  'the library',
  (login) => (SCORE_READERS.has(login) ? 200 : 403),
  async (login, expected) => {
    const res = await call('GET', '/api/v1/theme-library', { token: tokenOf(login) });
    expectOutcome(res, expected);
    if (expected === 200) expect(res.body.items.length).toBeGreaterThan(0);
  },
);
matrix(
  'POST /api/v1/theme-library',
  'a new theme',
  (login) => tenantStatus(login, 201),
  async (login, expected) => {
    const name = `Authz ${uniq()}`;
    const res = await call('POST', '/api/v1/theme-library', { token: tokenOf(login), body: { name, terms: { en: ['parking'] } } });
    expectOutcome(res, expected);
    if (expected === 201) await expectAudited(res, login, 'theme.create', res.body.id);
    else refused.push({ name: `${login} POST /api/v1/theme-library`, requestId: res.headers.get('x-request-id')! });
    expect((await libraryItems()).some((x) => x.name === name)).toBe(expected === 201);
  },
);
const newLibraryTheme = async () => {
  const res = await call('POST', '/api/v1/theme-library', { token: admin(), body: { name: `Target ${uniq()}`, terms: { en: ['garage'] } } });
  expect(res.status).toBe(201);
  return res.body as { id: string; name: string };
};
matrix(
  'PATCH /api/v1/theme-library/{id}',
  'a theme',
  (login) => tenantStatus(login, 200),
  async (login, expected) => {
    const theme = await newLibraryTheme();
    const res = await call('PATCH', `/api/v1/theme-library/${theme.id}`, { token: tokenOf(login), body: { name: `${theme.name} renamed` } });
    expectOutcome(res, expected);
    if (expected === 200) await expectAudited(res, login, 'theme.update', theme.id);
    else refused.push({ name: `${login} PATCH /api/v1/theme-library/{id}`, requestId: res.headers.get('x-request-id')! });
    expect((await libraryItems()).find((x) => x.id === theme.id)?.name).toBe(expected === 200 ? `${theme.name} renamed` : theme.name);
  },
);
matrix(
  'DELETE /api/v1/theme-library/{id}',
  'a theme',
  (login) => tenantStatus(login, 200),
  async (login, expected) => {
    const theme = await newLibraryTheme();
    const res = await call('DELETE', `/api/v1/theme-library/${theme.id}`, { token: tokenOf(login) });
    expectOutcome(res, expected);
    if (expected !== 200) refused.push({ name: `${login} DELETE /api/v1/theme-library/{id}`, requestId: res.headers.get('x-request-id')! });
    expect((await libraryItems()).some((x) => x.id === theme.id)).toBe(expected !== 200);
  },
);

// ---- Saved reports and vendor scorecards ----------------------------------------------------

/** Reports: anyone who reads scores of the unit saves one; its owner and admins over the unit manage it (docs/reports.md). */
const REPORT_OVERSEERS = new Set<Login>(['admin']);
const reportStatus = (login: Login, owner: Login, ok: number) => (!SEES[login].includes('berlin') ? 404 : login === owner || REPORT_OVERSEERS.has(login) ? ok : 403);
const newReport = async () => {
  const res = await call('POST', '/api/v1/reports', { token: tokenOf('manager'), body: { name: `Berlin ${uniq()}`, unitId: U('berlin'), filters: { rangeDays: 28 } } });
  expect(res.status).toBe(201);
  return res.body as { id: string; name: string };
};

matrix(
  'POST /api/v1/reports',
  'a report on Berlin',
  (login) => (!SEES[login].includes('berlin') ? 404 : SCORE_READERS.has(login) ? 201 : 403),
  async (login, expected) => {
    const res = await call('POST', '/api/v1/reports', {
      token: tokenOf(login),
      body: { name: `By ${login}`, unitId: U('berlin'), filters: { rangeDays: 7 }, schedule: { weekday: 1, hour: 8, recipients: ['authz@reports.test'] } },
    });
    expectOutcome(res, expected);
    if (expected === 201) await expectAudited(res, login, 'report.create', res.body.id);
    else refused.push({ name: `${login} POST /api/v1/reports`, requestId: res.headers.get('x-request-id')! });
  },
);
matrix(
  'GET /api/v1/reports',
  "own, and an admin's reach",
  () => 200,
  async (login, expected) => {
    const report = await newReport();
    const res = await call('GET', '/api/v1/reports', { token: tokenOf(login) });
    expectOutcome(res, expected);
    expect(res.body.items.some((r: any) => r.id === report.id)).toBe(login === 'manager' || REPORT_OVERSEERS.has(login));
  },
);
matrix(
  'GET /api/v1/reports/{id}',
  "the EMEA manager's report on Berlin",
  (login) => reportStatus(login, 'manager', 200),
  async (login, expected) => {
    const report = await newReport();
    expectOutcome(await call('GET', `/api/v1/reports/${report.id}`, { token: tokenOf(login) }), expected);
  },
);
matrix(
  'GET /api/v1/reports/{id}/scores.csv',
  "the EMEA manager's report on Berlin",
  (login) => reportStatus(login, 'manager', 200),
  async (login, expected) => {
    const report = await newReport();
    const res = await call('GET', `/api/v1/reports/${report.id}/scores.csv`, { token: tokenOf(login) });
    expectOutcome(res, expected);
    if (expected === 200) expect(res.body).toMatch(/^key,period,nps,n,/);
  },
);
matrix(
  'PATCH /api/v1/reports/{id}',
  "the EMEA manager's report on Berlin",
  (login) => reportStatus(login, 'manager', 200),
  async (login, expected) => {
    const report = await newReport();
    const res = await call('PATCH', `/api/v1/reports/${report.id}`, { token: tokenOf(login), body: { name: `Renamed by ${login}` } });
    expectOutcome(res, expected);
    const after = await call('GET', `/api/v1/reports/${report.id}`, { token: admin() });
    if (expected === 200) {
      expect(after.body.name).toBe(`Renamed by ${login}`);
      await expectAudited(res, login, 'report.update', report.id);
    } else {
      refused.push({ name: `${login} PATCH /api/v1/reports/{id}`, requestId: res.headers.get('x-request-id')! });
      expect(after.body.name).toBe(report.name);
    }
  },
);
matrix(
  'DELETE /api/v1/reports/{id}',
  "the EMEA manager's report on Berlin",
  (login) => reportStatus(login, 'manager', 204),
  async (login, expected) => {
    const report = await newReport();
    const res = await call('DELETE', `/api/v1/reports/${report.id}`, { token: tokenOf(login) });
    expectOutcome(res, expected);
    const after = await call('GET', `/api/v1/reports/${report.id}`, { token: admin() });
    if (expected === 204) {
      expect(after.status).toBe(404);
      await expectAudited(res, login, 'report.delete', report.id);
    } else {
      refused.push({ name: `${login} DELETE /api/v1/reports/{id}`, requestId: res.headers.get('x-request-id')! });
      expect(after.status).toBe(200);
    }
  },
);
for (const unit of ['fastfix', 'quickserve'] as UnitKey[]) {
  matrix(
    'GET /api/v1/vendors/{unitId}/scorecard',
    LABEL[unit],
    (login) => (!SEES[login].includes(unit) ? 404 : SCORE_READERS.has(login) ? 200 : 403),
    async (login, expected) => {
      const res = await call('GET', `/api/v1/vendors/${U(unit)}/scorecard`, { token: tokenOf(login) });
      expectOutcome(res, expected);
      if (expected === 200) expect(res.body).toMatchObject({ unitId: U(unit), name: LABEL[unit] });
    },
  );
}

// ---- Agent views (docs/dimensions.md "Agent views") ---------------------------------------------

/** Agent-level views of others: admins and managers (agent.read) over a unit the agent works in. */
const TEAM_LEADS = new Set<Login>(['admin', 'manager', 'siteManager']);
matrix(
  'GET /api/v1/agents/me',
  'their own page',
  () => 200,
  async (login, expected) => {
    const res = await call('GET', '/api/v1/agents/me', { token: tokenOf(login) });
    expectOutcome(res, expected);
    expect(res.body.agent.userId).toBe(t.userIds[login]);
  },
);
matrix(
  'GET /api/v1/agents/{agentId}',
  "Berlin's agent",
  // The agent themself, or a lead over Berlin; anyone else is not told the agent exists.
  (login) => (login === 'agent' || (TEAM_LEADS.has(login) && SEES[login].includes('berlin')) ? 200 : 404),
  async (login, expected) => {
    const res = await call('GET', `/api/v1/agents/${t.userIds.agent}`, { token: tokenOf(login) });
    expectOutcome(res, expected);
    if (expected === 200) expect(res.body.agent.userId).toBe(t.userIds.agent);
  },
);
matrix(
  'GET /api/v1/agents',
  "Berlin's team",
  (login) => (!SEES[login].includes('berlin') ? 404 : TEAM_LEADS.has(login) ? 200 : 403),
  async (login, expected) => {
    const res = await call('GET', `/api/v1/agents?unitId=${U('berlin')}`, { token: tokenOf(login) });
    expectOutcome(res, expected);
    if (expected === 200) expect(res.body.items.map((i: { userId: string }) => i.userId)).toContain(t.userIds.agent);
  },
);
matrix(
  'PUT /api/v1/agents/{agentId}',
  'an external agent id',
  (login) => tenantStatus(login, 200),
  async (login, expected) => {
    const agentId = `ext-${login}-${uniq()}`;
    const res = await call('PUT', `/api/v1/agents/${agentId}`, { token: tokenOf(login), body: { userId: t.userIds.agent } });
    expectOutcome(res, expected);
    if (expected === 200) await expectAudited(res, login, 'agent_mapping.update', agentId);
    else refused.push({ name: `${login} PUT /api/v1/agents/{agentId}`, requestId: res.headers.get('x-request-id')! });
  },
);
matrix(
  'GET /api/v1/agent-mappings',
  'the mappings',
  (login) => tenantStatus(login, 200),
  async (login, expected) => {
    expectOutcome(await call('GET', '/api/v1/agent-mappings', { token: tokenOf(login) }), expected);
  },
);

// ---- Measures, KPI correlation, key drivers ---------------------------------------------------

/** Defining measures: admin on the root. Loading values: admins (each row within reach). Reading them: score readers within reach. */
matrix(
  'POST /api/v1/measures',
  'a unit measure',
  (login) => tenantStatus(login, 201),
  async (login, expected) => {
    const res = await call('POST', '/api/v1/measures', { token: tokenOf(login), body: { key: `m_${login}_${uniq()}`, name: 'SLA', unit: '%', direction: 'higher_is_better', source: 'unit' } });
    expectOutcome(res, expected);
    if (expected !== 201) refused.push({ name: `${login} POST /api/v1/measures`, requestId: res.headers.get('x-request-id')! });
  },
);
matrix(
  'GET /api/v1/measures',
  'definitions',
  (login) => (SCORE_READERS.has(login) ? 200 : 403),
  async (login, expected) => {
    expectOutcome(await call('GET', '/api/v1/measures', { token: tokenOf(login) }), expected);
  },
);
let sharedMeasure: Promise<string> | undefined;
const measureKey = () =>
  (sharedMeasure ??= (async () => {
    const key = `authz_${uniq()}`;
    const res = await call('POST', '/api/v1/measures', { token: admin(), body: { key, name: 'SLA', unit: '%', direction: 'higher_is_better', source: 'unit' } });
    expect(res.status).toBe(201);
    return key;
  })());
matrix(
  'PUT /api/v1/measures/{key}/values',
  'a value for Berlin',
  (login) => (login === 'admin' ? 200 : 403),
  async (login, expected) => {
    const res = await call('PUT', `/api/v1/measures/${await measureKey()}/values`, { token: tokenOf(login), body: { values: [{ unitId: U('berlin'), date: '2025-01-01', value: 1 }] } });
    expectOutcome(res, expected);
    if (expected === 200) expect(res.body).toEqual({ accepted: 1, rejected: [] });
    else refused.push({ name: `${login} PUT /api/v1/measures/{key}/values`, requestId: res.headers.get('x-request-id')! });
  },
);
for (const what of ['correlation', 'series', 'quadrant'] as const) {
  matrix(
    `GET /api/v1/measures/{key}/${what}`,
    'children of EMEA',
    (login) => (!SEES[login].includes('emea') ? 404 : SCORE_READERS.has(login) ? 200 : 403),
    async (login, expected) => {
      expectOutcome(await call('GET', `/api/v1/measures/${await measureKey()}/${what}?unitId=${U('emea')}`, { token: tokenOf(login) }), expected);
    },
  );
}
/** Composite indices: admins set them on units in reach; score readers read them. */
matrix(
  'PUT /api/v1/composites/{unitId}',
  'weights on Berlin',
  (login) => (!SEES[login].includes('berlin') ? 404 : login === 'admin' ? 200 : 403),
  async (login, expected) => {
    const res = await call('PUT', `/api/v1/composites/${U('berlin')}`, { token: tokenOf(login), body: { nps: 1, measures: [] } });
    expectOutcome(res, expected);
    if (expected === 200) await expectAudited(res, login, 'composite.set', U('berlin'));
    else refused.push({ name: `${login} PUT /api/v1/composites/{unitId}`, requestId: res.headers.get('x-request-id')! });
  },
);
matrix(
  'GET /api/v1/composites/{unitId}',
  'Berlin',
  (login) => (!SEES[login].includes('berlin') ? 404 : SCORE_READERS.has(login) ? 200 : 403),
  async (login, expected) => {
    expectOutcome(await call('GET', `/api/v1/composites/${U('berlin')}`, { token: tokenOf(login) }), expected);
  },
);

/** Importing answers collected elsewhere: admins (each answer's unit within reach). */
let importTouchpoint: Promise<string> | undefined;
matrix(
  'POST /api/v1/responses/import',
  'an IVR answer in Berlin',
  (login) => (login === 'admin' ? 200 : 403),
  async (login, expected) => {
    importTouchpoint ??= makeSurvey(t.tenantId).then((s) => s.touchpointKey);
    const body = { responses: [{ externalId: `ivr-${uniq()}`, answeredAt: new Date().toISOString(), unitId: U('berlin'), touchpoint: await importTouchpoint, channel: 'ivr', score: 8 }] };
    const res = await call('POST', '/api/v1/responses/import', { token: tokenOf(login), body });
    expectOutcome(res, expected);
    if (expected === 200) expect(res.body).toMatchObject({ imported: 1, rejected: 0 });
    else refused.push({ name: `${login} POST /api/v1/responses/import`, requestId: res.headers.get('x-request-id')! });
  },
);
for (const unit of ['berlin', 'fastfix'] as UnitKey[]) {
  matrix(
    'GET /api/v1/drivers',
    LABEL[unit],
    (login) => (!SEES[login].includes(unit) ? 404 : SCORE_READERS.has(login) ? 200 : 403),
    async (login, expected) => {
      const res = await call('GET', `/api/v1/drivers?unitId=${U(unit)}`, { token: tokenOf(login) });
      expectOutcome(res, expected);
      if (expected === 200) expect(res.body).toMatchObject({ method: 'johnson-relative-weights', suppressed: true });
    },
  );
}

// ---- Governance ------------------------------------------------------------------------------

/** Representativeness reads invitations: the invitation readers, within their reach. */
for (const unit of ['berlin', 'newYork', 'fastfix'] as UnitKey[]) {
  matrix(
    'GET /api/v1/governance/representativeness',
    `${LABEL[unit]}'s quarter`,
    (login) => invitationStatus(login, unit),
    async (login, expected) => {
      const res = await call('GET', `/api/v1/governance/representativeness?unitId=${U(unit)}&period=2026-Q1`, { token: tokenOf(login) });
      expectOutcome(res, expected);
      if (expected === 200) expect(res.body).toMatchObject({ unitId: U(unit), from: '2026-01-01', to: '2026-03-31' });
    },
  );
}
/** Data quality reads answers, decisions and invitations: the invitation readers, within their reach. */
for (const unit of ['emea', 'newYork', 'fastfix'] as UnitKey[]) {
  matrix(
    'GET /api/v1/governance/quality',
    `${LABEL[unit]}'s quarters`,
    (login) => invitationStatus(login, unit),
    async (login, expected) => {
      const res = await call('GET', `/api/v1/governance/quality?unitId=${U(unit)}&period=2026-Q1&periods=2`, { token: tokenOf(login) });
      expectOutcome(res, expected);
      if (expected === 200) expect(res.body).toMatchObject({ unitId: U(unit), periods: ['2025-Q4', '2026-Q1'] });
    },
  );
}
/** The exceptions log: whoever reads alerts, within reach. */
for (const unit of ['emea', 'newYork', 'fastfix'] as UnitKey[]) {
  matrix(
    'GET /api/v1/governance/exceptions',
    `${LABEL[unit]}'s exceptions`,
    (login) => (!SEES[login].includes(unit) ? 404 : ALERT_READERS.has(login) ? 200 : 403),
    async (login, expected) => {
      const res = await call('GET', `/api/v1/governance/exceptions?unitId=${U(unit)}`, { token: tokenOf(login) });
      expectOutcome(res, expected);
      if (expected === 200) expect(res.body).toMatchObject({ unitId: U(unit), truncated: false });
    },
  );
}
/** The review pack reads scores, invitations and alerts: admins, analysts and managers, within reach (docs/governance.md). */
for (const unit of ['emea', 'newYork', 'fastfix'] as UnitKey[]) {
  matrix(
    'GET /api/v1/reviews/{period}',
    `${LABEL[unit]}'s review pack`,
    (login) => (!SEES[login].includes(unit) ? 404 : ALERT_READERS.has(login) ? 200 : 403),
    async (login, expected) => {
      const res = await call('GET', `/api/v1/reviews/2026-Q1?unitId=${U(unit)}`, { token: tokenOf(login) });
      expectOutcome(res, expected);
      if (expected === 200) expect(res.body).toMatchObject({ unitId: U(unit), period: '2026-Q1', status: 'closed' });
    },
  );
}
/** Sampling rates are program design: admins on the root. */
matrix(
  'POST /api/v1/touchpoints/{id}/sampling',
  'a touchpoint',
  (login) => tenantStatus(login, 200),
  async (login, expected) => {
    const { touchpoint } = await designTargets();
    const before = (await call('GET', `/api/v1/touchpoints/${touchpoint.id}`, { token: admin() })).body;
    const res = await call('POST', `/api/v1/touchpoints/${touchpoint.id}/sampling`, { token: tokenOf(login), body: { sampling: { gold: 0.5 }, reason: 'authz' } });
    expectOutcome(res, expected);
    const after = (await call('GET', `/api/v1/touchpoints/${touchpoint.id}`, { token: admin() })).body;
    if (expected === 200) {
      expect(after.rules.sampling).toEqual({ gold: 0.5 });
      await expectAudited(res, login, 'touchpoint.sampling', touchpoint.id);
    } else {
      refused.push({ name: `${login} POST /api/v1/touchpoints/{id}/sampling`, requestId: res.headers.get('x-request-id')! });
      expect(after).toEqual(before);
    }
  },
);

// ---- B2B accounts ------------------------------------------------------------------------------

/** Accounts, outcomes and signals are written tenant-wide (the contact admin); an account is read with score.read on its unit. */
matrix(
  'PUT /api/v1/accounts/{externalId}',
  'an account in Berlin',
  (login) => tenantStatus(login, 201),
  async (login, expected) => {
    const res = await call('PUT', `/api/v1/accounts/authz-${login}-${uniq()}`, { token: tokenOf(login), body: { name: 'Acme', unitId: U('berlin') } });
    expectOutcome(res, expected);
    if (expected !== 201) refused.push({ name: `${login} PUT /api/v1/accounts/{externalId}`, requestId: res.headers.get('x-request-id')! });
  },
);
const sharedAccounts = new Map<UnitKey, Promise<string>>();
const accountOn = (unit: UnitKey) => {
  if (!sharedAccounts.has(unit))
    sharedAccounts.set(
      unit,
      (async () => {
        const id = `authz-${unit}-${uniq()}`;
        expect((await call('PUT', `/api/v1/accounts/${id}`, { token: admin(), body: { name: `Account on ${LABEL[unit]}`, unitId: U(unit) } })).status).toBe(201);
        return id;
      })(),
    );
  return sharedAccounts.get(unit)!;
};
for (const unit of ['berlin', 'fastfix'] as UnitKey[]) {
  matrix(
    'GET /api/v1/accounts/{externalId}',
    `an account on ${LABEL[unit]}`,
    (login) => (!SEES[login].includes(unit) ? 404 : SCORE_READERS.has(login) ? 200 : 403),
    async (login, expected) => {
      const res = await call('GET', `/api/v1/accounts/${await accountOn(unit)}`, { token: tokenOf(login) });
      expectOutcome(res, expected);
      if (expected === 200) expect(res.body).toMatchObject({ unitId: U(unit), nps: { n: 0, suppressed: true } });
    },
  );
  matrix(
    'GET /api/v1/accounts/{externalId}/history',
    `the history of an account on ${LABEL[unit]}`,
    (login) => (!SEES[login].includes(unit) ? 404 : SCORE_READERS.has(login) ? 200 : 403),
    async (login, expected) => {
      const res = await call('GET', `/api/v1/accounts/${await accountOn(unit)}/history`, { token: tokenOf(login) });
      expectOutcome(res, expected);
      if (expected === 200) expect(res.body).toMatchObject({ account: { unitId: U(unit) }, nps: [], signals: [], outcomes: [], cases: [] });
    },
  );
}
matrix(
  'POST /api/v1/accounts/{id}/outcomes',
  'a renewal of an account in Berlin',
  (login) => tenantStatus(login, 201),
  async (login, expected) => {
    const res = await call('POST', `/api/v1/accounts/${await accountOn('berlin')}/outcomes`, { token: tokenOf(login), body: { type: 'renewed', occurredAt: '2026-01-01T00:00:00Z' } });
    expectOutcome(res, expected);
    if (expected !== 201) refused.push({ name: `${login} POST /api/v1/accounts/{id}/outcomes`, requestId: res.headers.get('x-request-id')! });
  },
);
let sharedSignal: Promise<string> | undefined;
matrix(
  'PUT /api/v1/accounts/signals',
  'a login count of an account in Berlin',
  (login) => tenantStatus(login, 200),
  async (login, expected) => {
    sharedSignal ??= (async () => {
      const key = `logins_${uniq()}`;
      expect((await call('POST', '/api/v1/measures', { token: admin(), body: { key, name: 'Logins', unit: 'count', direction: 'higher_is_better', source: 'account' } })).status).toBe(201);
      return key;
    })();
    const body = { values: [{ accountId: await accountOn('berlin'), signal: await sharedSignal, date: '2026-01-01', value: 3 }] };
    const res = await call('PUT', '/api/v1/accounts/signals', { token: tokenOf(login), body });
    expectOutcome(res, expected);
    if (expected === 200) expect(res.body).toEqual({ accepted: 1, rejected: [] });
    else refused.push({ name: `${login} PUT /api/v1/accounts/signals`, requestId: res.headers.get('x-request-id')! });
  },
);

/** The at-risk list: score readers of the unit; the model card: score readers anywhere; a training: the contact admin. */
for (const unit of ['emea', 'fastfix'] as UnitKey[]) {
  matrix(
    'GET /api/v1/accounts/at-risk',
    LABEL[unit],
    (login) => (!SEES[login].includes(unit) ? 404 : SCORE_READERS.has(login) ? 200 : 403),
    async (login, expected) => {
      const res = await call('GET', `/api/v1/accounts/at-risk?unitId=${U(unit)}`, { token: tokenOf(login) });
      expectOutcome(res, expected);
      if (expected === 200) expect(res.body.model.kind).toBe('rules');
    },
  );
}
matrix(
  'GET /api/v1/analytics/nps-impact',
  'every segment',
  (login) => (['admin', 'analyst', 'viewer'].includes(login) ? 200 : 403),
  async (login, expected) => {
    expectOutcome(await call('GET', '/api/v1/analytics/nps-impact', { token: tokenOf(login) }), expected);
  },
);
matrix(
  'GET /api/v1/models/churn',
  'the card',
  (login) => (SCORE_READERS.has(login) ? 200 : 403),
  async (login, expected) => {
    expectOutcome(await call('GET', '/api/v1/models/churn', { token: tokenOf(login) }), expected);
  },
);
matrix(
  'POST /api/v1/models/churn/train',
  'a training',
  (login) => tenantStatus(login, 202),
  async (login, expected) => {
    const res = await call('POST', '/api/v1/models/churn/train', { token: tokenOf(login) });
    expectOutcome(res, expected);
    if (expected !== 202) refused.push({ name: `${login} POST /api/v1/models/churn/train`, requestId: res.headers.get('x-request-id')! });
  },
);

// ---- Integrity signals (docs/integrity.md): admins and analysts only --------------------------

/** Never the agents', managers', vendors' or viewers': 403 whatever unit they name, so nothing is disclosed. */
const INTEGRITY_READERS = new Set<Login>(['admin', 'analyst']);
matrix(
  'GET /api/v1/integrity',
  'the whole tenant',
  (login) => (INTEGRITY_READERS.has(login) ? 200 : 403),
  async (login, expected) => {
    expectOutcome(await call('GET', '/api/v1/integrity', { token: tokenOf(login) }), expected);
  },
);
matrix(
  'GET /api/v1/integrity',
  'Berlin',
  (login) => (INTEGRITY_READERS.has(login) ? 200 : 403),
  async (login, expected) => {
    expectOutcome(await call('GET', `/api/v1/integrity?unitId=${U('berlin')}`, { token: tokenOf(login) }), expected);
  },
);

// -------------------------------------------------------------------------------------------

beforeAll(async () => {
  t = await makeTenant('Authz');
  await makeBystander();
});

describe('role × route', () => {
  it.each(cases.map((c) => [`${c.login} × ${c.route} (${c.target}) → ${c.expected}`, c] as const))('%s', async (_, c) => {
    await c.run(c.login, c.expected);
  });

  it('no refused call left an audit row', async () => {
    expect(refused.length).toBeGreaterThan(50);
    const requestIds = new Set(refused.map((r) => r.requestId));
    const offenders: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page: CallResult = await call('GET', `/api/v1/audit-log?limit=500${cursor ? `&before=${cursor}` : ''}`, { token: admin() });
      expect(page.status).toBe(200);
      for (const row of page.body.items) if (requestIds.has(row.requestId)) offenders.push({ row, call: refused.find((r) => r.requestId === row.requestId)!.name });
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(offenders).toEqual([]);
  });
});

describe('an API key acts with its role and unit', () => {
  let secret: string;
  beforeAll(async () => {
    const res = await call('POST', '/api/v1/api-keys', { token: admin(), body: { name: `emea-manager ${uniq()}`, role: 'manager', unitId: U('emea') } });
    expect(res.status).toBe(201);
    secret = res.body.secret;
  });

  it('a manager key on EMEA sees what the EMEA manager sees', async () => {
    const [key, person] = await Promise.all([call('GET', '/api/v1/units', { token: secret }), call('GET', '/api/v1/units', { token: tokenOf('manager') })]);
    expect(key.status).toBe(200);
    const ids = (r: CallResult) => r.body.items.map((u: any) => u.id).sort();
    expect(ids(key)).toEqual(ids(person));
    const fixture = new Set(ALL_UNITS.map(U));
    expect(ids(key).filter((id: string) => fixture.has(id))).toEqual(SEES.manager.map(U).sort());
  });

  it('… gets 404 for QuickServe, 200 for Berlin, and may not write (403) where it reads', async () => {
    const quick = await call('GET', `/api/v1/units/${U('quickserve')}`, { token: secret });
    expectOutcome(quick, 404);
    expectOutcome(await call('GET', `/api/v1/units/${U('berlin')}`, { token: secret }), 200);
    const write = await call('POST', '/api/v1/units', { token: secret, body: { name: `Key ${uniq()}`, kind: 'team', parentId: U('berlin') } });
    expectOutcome(write, 403);
    expectOutcome(await call('GET', '/api/v1/users', { token: secret }), 403);
    const me = await call('GET', '/api/v1/me', { token: secret });
    expect(me.body.grants).toEqual([{ unitId: U('emea'), role: 'manager' }]);
  });
});
