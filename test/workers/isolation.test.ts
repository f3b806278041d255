import { TenantDb } from '../../src/db/tenant-db';
import { env } from 'cloudflare:workers';
import { and, count, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { cases, events, replyTemplates, responses, units } from '../../src/db/schema';
import { alerts, devOutbox, webhookDeliveries } from '../../src/db/schema';
import { webhookEvent } from '../../src/webhooks/emit';
import { handleChurnTrain } from '../../src/accounts/job';
import { newId } from '../../src/lib/ids';
import { makeSentInvitation } from './invitation-fixture';
import { call, db, PASSWORD, makeTenant, uniq, type CallResult, type Fixture } from './support';

/**
 * Tenant isolation, route by route: tenant B's admin (with a session and with an API key)
 * aims every route at tenant A's records. Each answers exactly as for an id that exists
 * nowhere: 404 NOT_FOUND for lookups, no rows for the audit log's filters. Nothing changes
 * in A (nor in B), no answer and no list shows anything of A, and the OpenAPI document may
 * not grow a route this table does not cover.
 */

let A: Fixture;
let B: Fixture;

/** Ids in A that the cases aim at; the ghost twin has the same shape but exists nowhere. */
interface Ids {
  /** The root unit. */
  root: string;
  /** A region with children. */
  unit: string;
  /** A leaf unit without grants or keys: a delete would succeed if the tenant check failed. */
  leaf: string;
  /** A user. */
  user: string;
  /** The admin. */
  admin: string;
  /** A user with a grant on `unit`. */
  grantUser: string;
  /** An API key, live. */
  key: string;
  /** A target id with audit rows. */
  auditTarget: string;
  /** An audit row id (the pagination cursor). */
  auditRow: string;
  /** A survey with one published version. */
  survey: string;
  /** A touchpoint on that survey. */
  touchpoint: string;
  /** An invitation, sent, in Berlin. */
  invitation: string;
  /** A response in Berlin, counted (an exclude that leaked would flip it). */
  response: string;
  /** A contact's external id (contacts are addressed by it). */
  contact: string;
  /** Another contact's external id: B upserts and imports one of that id (its own). */
  contact2: string;
  /** A recurring wave (yearly, so no cron tick of the suite runs it). */
  wave: string;
  /** A recovery case on `response`. */
  case: string;
  /** A webhook endpoint, a message in its delivery log, and an open alert on the region. */
  webhook: string;
  delivery: string;
  alert: string;
  /** An action plan in Berlin, owned by A's manager, answering A's alert. */
  plan: string;
  /** A saved report of A's manager on the region, mailed weekly; and A's vendor unit FastFix. */
  report: string;
  vendor: string;
  /** An annotation on Berlin (a release). */
  annotation: string;
  /** A process change on Berlin, and a target of Berlin for March 2026. */
  change: string;
  target: string;
  /** A unit measure of A (addressed by its key, which B does not have). */
  measure: string;
  /** A's B2B accounts (by external id): one with an outcome and a signal value, one B writes an account of its own under. */
  account: string;
  account2: string;
  /** A's account signal (a measure with source `account`). */
  signal: string;
}
let aIds: Ids;
let ghost: Ids;

/** B's credentials: the admin's session and an admin API key (read and write). */
const CREDS = ['session', 'api key'] as const;
type Cred = (typeof CREDS)[number];
const bToken: Record<Cred, string> = { session: '', 'api key': '' };
let bKeyId: string;
let bSurveyId: string;
let bTouchpointId: string;
/** An anonymous link of A's touchpoint for Berlin. */
let aLinkUrl: string;
/** B's own contact (external id), touchpoint key and wave; A's event id and its second contact as A reads it. */
let bContact: string;
let bTouchpointKey: string;
let bWaveId: string;
let aEventId: string;
let aContact2: unknown;
/** B's own recovery case and reply template. */
let bCaseId: string;
let bTemplateId: string;

/** Every id and identifying string of A: none may appear in an answer to B unless B sent it. */
let aSecrets: string[];
/** A's settings as its admin reads them (with a webhook URL of its own, one of aSecrets). */
let aSettings: unknown;
/** B's own alert rule and webhook; A's webhooks as A's admin lists them. */
let bRuleId: string;
let bHookId: string;
/** B's own action plan. */
let bPlanId: string;
/** B's own saved report. */
let bReportId: string;
/** B's own annotation and target. */
let bAnnotationId: string;
let bTargetId: string;
/** B's own unit measure. */
let bMeasure: string;
/** B's own account and account signal; A's second account as A reads it. */
let bAccount: string;
let bSignal: string;
let aAccount2: unknown;
let aChurnModel: unknown;
let aHooks: unknown;
const aHooksUnchanged = async () => expect((await call('GET', '/api/v1/webhooks', { token: A.tokens.admin })).body).toEqual(aHooks);

interface Snapshot {
  units: unknown;
  users: unknown;
  apiKeys: unknown;
  surveys: unknown;
  touchpoints: unknown;
  waves: unknown;
  auditRows: number;
}
let aBaseline: Snapshot;

async function auditCount(token: string): Promise<number> {
  let n = 0;
  let cursor: string | null = null;
  do {
    const res: CallResult = await call('GET', `/api/v1/audit-log?limit=500${cursor ? `&before=${cursor}` : ''}`, { token });
    expect(res.status).toBe(200);
    n += res.body.items.length;
    cursor = res.body.nextCursor;
  } while (cursor);
  return n;
}

/** What a tenant's admin sees: units, users with grants, API keys, and how many audit rows. */
async function snapshot(f: Fixture, opts: { ignoreKeyUse?: boolean } = {}): Promise<Snapshot> {
  const token = f.tokens.admin;
  const [units, users, keys, surveys, touchpoints, waves] = await Promise.all([
    call('GET', '/api/v1/units', { token }),
    call('GET', '/api/v1/users', { token }),
    call('GET', '/api/v1/api-keys', { token }),
    call('GET', '/api/v1/surveys', { token }),
    call('GET', '/api/v1/touchpoints', { token }),
    call('GET', '/api/v1/waves', { token }),
  ]);
  for (const r of [units, users, keys, surveys, touchpoints, waves]) expect(r.status).toBe(200);
  const apiKeys = opts.ignoreKeyUse ? keys.body.items.map((k: any) => ({ ...k, lastUsedAt: undefined })) : keys.body.items;
  return { units: units.body.items, users: users.body.items, apiKeys, surveys: surveys.body.items, touchpoints: touchpoints.body.items, waves: waves.body.items, auditRows: await auditCount(token) };
}

function expectNotFound(res: CallResult) {
  expect(res.status, JSON.stringify(res.body)).toBe(404);
  expect(res.body.error.code).toBe('NOT_FOUND');
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.error.message.length).toBeGreaterThan(0);
  expect(res.body.error.requestId).toBe(res.headers.get('x-request-id'));
}

/** The answer with request ids dropped and the aimed-at ids replaced by their role in `Ids`. */
function normalise(res: CallResult, ids: Ids) {
  let text = JSON.stringify({ status: res.status, body: res.body }, (k, v) => (k === 'requestId' ? undefined : v));
  for (const [name, id] of Object.entries(ids)) text = text.split(id).join(`<${name}>`);
  return JSON.parse(text);
}

/** No id or name of A in the answer, other than the ones the request itself carried. */
function expectNoLeak(res: CallResult, sent: string) {
  const text = JSON.stringify(res.body) + [...res.headers].map(([k, v]) => `${k}:${v}`).join('\n');
  const leaked = aSecrets.filter((s) => !sent.includes(s) && text.includes(s));
  expect(leaked, `answer discloses A: ${text}`).toEqual([]);
}

interface Req {
  method: string;
  path: string;
  body?: unknown;
}

interface Case {
  /** The operation as the OpenAPI document names it: `METHOD /path/{param}`. */
  op: string;
  name: string;
  kind: 'foreign-id';
  request: (ids: Ids) => Req;
  /**
   * `not-found`: 404 with the envelope. `empty`: a filter, not a lookup — 200 with no items.
   * Either way the answer equals the one for ids that exist nowhere.
   */
  expect: 'not-found' | 'empty';
  /** Extra checks on B's side after the call. */
  after?: (res: CallResult, cred: Cred) => Promise<void>;
}

interface ListCase {
  op: string;
  name: string;
  kind: 'list';
  path: string;
  /** Something of B's the list must contain, so an empty answer cannot pass. */
  mustContain: () => string[];
}

interface CustomCase {
  op: string;
  name: string;
  kind: 'custom';
  /** Whether the call legitimately changes B (so B's snapshot is not compared). */
  changesB?: boolean;
  run: (cred: Cred) => Promise<void>;
}

type IsolationCase = Case | ListCase | CustomCase;

const json = (path: string, method: string, body?: unknown): Req => ({ method, path, body });

const CASES: IsolationCase[] = [
  // Units
  { op: 'GET /api/v1/units/{id}', name: "A's region", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/units/${x.unit}`, 'GET') },
  { op: 'GET /api/v1/units/{id}', name: "A's root", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/units/${x.root}`, 'GET') },
  {
    op: 'PATCH /api/v1/units/{id}',
    name: "rename A's unit",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/units/${x.leaf}`, 'PATCH', { name: `pwned ${uniq()}`, timezone: 'Europe/Berlin' }),
  },
  {
    op: 'PATCH /api/v1/units/{id}',
    name: "move B's unit under A's unit (parentId in the body)",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/units/${B.units.paris}`, 'PATCH', { parentId: x.unit }),
    after: async () => {
      const paris = await call('GET', `/api/v1/units/${B.units.paris}`, { token: B.tokens.admin });
      expect(paris.body.parentId).toBe(B.units.emea);
      expect(paris.body.path).toBe(B.paths.paris!.path);
    },
  },
  { op: 'DELETE /api/v1/units/{id}', name: "A's leaf unit", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/units/${x.leaf}`, 'DELETE') },
  {
    op: 'POST /api/v1/units',
    name: "a child of A's unit (parentId in the body)",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json('/api/v1/units', 'POST', { name: `Implant ${uniq()}`, kind: 'site', parentId: x.unit }),
  },
  { op: 'GET /api/v1/units', name: "the subtree of A's unit (?rootId)", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/units?rootId=${x.unit}`, 'GET') },
  { op: 'GET /api/v1/units', name: 'list', kind: 'list', path: '/api/v1/units', mustContain: () => Object.values(B.units) },

  // Users and grants
  { op: 'GET /api/v1/users/{id}', name: "A's user", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/users/${x.user}`, 'GET') },
  { op: 'GET /api/v1/users/{id}', name: "A's admin", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/users/${x.admin}`, 'GET') },
  {
    op: 'PATCH /api/v1/users/{id}',
    name: "disable, rename and reset the password of A's user",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/users/${x.user}`, 'PATCH', { name: 'pwned', status: 'disabled', password: 'a-new-password-123' }),
  },
  {
    op: 'PUT /api/v1/users/{id}/grants/{unitId}',
    name: "A's user, A's unit",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/users/${x.user}/grants/${x.unit}`, 'PUT', { role: 'admin' }),
  },
  {
    op: 'PUT /api/v1/users/{id}/grants/{unitId}',
    name: "B's own user, A's unit",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/users/${B.userIds.viewer}/grants/${x.unit}`, 'PUT', { role: 'admin' }),
    after: async () => {
      const viewer = await call('GET', `/api/v1/users/${B.userIds.viewer}`, { token: B.tokens.admin });
      expect(viewer.body.grants).toEqual([{ unitId: B.units.root, role: 'viewer' }]);
    },
  },
  {
    op: 'PUT /api/v1/users/{id}/grants/{unitId}',
    name: "A's user, B's unit",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/users/${x.user}/grants/${B.units.root}`, 'PUT', { role: 'admin' }),
  },
  {
    op: 'DELETE /api/v1/users/{id}/grants/{unitId}',
    name: "A's user's grant on A's unit",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/users/${x.grantUser}/grants/${x.unit}`, 'DELETE'),
  },
  {
    op: 'DELETE /api/v1/users/{id}/grants/{unitId}',
    name: "B's own user, A's unit",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/users/${B.userIds.manager}/grants/${x.unit}`, 'DELETE'),
  },
  {
    op: 'POST /api/v1/users',
    name: "a new user with a grant on A's unit",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json('/api/v1/users', 'POST', { email: `mole.${uniq()}@b.test`, password: 'a-long-password-1', grants: [{ unitId: x.unit, role: 'admin' }] }),
    after: async () => {
      // Not created in B either, without the grant: the whole request is refused.
      const users = await call('GET', '/api/v1/users', { token: B.tokens.admin });
      expect(users.body.items.filter((u: any) => u.email.startsWith('mole.'))).toEqual([]);
    },
  },
  {
    op: 'POST /api/v1/users',
    name: "a new user with grants on B's unit and on A's unit",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) =>
      json('/api/v1/users', 'POST', {
        email: `mole.${uniq()}@b.test`,
        password: 'a-long-password-1',
        grants: [
          { unitId: B.units.emea, role: 'viewer' },
          { unitId: x.unit, role: 'admin' },
        ],
      }),
  },
  { op: 'GET /api/v1/users', name: 'list', kind: 'list', path: '/api/v1/users', mustContain: () => Object.values(B.userIds) },

  // API keys
  {
    op: 'POST /api/v1/api-keys',
    name: "a key on A's unit (unitId in the body)",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json('/api/v1/api-keys', 'POST', { name: `mole ${uniq()}`, role: 'admin', unitId: x.unit }),
  },
  {
    op: 'POST /api/v1/api-keys',
    name: "a key on A's leaf unit, read-only",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json('/api/v1/api-keys', 'POST', { name: `mole ${uniq()}`, role: 'viewer', unitId: x.leaf, scopes: ['read'] }),
  },
  { op: 'DELETE /api/v1/api-keys/{id}', name: "revoke A's key", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/api-keys/${x.key}`, 'DELETE') },
  { op: 'GET /api/v1/api-keys', name: 'list', kind: 'list', path: '/api/v1/api-keys', mustContain: () => [bKeyId] },

  // Audit log: targetId and the cursor are filters, not lookups. An id of A must answer like
  // an id that exists nowhere: no rows (a 404 would differ from a deleted record of one's own,
  // whose audit rows remain listable).
  { op: 'GET /api/v1/audit-log', name: "filtered by A's unit (targetId)", kind: 'foreign-id', expect: 'empty', request: (x) => json(`/api/v1/audit-log?targetId=${x.auditTarget}`, 'GET') },
  {
    op: 'GET /api/v1/audit-log',
    name: "filtered by A's key (targetType + targetId)",
    kind: 'foreign-id',
    expect: 'empty',
    request: (x) => json(`/api/v1/audit-log?targetType=api_key&targetId=${x.key}`, 'GET'),
  },
  { op: 'GET /api/v1/audit-log', name: "filtered by A's user", kind: 'foreign-id', expect: 'empty', request: (x) => json(`/api/v1/audit-log?targetType=user&targetId=${x.user}`, 'GET') },
  {
    op: 'GET /api/v1/audit-log',
    name: "paged with A's row as the cursor (?before)",
    kind: 'custom',
    run: async (cred) => {
      const token = bToken[cred];
      const withA = await call('GET', `/api/v1/audit-log?limit=500&before=${aIds.auditRow}`, { token });
      const withGhost = await call('GET', `/api/v1/audit-log?limit=500&before=${ghost.auditRow}`, { token });
      expect(withA.status).toBe(200);
      expect(withA.body).toEqual(withGhost.body);
      expect(withA.body.items.length).toBeGreaterThan(0);
      expectNoLeak(withA, aIds.auditRow);
    },
  },
  { op: 'GET /api/v1/audit-log', name: 'list', kind: 'list', path: '/api/v1/audit-log?limit=500', mustContain: () => [B.tenantId] },

  // Surveys and touchpoints
  { op: 'GET /api/v1/surveys/{id}', name: "A's survey", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/surveys/${x.survey}`, 'GET') },
  { op: 'PATCH /api/v1/surveys/{id}', name: "rename A's survey", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/surveys/${x.survey}`, 'PATCH', { name: 'pwned' }) },
  { op: 'POST /api/v1/surveys/{id}/publish', name: "publish A's survey", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/surveys/${x.survey}/publish`, 'POST') },
  {
    op: 'POST /api/v1/surveys/{id}/preview',
    name: "preview A's survey",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/surveys/${x.survey}/preview`, 'POST', { locale: 'en' }),
  },
  {
    op: 'POST /api/v1/surveys/{id}/preview',
    name: "preview A's survey with B's own draft",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/surveys/${x.survey}/preview`, 'POST', { locale: 'en', draft: { questions: [{ id: 'nps', type: 'nps' }], translations: { en: { 'nps.label': 'Recommend?' } } } }),
  },
  { op: 'GET /api/v1/surveys/{id}/versions', name: "A's survey versions", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/surveys/${x.survey}/versions`, 'GET') },
  { op: 'GET /api/v1/surveys/{id}/versions/{version}', name: "A's survey version 1", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/surveys/${x.survey}/versions/1`, 'GET') },
  {
    op: 'POST /api/v1/surveys',
    name: 'a new survey lands in B only (no tenant in the body)',
    kind: 'custom',
    changesB: true,
    run: async (cred) => {
      const created = await call('POST', '/api/v1/surveys', { token: bToken[cred], body: { name: `B only ${uniq()}` } });
      expect(created.status).toBe(201);
      expect((await call('GET', `/api/v1/surveys/${created.body.id}`, { token: B.tokens.admin })).status).toBe(200);
      expect((await call('GET', `/api/v1/surveys/${created.body.id}`, { token: A.tokens.admin })).status).toBe(404);
      const withTenant = await call('POST', '/api/v1/surveys', { token: bToken[cred], body: { name: 'x', tenantId: A.tenantId } });
      expect(withTenant.status).toBe(400);
    },
  },
  { op: 'GET /api/v1/surveys', name: 'list', kind: 'list', path: '/api/v1/surveys', mustContain: () => [bSurveyId] },
  { op: 'GET /api/v1/touchpoints/{id}', name: "A's touchpoint", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/touchpoints/${x.touchpoint}`, 'GET') },
  {
    op: 'PATCH /api/v1/touchpoints/{id}',
    name: "deactivate A's touchpoint",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/touchpoints/${x.touchpoint}`, 'PATCH', { active: false }),
  },
  {
    op: 'POST /api/v1/touchpoints',
    name: "a touchpoint on A's survey (surveyId in the body)",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json('/api/v1/touchpoints', 'POST', { key: `mole-${uniq()}`, name: 'Mole', kind: 'site_visit', surveyId: x.survey, channels: ['link'] }),
  },
  {
    op: 'PATCH /api/v1/touchpoints/{id}',
    name: "point B's touchpoint at A's survey",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/touchpoints/${bTouchpointId}`, 'PATCH', { surveyId: x.survey }),
  },
  { op: 'GET /api/v1/touchpoints', name: 'list', kind: 'list', path: '/api/v1/touchpoints', mustContain: () => [bTouchpointId] },

  // Scores
  { op: 'GET /api/v1/scores', name: "A's region (?unitId)", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/scores?unitId=${x.unit}`, 'GET') },
  {
    op: 'GET /api/v1/scores',
    name: "B's own scores count nothing of A",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('GET', '/api/v1/scores?groupBy=unit', { token: bToken[cred] });
      expect(res.status).toBe(200);
      expectNoLeak(res, '');
    },
  },

  // Program health
  {
    op: 'GET /api/v1/program/funnel',
    name: "A's region (?unitId)",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/program/funnel?unitId=${x.unit}&from=2020-01-01&to=2020-12-31`, 'GET'),
  },
  {
    op: 'GET /api/v1/program/funnel',
    name: "B's own funnel counts nothing of A",
    kind: 'custom',
    run: async (cred) => {
      const today = new Date().toISOString().slice(0, 10);
      const res = await call('GET', `/api/v1/program/funnel?unitId=${B.units.root}&from=${today.slice(0, 4)}-01-01&to=${today}`, { token: bToken[cred] });
      expect(res.status).toBe(200);
      for (const tp of res.body.byTouchpoint) expect(tp.touchpointId).not.toBe(aIds.touchpoint);
      expectNoLeak(res, '');
    },
  },

  // Exports
  { op: 'GET /api/v1/exports/responses.csv', name: "A's region (?unitId)", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/exports/responses.csv?unitId=${x.unit}`, 'GET') },
  { op: 'GET /api/v1/exports/scores.csv', name: "A's region (?unitId)", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/exports/scores.csv?unitId=${x.unit}`, 'GET') },
  {
    op: 'GET /api/v1/exports/responses.csv',
    name: "B's own export holds nothing of A",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('GET', '/api/v1/exports/responses.csv?includeUncounted=true', { token: bToken[cred] });
      expect(res.status).toBe(200);
      expectNoLeak(res, '');
    },
  },

  // Settings and invitations
  { op: 'GET /api/v1/invitations/{id}', name: "A's invitation", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/invitations/${x.invitation}`, 'GET') },
  {
    op: 'GET /api/v1/settings',
    name: "B's own, nothing of A",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('GET', '/api/v1/settings', { token: bToken[cred] });
      expect(res.status).toBe(200);
      expect(res.body.webhook).toBeNull();
      expectNoLeak(res, '');
    },
  },
  {
    op: 'PATCH /api/v1/settings',
    name: "changes B's settings, never A's",
    kind: 'custom',
    changesB: true,
    run: async (cred) => {
      const res = await call('PATCH', '/api/v1/settings', { token: bToken[cred], body: { fatigueDays: 11, webhook: null } });
      expect(res.status).toBe(200);
      expect(res.body.fatigueDays).toBe(11);
      expectNoLeak(res, '');
      expect((await call('GET', '/api/v1/settings', { token: A.tokens.admin })).body).toEqual(aSettings);
    },
  },
  {
    op: 'POST /api/v1/settings/widget-key',
    name: "a key naming B; A's settings untouched",
    kind: 'custom',
    changesB: true,
    run: async (cred) => {
      const res = await call('POST', '/api/v1/settings/widget-key', { token: bToken[cred] });
      expect(res.status).toBe(201);
      expect(res.body.publicKey).toContain(B.tenantId);
      expectNoLeak(res, '');
      expect((await call('GET', '/api/v1/settings', { token: A.tokens.admin })).body).toEqual(aSettings);
    },
  },

  // Reconciliation: an upload naming A's contacts finds none of A's answers.
  {
    op: 'POST /api/v1/reconciliations',
    name: "rows naming A's users as contacts match nothing",
    kind: 'custom',
    run: async (cred) => {
      const today = new Date().toISOString().slice(0, 10);
      const res = await call('POST', '/api/v1/reconciliations', { token: bToken[cred], rawBody: `external_id,score,date\r\n${aIds.user},9,${today}\r\n`, headers: { 'content-type': 'text/csv' } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ matched: 0, mismatches: [], missingThere: [] });
      expectNoLeak(res, aIds.user);
    },
  },

  // Responses and anonymous links
  { op: 'GET /api/v1/responses/{id}', name: "A's response", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/responses/${x.response}`, 'GET') },
  { op: 'GET /api/v1/responses', name: "A's region (?unitId)", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/responses?unitId=${x.unit}`, 'GET') },
  { op: 'GET /api/v1/responses', name: "filtered by A's touchpoint (?touchpoint)", kind: 'foreign-id', expect: 'empty', request: (x) => json(`/api/v1/responses?touchpoint=${x.touchpoint}`, 'GET') },
  {
    op: 'GET /api/v1/responses',
    name: "B's own list holds nothing of A",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('GET', '/api/v1/responses?limit=200', { token: bToken[cred] });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeGreaterThan(0);
      expectNoLeak(res, '');
    },
  },
  {
    op: 'GET /api/v1/responses',
    name: "B's search for A's words (?q) finds nothing of A",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('GET', `/api/v1/responses?limit=200&excluded=all&q=${encodeURIComponent("A's verbatim")}`, { token: bToken[cred] });
      expect(res.status).toBe(200);
      expect(res.body.items.map((i: { id: string }) => i.id)).not.toContain(aIds.response);
      expect(JSON.stringify(res.body)).not.toContain("A's verbatim");
      expectNoLeak(res, '');
    },
  },
  {
    op: 'GET /api/v1/exports/responses.csv',
    name: "B's export searched for A's words (?q) holds nothing of A",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('GET', `/api/v1/exports/responses.csv?includeUncounted=true&q=${encodeURIComponent("A's verbatim")}`, { token: bToken[cred] });
      expect(res.status).toBe(200);
      expect(String(res.body)).not.toContain(aIds.response);
      expect(String(res.body)).not.toContain("A's verbatim");
      expectNoLeak(res, '');
    },
  },
  { op: 'GET /api/v1/themes', name: "A's region (?unitId)", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/themes?unitId=${x.unit}`, 'GET') },
  {
    op: 'GET /api/v1/theme-library',
    name: "B's library holds none of A's themes",
    kind: 'custom',
    changesB: true,
    run: async (cred) => {
      const a = (await call('GET', '/api/v1/theme-library', { token: A.tokens.admin })).body.items.map((x: { id: string }) => x.id);
      const res = await call('GET', '/api/v1/theme-library', { token: bToken[cred] });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeGreaterThan(0);
      for (const x of res.body.items) expect(a).not.toContain(x.id);
      expectNoLeak(res, '');
    },
  },
  {
    op: 'POST /api/v1/theme-library',
    name: "a theme named as one of A's goes to B only",
    kind: 'custom',
    changesB: true,
    run: async (cred) => {
      const before = (await call('GET', '/api/v1/theme-library', { token: A.tokens.admin })).body;
      const name = `${before.items[0].name} ${cred} ${uniq()}`;
      const res = await call('POST', '/api/v1/theme-library', { token: bToken[cred], body: { name, terms: { en: ['parking'] } } });
      expect(res.status).toBe(201);
      expect((await call('GET', '/api/v1/theme-library', { token: A.tokens.admin })).body).toEqual(before);
    },
  },
  ...(['PATCH', 'DELETE'] as const).map(
    (method): IsolationCase => ({
      op: `${method} /api/v1/theme-library/{id}`,
      name: `${method.toLowerCase()} A's theme`,
      kind: 'custom',
      run: async (cred) => {
        const before = (await call('GET', '/api/v1/theme-library', { token: A.tokens.admin })).body;
        const res = await call(method, `/api/v1/theme-library/${before.items[0].id}`, { token: bToken[cred], ...(method === 'PATCH' ? { body: { name: 'pwned' } } : {}) });
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('NOT_FOUND');
        expectNoLeak(res, before.items[0].id);
        expect((await call('GET', '/api/v1/theme-library', { token: A.tokens.admin })).body).toEqual(before);
      },
    }),
  ),
  ...(['exclude', 'include'] as const).map(
    (verb): IsolationCase => ({
      op: `POST /api/v1/responses/{id}/${verb}`,
      name: `${verb} A's response`,
      kind: 'foreign-id',
      expect: 'not-found',
      request: (x) => json(`/api/v1/responses/${x.response}/${verb}`, 'POST', { reason: 'cross-tenant attempt' }),
      after: async () => {
        const res = await call('GET', `/api/v1/responses/${aIds.response}`, { token: A.tokens.admin });
        expect(res.body.counted).toBe(true);
      },
    }),
  ),
  {
    op: 'POST /api/v1/touchpoints/{id}/links',
    name: "a link to A's touchpoint for B's unit",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/touchpoints/${x.touchpoint}/links`, 'POST', { unitId: B.units.berlin }),
  },
  {
    op: 'POST /api/v1/touchpoints/{id}/links',
    name: "a link to B's touchpoint for A's unit (unitId in the body)",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/touchpoints/${bTouchpointId}/links`, 'POST', { unitId: x.unit }),
  },
  {
    op: 'POST /api/v1/touchpoints/{id}/links/revoke',
    name: "revoke A's anonymous link",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/touchpoints/${x.touchpoint}/links/revoke`, 'POST', { url: aLinkUrl }),
    after: async () => expect((await call('GET', new URL(aLinkUrl).pathname)).status).toBe(200),
  },
  {
    op: 'POST /api/v1/touchpoints/{id}/links/revoke',
    name: "revoke A's anonymous link through B's touchpoint (the link in the body)",
    kind: 'foreign-id',
    expect: 'not-found',
    request: () => json(`/api/v1/touchpoints/${bTouchpointId}/links/revoke`, 'POST', { url: aLinkUrl }),
    after: async () => expect((await call('GET', new URL(aLinkUrl).pathname)).status).toBe(200),
  },

  // Contacts, events and waves. External ids, event ids and touchpoint keys are each tenant's
  // own namespace: B using one of A's makes or finds B's own record, never A's.
  {
    op: 'POST /api/v1/contacts/{externalId}/reweight',
    name: "A's contact",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/contacts/${x.contact}/reweight`, 'POST', { lifetimeValue: 1, reason: 'pwned' }),
  },
  { op: 'GET /api/v1/contacts/{externalId}', name: "A's contact", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/contacts/${x.contact}`, 'GET') },
  { op: 'GET /api/v1/contacts/{externalId}/export', name: "A's contact", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/contacts/${x.contact}/export`, 'GET') },
  { op: 'DELETE /api/v1/contacts/{externalId}', name: "A's contact", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/contacts/${x.contact}`, 'DELETE') },
  {
    op: 'PUT /api/v1/contacts/{externalId}',
    name: "A's external id makes B's own contact; A's is untouched",
    kind: 'custom',
    changesB: true,
    run: async (cred) => {
      const res = await call('PUT', `/api/v1/contacts/${aIds.contact2}`, { token: bToken[cred], body: { email: `b-${cred.replace(' ', '-')}@b.test`, segment: 'b' } });
      expect([200, 201]).toContain(res.status);
      expect(res.body).toMatchObject({ externalId: aIds.contact2, email: `b-${cred.replace(' ', '-')}@b.test` });
      expectNoLeak(res, aIds.contact2);
      expect((await call('GET', `/api/v1/contacts/${aIds.contact2}`, { token: A.tokens.admin })).body).toEqual(aContact2);
    },
  },
  {
    op: 'POST /api/v1/contacts/import',
    name: "rows with A's external ids upsert B's own contacts",
    kind: 'custom',
    changesB: true,
    run: async (cred) => {
      const res = await call('POST', '/api/v1/contacts/import', { token: bToken[cred], rawBody: `externalId,segment\r\n${aIds.contact2},imported\r\n`, headers: { 'content-type': 'text/csv' } });
      expect(res.body).toEqual({ accepted: 1, rejected: [] });
      expect((await call('GET', `/api/v1/contacts/${aIds.contact2}`, { token: A.tokens.admin })).body).toEqual(aContact2);
      expect((await call('GET', `/api/v1/contacts/${aIds.contact2}`, { token: bToken[cred] })).body.segment).toBe('imported');
    },
  },
  {
    op: 'POST /api/v1/events',
    name: "A's unit answers like a unit that exists nowhere; A's event id is B's own event",
    kind: 'custom',
    changesB: true,
    run: async (cred) => {
      const token = bToken[cred];
      const event = (unitId: string) => ({ id: `b-${uniq()}`, type: 'ticket.resolved', occurredAt: new Date().toISOString(), contactId: bContact, unitId, touchpoint: bTouchpointKey });
      const [viaA, viaGhost] = [
        await call('POST', '/api/v1/events', { token, body: { events: [event(aIds.unit)] } }),
        await call('POST', '/api/v1/events', { token, body: { events: [event(ghost.unit)] } }),
      ];
      expect(viaA.status).toBe(422);
      expect(viaA.body.results[0].error).toMatchObject({ code: 'NOT_FOUND', status: 404 });
      expect(viaA.body.results[0].error.message.replace(aIds.unit, '<unit>')).toBe(viaGhost.body.results[0].error.message.replace(ghost.unit, '<unit>'));
      const sameId = await call('POST', '/api/v1/events', { token, body: { events: [{ id: aEventId, type: 'note.added', occurredAt: new Date().toISOString(), contactId: bContact }] } });
      expect(sameId.status).toBe(200);
      expect(sameId.body.results).toEqual([{ eventId: aEventId, decision: 'skip', reason: 'no_touchpoint' }]); // not A's invitation
      expectNoLeak(sameId, aEventId);
      const aRows = await db(A.tenantId)
        .select()
        .from(events)
        .where(and(eq(events.tenantId, A.tenantId), eq(events.eventId, aEventId)));
      expect(aRows.map((r) => r.decision)).toEqual(['invite']);
    },
  },
  {
    op: 'PATCH /api/v1/waves/{id}',
    name: "pause and rename A's wave",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/waves/${x.wave}`, 'PATCH', { name: 'pwned', active: false }),
  },
  { op: 'DELETE /api/v1/waves/{id}', name: "A's wave", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/waves/${x.wave}`, 'DELETE') },
  {
    op: 'POST /api/v1/waves',
    name: "a wave of B's touchpoint for A's unit (unitId in the body)",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json('/api/v1/waves', 'POST', { touchpointKey: bTouchpointKey, name: 'Mole', schedule: '0 9 1 1 *', audience: { kind: 'accounts' }, unitId: x.unit }),
  },
  { op: 'GET /api/v1/waves', name: 'list', kind: 'list', path: '/api/v1/waves', mustContain: () => [bWaveId] },

  // Recovery cases, reply templates, vendor contracts
  { op: 'GET /api/v1/cases/{id}', name: "A's case", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/cases/${x.case}`, 'GET') },
  {
    op: 'PATCH /api/v1/cases/{id}',
    name: "mark A's case contacted",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/cases/${x.case}`, 'PATCH', { status: 'contacted', note: 'pwned' }),
  },
  { op: 'GET /api/v1/cases/{id}/owners', name: "the owners of A's case", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/cases/${x.case}/owners`, 'GET') },
  {
    op: 'PATCH /api/v1/cases/{id}',
    name: "reassign A's case to B's manager",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/cases/${x.case}`, 'PATCH', { ownerUserId: B.userIds.manager }),
  },
  {
    op: 'PATCH /api/v1/cases/{id}',
    name: "B's case reassigned to A's admin",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('PATCH', `/api/v1/cases/${bCaseId}`, { token: bToken[cred], body: { ownerUserId: A.userIds.admin! } });
      expect(res.status).toBe(422);
      expectNoLeak(res, A.userIds.admin!);
      const after = await call('GET', `/api/v1/cases/${bCaseId}`, { token: B.tokens.admin });
      expect(after.body.ownerUserId).toBe(B.userIds.manager);
    },
  },
  {
    op: 'GET /api/v1/cases/{id}/owners',
    name: "B's case: none of A's people",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('GET', `/api/v1/cases/${bCaseId}/owners`, { token: bToken[cred] });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeGreaterThan(0);
      expectNoLeak(res, '');
    },
  },
  { op: 'GET /api/v1/cases', name: "A's region (?unitId)", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/cases?unitId=${x.unit}`, 'GET') },
  { op: 'GET /api/v1/cases/{id}/reply', name: "a reply for A's case", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/cases/${x.case}/reply?theme=iso`, 'GET') },
  { op: 'GET /api/v1/cases', name: "A's unit as the vendor filter (?vendorId)", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/cases?vendorId=${x.unit}`, 'GET') },
  { op: 'GET /api/v1/cases', name: 'list', kind: 'list', path: '/api/v1/cases', mustContain: () => [bCaseId] },
  { op: 'GET /api/v1/cases/metrics', name: "A's region (?unitId)", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/cases/metrics?unitId=${x.unit}`, 'GET') },
  {
    op: 'PUT /api/v1/vendor-contracts/{unitId}',
    name: "A's unit",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/vendor-contracts/${x.leaf}`, 'PUT', { firstContactHours: 1 }),
  },
  {
    op: 'PUT /api/v1/vendor-contracts/{unitId}',
    name: "B's vendor owned by A's user (ownerUserId in the body)",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/vendor-contracts/${B.units.fastfix}`, 'PUT', { ownerUserId: x.user }),
  },
  { op: 'GET /api/v1/reply-templates', name: 'list', kind: 'list', path: '/api/v1/reply-templates', mustContain: () => [bTemplateId] },
  {
    op: 'PUT /api/v1/case-settings',
    name: "a routing rule naming A's user",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json('/api/v1/case-settings', 'PUT', { routingRules: [{ attribute: 'supportTier', equals: 'gold', ownerUserId: x.user }] }),
  },
  {
    op: 'PUT /api/v1/case-settings',
    name: "an SMS number for A's user",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json('/api/v1/case-settings', 'PUT', { casePhones: { [x.admin]: '+49301234567' } }),
  },
  {
    op: 'GET /api/v1/case-settings',
    name: "B's own, nothing of A",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('GET', '/api/v1/case-settings', { token: bToken[cred] });
      expect(res.status).toBe(200);
      expect(res.body.caseTargets).toEqual({ firstContactHours: 48, resolutionHours: 168 });
      expectNoLeak(res, '');
    },
  },
  {
    op: 'POST /api/v1/reply-templates',
    name: "the theme and locale of A's template: a new one in B, A's untouched",
    kind: 'custom',
    changesB: true,
    run: async (cred) => {
      const res = await call('POST', '/api/v1/reply-templates', { token: bToken[cred], body: { theme: 'iso', locale: 'en', subject: 'B', body: 'B' } });
      expect([200, 201]).toContain(res.status);
      const [aTemplate] = await db(A.tenantId)
        .select()
        .from(replyTemplates)
        .where(and(eq(replyTemplates.tenantId, A.tenantId), eq(replyTemplates.theme, 'iso')));
      expect(aTemplate).toMatchObject({ subject: 'A subject', body: 'A body' });
      expectNoLeak(res, '');
    },
  },

  // Alerts and webhooks
  { op: 'POST /api/v1/alert-rules', name: "a rule on A's region", kind: 'foreign-id', expect: 'not-found', request: (x) => json('/api/v1/alert-rules', 'POST', { unitId: x.unit }) },
  {
    op: 'POST /api/v1/alert-rules',
    name: "a rule on B's unit for A's touchpoint",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json('/api/v1/alert-rules', 'POST', { unitId: B.units.berlin, touchpointId: x.touchpoint }),
  },
  { op: 'GET /api/v1/alert-rules', name: 'list', kind: 'list', path: '/api/v1/alert-rules', mustContain: () => [bRuleId] },
  {
    op: 'GET /api/v1/alerts',
    name: "B's own, nothing of A",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('GET', '/api/v1/alerts', { token: bToken[cred] });
      expect(res.status).toBe(200);
      expect(res.body.items).toEqual([]);
      expectNoLeak(res, '');
    },
  },
  {
    op: 'PATCH /api/v1/alerts/{id}',
    name: "root cause on A's alert",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/alerts/${x.alert}`, 'PATCH', { rootCause: 'pwned' }),
    after: async () => {
      const [a] = await db(A.tenantId).select().from(alerts).where(eq(alerts.id, aIds.alert));
      expect(a!.rootCause).toBeNull();
    },
  },
  {
    op: 'POST /api/v1/webhooks',
    name: 'a new endpoint lands in B only',
    kind: 'custom',
    changesB: true,
    run: async (cred) => {
      const res = await call('POST', '/api/v1/webhooks', { token: bToken[cred], body: { url: 'https://b.test/hook', events: ['alert.raised'] } });
      expect(res.status).toBe(201);
      expectNoLeak(res, '');
      await aHooksUnchanged();
    },
  },
  { op: 'GET /api/v1/webhooks', name: 'list', kind: 'list', path: '/api/v1/webhooks', mustContain: () => [bHookId] },
  {
    op: 'PATCH /api/v1/webhooks/{id}',
    name: "disable A's endpoint",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/webhooks/${x.webhook}`, 'PATCH', { active: false }),
    after: aHooksUnchanged,
  },
  { op: 'DELETE /api/v1/webhooks/{id}', name: "A's endpoint", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/webhooks/${x.webhook}`, 'DELETE'), after: aHooksUnchanged },
  {
    op: 'POST /api/v1/webhooks/{id}/rotate-secret',
    name: "A's endpoint",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/webhooks/${x.webhook}/rotate-secret`, 'POST'),
    after: aHooksUnchanged,
  },
  { op: 'GET /api/v1/webhooks/{id}/deliveries', name: "A's delivery log", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/webhooks/${x.webhook}/deliveries`, 'GET') },
  {
    op: 'POST /api/v1/webhooks/{id}/deliveries/{deliveryId}/replay',
    name: "A's endpoint and message",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/webhooks/${x.webhook}/deliveries/${x.delivery}/replay`, 'POST'),
    after: async () => {
      const [d] = await db(A.tenantId).select().from(webhookDeliveries).where(eq(webhookDeliveries.id, aIds.delivery));
      expect(d).toMatchObject({ status: 'pending', attempts: 0 });
    },
  },
  {
    op: 'POST /api/v1/webhooks/{id}/deliveries/{deliveryId}/replay',
    name: "B's endpoint, A's message",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/webhooks/${bHookId}/deliveries/${x.delivery}/replay`, 'POST'),
  },

  // Action plans
  { op: 'POST /api/v1/action-plans', name: "a plan on A's region", kind: 'foreign-id', expect: 'not-found', request: (x) => json('/api/v1/action-plans', 'POST', { unitId: x.unit, title: 'pwned' }) },
  {
    op: 'POST /api/v1/action-plans',
    name: "a plan on B's unit answering A's alert",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json('/api/v1/action-plans', 'POST', { unitId: B.units.berlin, title: 'pwned', alertId: x.alert }),
  },
  {
    op: 'POST /api/v1/action-plans',
    name: "a plan on B's unit owned by A's user",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json('/api/v1/action-plans', 'POST', { unitId: B.units.berlin, title: 'pwned', ownerUserId: x.user }),
  },
  { op: 'GET /api/v1/action-plans', name: 'list', kind: 'list', path: '/api/v1/action-plans', mustContain: () => [bPlanId] },
  // Integrity signals (docs/integrity.md): B's report names B's root and nothing of A's; A's unit is not found.
  { op: 'GET /api/v1/integrity', name: 'the whole tenant', kind: 'list', path: '/api/v1/integrity', mustContain: () => [B.units.root!] },
  { op: 'GET /api/v1/integrity', name: "A's region (?unitId)", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/integrity?unitId=${x.unit}`, 'GET') },
  { op: 'GET /api/v1/action-plans', name: "filtered by A's region (?unitId)", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/action-plans?unitId=${x.unit}`, 'GET') },
  { op: 'GET /api/v1/action-plans', name: "filtered by A's owner (?ownerUserId)", kind: 'foreign-id', expect: 'empty', request: (x) => json(`/api/v1/action-plans?ownerUserId=${x.grantUser}`, 'GET') },
  { op: 'GET /api/v1/action-plans/{id}', name: "A's plan", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/action-plans/${x.plan}`, 'GET') },
  { op: 'GET /api/v1/action-plans/owners', name: "A's region (?unitId)", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/action-plans/owners?unitId=${x.unit}`, 'GET') },
  {
    op: 'PATCH /api/v1/action-plans/{id}',
    name: "close A's plan",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/action-plans/${x.plan}`, 'PATCH', { status: 'cancelled', title: 'pwned' }),
    after: async () => {
      const res = await call('GET', `/api/v1/action-plans/${aIds.plan}`, { token: A.tokens.admin });
      expect(res.body).toMatchObject({ status: 'planned', title: 'A plan' });
    },
  },
  {
    op: 'PATCH /api/v1/action-plans/{id}',
    name: "B's plan handed to A's user",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/action-plans/${bPlanId}`, 'PATCH', { ownerUserId: x.user }),
  },

  // Saved reports and vendor scorecards
  { op: 'GET /api/v1/reports', name: 'list', kind: 'list', path: '/api/v1/reports', mustContain: () => [bReportId] },
  {
    op: 'POST /api/v1/reports',
    name: "a report on A's region",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json('/api/v1/reports', 'POST', { name: 'pwned', unitId: x.unit, filters: { rangeDays: 7 } }),
  },
  { op: 'GET /api/v1/reports/{id}', name: "A's report", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/reports/${x.report}`, 'GET') },
  { op: 'GET /api/v1/reports/{id}/scores.csv', name: "A's report run now", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/reports/${x.report}/scores.csv`, 'GET') },
  {
    op: 'PATCH /api/v1/reports/{id}',
    name: "A's report redirected to B's mailbox",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/reports/${x.report}`, 'PATCH', { name: 'pwned', schedule: { weekday: 'daily', hour: 1, recipients: ['mole@b.test'] } }),
    after: async () => {
      const res = await call('GET', `/api/v1/reports/${aIds.report}`, { token: A.tokens.manager });
      expect(res.body.schedule.recipients).toEqual(['ops@a.test']);
      expect(res.body.name).not.toBe('pwned');
    },
  },
  {
    op: 'PATCH /api/v1/reports/{id}',
    name: "B's report moved onto A's region",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/reports/${bReportId}`, 'PATCH', { unitId: x.unit }),
  },
  {
    op: 'DELETE /api/v1/reports/{id}',
    name: "A's report",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/reports/${x.report}`, 'DELETE'),
    after: async () => expect((await call('GET', `/api/v1/reports/${aIds.report}`, { token: A.tokens.manager })).status).toBe(200),
  },
  { op: 'GET /api/v1/annotations', name: 'list', kind: 'list', path: '/api/v1/annotations', mustContain: () => [bAnnotationId] },
  { op: 'GET /api/v1/annotations', name: "A's region (?unitId)", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/annotations?unitId=${x.unit}`, 'GET') },
  {
    op: 'POST /api/v1/annotations',
    name: "an annotation on A's region",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json('/api/v1/annotations', 'POST', { unitId: x.unit, date: '2026-03-02', kind: 'outage', title: 'pwned' }),
  },
  { op: 'GET /api/v1/scores', name: "around A's annotation (?around)", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/scores?around=${x.annotation}`, 'GET') },
  {
    op: 'PUT /api/v1/units/{id}/targets',
    name: "A's region",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/units/${x.unit}/targets`, 'PUT', { period: '2026-04', threshold: 0, target: 10, stretch: 20 }),
  },
  { op: 'GET /api/v1/units/{id}/targets', name: "A's Berlin", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/units/${x.leaf}/targets`, 'GET') },
  {
    op: 'POST /api/v1/units/{id}/targets/rebaseline',
    name: "A's region",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/units/${x.unit}/targets/rebaseline`, 'POST', { annotationId: x.change, reason: 'pwned' }),
  },
  {
    op: 'POST /api/v1/units/{id}/targets/rebaseline',
    name: "B's Berlin from A's process change",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/units/${B.units.berlin}/targets/rebaseline`, 'POST', { annotationId: x.change, reason: 'pwned' }),
  },
  { op: 'GET /api/v1/targets/attainment', name: 'list', kind: 'list', path: '/api/v1/targets/attainment?period=2026-03', mustContain: () => [bTargetId] },
  {
    op: 'GET /api/v1/targets/attainment',
    name: "A's region (?unitId)",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/targets/attainment?unitId=${x.unit}&period=2026-03`, 'GET'),
  },
  { op: 'GET /api/v1/clusters', name: "B's own sites", kind: 'list', path: '/api/v1/clusters', mustContain: () => [B.units.root!] },
  { op: 'GET /api/v1/clusters', name: "A's region (?unitId)", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/clusters?unitId=${x.unit}`, 'GET') },
  { op: 'GET /api/v1/vendors/{unitId}/scorecard', name: "A's vendor", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/vendors/${x.vendor}/scorecard`, 'GET') },

  // Agent views and the agent id mapping
  { op: 'GET /api/v1/agents/{agentId}', name: "A's user as an agent", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/agents/${x.grantUser}`, 'GET') },
  { op: 'GET /api/v1/agents', name: "B's own agents", kind: 'list', path: '/api/v1/agents', mustContain: () => [B.userIds.agent!] },
  { op: 'GET /api/v1/agents', name: "A's region (?unitId)", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/agents?unitId=${x.unit}`, 'GET') },
  { op: 'PUT /api/v1/agents/{agentId}', name: "an external id to A's user", kind: 'foreign-id', expect: 'not-found', request: (x) => json('/api/v1/agents/b-ext-1', 'PUT', { userId: x.user }) },
  {
    op: 'GET /api/v1/agents/me',
    name: "B's own page only",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('GET', '/api/v1/agents/me', { token: bToken[cred] });
      // An API key is no person: no agent page.
      if (cred === 'api key') return expectNotFound(res);
      expect(res.status).toBe(200);
      expect(res.body.agent.userId).toBe(B.userIds.admin);
      expectNoLeak(res, '');
    },
  },
  {
    op: 'GET /api/v1/agent-mappings',
    name: "B's mapping, none of A's",
    kind: 'custom',
    changesB: true,
    run: async (cred) => {
      expect((await call('PUT', '/api/v1/agents/b-ext-list', { token: bToken[cred], body: { userId: B.userIds.agent } })).status).toBe(200);
      const res = await call('GET', '/api/v1/agent-mappings', { token: bToken[cred] });
      expect(res.status).toBe(200);
      expect(res.body.items.map((i: { agentId: string }) => i.agentId)).toContain('b-ext-list');
      expectNoLeak(res, '');
    },
  },

  // Measures, KPI correlation, the quadrant and key drivers
  {
    op: 'PUT /api/v1/measures/{key}/values',
    name: "A's measure",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/measures/${x.measure}/values`, 'PUT', { values: [{ unitId: B.units.berlin, date: '2025-01-02', value: 1 }] }),
  },
  {
    op: 'PUT /api/v1/measures/{key}/values',
    name: "B's measure, A's unit in a row: that row not found, nothing of A written",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('PUT', `/api/v1/measures/${bMeasure}/values`, { token: bToken[cred], body: { values: [{ unitId: aIds.unit, date: '2025-01-02', value: 1 }] } });
      const ghostly = await call('PUT', `/api/v1/measures/${bMeasure}/values`, { token: bToken[cred], body: { values: [{ unitId: ghost.unit, date: '2025-01-02', value: 1 }] } });
      expect(res.status).toBe(200);
      expect(normalise(res, aIds)).toEqual(normalise(ghostly, ghost));
      expect(res.body).toEqual({ accepted: 0, rejected: [{ row: 1, unitId: aIds.unit, date: '2025-01-02', reason: `unit "${aIds.unit}" not found` }] });
      expectNoLeak(res, aIds.unit);
    },
  },
  ...(['correlation', 'series', 'quadrant'] as const).flatMap((what): IsolationCase[] => [
    {
      op: `GET /api/v1/measures/{key}/${what}`,
      name: "B's measure over A's region",
      kind: 'foreign-id',
      expect: 'not-found',
      request: (x) => json(`/api/v1/measures/${bMeasure}/${what}?unitId=${x.unit}`, 'GET'),
    },
    {
      op: `GET /api/v1/measures/{key}/${what}`,
      name: "A's measure",
      kind: 'foreign-id',
      expect: 'not-found',
      request: (x) => json(`/api/v1/measures/${x.measure}/${what}?unitId=${B.units.root}`, 'GET'),
    },
  ]),
  {
    op: 'POST /api/v1/measures',
    name: 'a new measure lands in B only (no tenant in the body)',
    kind: 'custom',
    changesB: true,
    run: async (cred) => {
      const res = await call('POST', '/api/v1/measures', { token: bToken[cred], body: { key: `bnew_${uniq()}`, name: 'B', unit: 'h', direction: 'lower_is_better', source: 'event' } });
      expect(res.status).toBe(201);
      const aList = await call('GET', '/api/v1/measures', { token: A.tokens.admin });
      expect(aList.body.items.map((m: any) => m.key)).toEqual([aIds.measure, aIds.signal]);
    },
  },
  { op: 'GET /api/v1/measures', name: 'list', kind: 'list', path: '/api/v1/measures', mustContain: () => [bMeasure] },
  {
    op: 'POST /api/v1/responses/import',
    name: "answers for A's unit, and on A's touchpoint key: each row not found, nothing written",
    kind: 'custom',
    run: async (cred) => {
      const row = (unitId: string, touchpoint: string) => ({ externalId: `x-${uniq()}`, answeredAt: new Date().toISOString(), unitId, touchpoint, channel: 'ivr', score: 9 });
      const aTouchpointKey = (await call('GET', `/api/v1/touchpoints/${aIds.touchpoint}`, { token: A.tokens.admin })).body.key as string;
      const res = await call('POST', '/api/v1/responses/import', { token: bToken[cred], body: { responses: [row(aIds.unit, bTouchpointKey), row(B.units.berlin!, aTouchpointKey)] } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ imported: 0, rejected: 2 });
      expect(res.body.results.map((r: any) => r.error.status)).toEqual([404, 404]);
      expect(res.body.results[0].error.message).toBe(`unit "${aIds.unit}" not found`);
      expectNoLeak(res, `${aIds.unit} ${aTouchpointKey}`);
    },
  },
  { op: 'GET /api/v1/composites/{unitId}', name: "A's region", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/composites/${x.unit}`, 'GET') },
  { op: 'PUT /api/v1/composites/{unitId}', name: "A's region", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/composites/${x.unit}`, 'PUT', { nps: 1, measures: [] }) },
  {
    op: 'PUT /api/v1/composites/{unitId}',
    name: "B's region weighting A's measure: no such measure (422), nothing set",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('PUT', `/api/v1/composites/${B.units.emea}`, { token: bToken[cred], body: { nps: 1, measures: [{ key: aIds.measure, weight: 1, worst: 0, target: 100 }] } });
      expect(res.status).toBe(422);
      expect(res.body.error.details).toEqual([{ path: 'body.measures.0.key', message: `no measure "${aIds.measure}"` }]);
      expect((await call('GET', `/api/v1/composites/${B.units.emea}`, { token: B.tokens.admin })).body.weightsFrom).toBeNull();
    },
  },
  { op: 'GET /api/v1/drivers', name: "A's region", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/drivers?unitId=${x.unit}`, 'GET') },
  { op: 'GET /api/v1/drivers', name: "A's touchpoint", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/drivers?unitId=${B.units.root}&touchpointId=${x.touchpoint}`, 'GET') },

  // Governance: representativeness and sampling
  {
    op: 'GET /api/v1/governance/representativeness',
    name: "A's region (?unitId)",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/governance/representativeness?unitId=${x.unit}&period=2026-Q1`, 'GET'),
  },
  {
    op: 'GET /api/v1/governance/representativeness',
    name: "A's touchpoint (?touchpointId)",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/governance/representativeness?touchpointId=${x.touchpoint}&period=2026-Q1`, 'GET'),
  },
  {
    op: 'GET /api/v1/governance/representativeness',
    name: "B's own root: nothing of A's invitations or regions",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('GET', '/api/v1/governance/representativeness?period=2026-Q1', { token: bToken[cred] });
      expect(res.status).toBe(200);
      expect(res.body.unitId).toBe(B.units.root);
      expectNoLeak(res, '');
    },
  },
  {
    op: 'GET /api/v1/governance/quality',
    name: "A's region (?unitId)",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/governance/quality?unitId=${x.unit}&period=2026-Q1`, 'GET'),
  },
  {
    op: 'GET /api/v1/governance/quality',
    name: "B's own root: nothing of A's answers, decisions, invitations or cases",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('GET', '/api/v1/governance/quality?period=2026-Q1', { token: bToken[cred] });
      expect(res.status).toBe(200);
      expect(res.body.unitId).toBe(B.units.root);
      expectNoLeak(res, '');
    },
  },
  {
    op: 'GET /api/v1/governance/exceptions',
    name: "A's region (?unitId)",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/governance/exceptions?unitId=${x.unit}`, 'GET'),
  },
  {
    op: 'GET /api/v1/governance/exceptions',
    name: "B's own root: nothing of A's alerts, exclusions or changes; A's user as recordedBy finds nothing",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('GET', '/api/v1/governance/exceptions', { token: bToken[cred] });
      expect(res.status).toBe(200);
      expect(res.body.unitId).toBe(B.units.root);
      expectNoLeak(res, '');
      const byA = await call('GET', `/api/v1/governance/exceptions?recordedBy=${aIds.admin}`, { token: bToken[cred] });
      expect(byA.status).toBe(200);
      expect(byA.body.items).toEqual([]);
    },
  },
  {
    op: 'GET /api/v1/reviews/{period}',
    name: "A's region (?unitId)",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/reviews/2026-Q1?unitId=${x.unit}`, 'GET'),
  },
  {
    op: 'GET /api/v1/reviews/{period}',
    name: "B's own root: a saved pack with nothing of A's answers, invitations, targets or exceptions",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('GET', '/api/v1/reviews/2026-Q1', { token: bToken[cred] });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ unitId: B.units.root, status: 'closed' });
      expectNoLeak(res, '');
    },
  },
  {
    op: 'POST /api/v1/touchpoints/{id}/sampling',
    name: "A's touchpoint",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/touchpoints/${x.touchpoint}/sampling`, 'POST', { sampling: { '*': 0 }, reason: 'pwned' }),
  },
  // B2B accounts, outcomes, signals
  { op: 'GET /api/v1/accounts/{externalId}', name: "A's account", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/accounts/${x.account}`, 'GET') },
  { op: 'GET /api/v1/accounts/{externalId}/history', name: "A's account's history", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/accounts/${x.account}/history`, 'GET') },
  {
    op: 'POST /api/v1/accounts/{id}/outcomes',
    name: "A's account",
    kind: 'foreign-id',
    expect: 'not-found',
    request: (x) => json(`/api/v1/accounts/${x.account}/outcomes`, 'POST', { type: 'churned', occurredAt: '2025-02-01T00:00:00Z' }),
  },
  {
    op: 'PUT /api/v1/accounts/{externalId}',
    name: "A's external id makes B's own account; A's is untouched",
    kind: 'custom',
    changesB: true,
    run: async (cred) => {
      const res = await call('PUT', `/api/v1/accounts/${aIds.account2}`, { token: bToken[cred], body: { name: `B ${cred}`, unitId: B.units.paris } });
      expect([200, 201]).toContain(res.status);
      expect(res.body).toMatchObject({ externalId: aIds.account2, name: `B ${cred}`, unitId: B.units.paris });
      expectNoLeak(res, aIds.account2);
      expect((await call('GET', `/api/v1/accounts/${aIds.account2}`, { token: A.tokens.admin })).body).toEqual(aAccount2);
    },
  },
  {
    op: 'PUT /api/v1/accounts/{externalId}',
    name: "B's account on A's unit, owned by A's user: not found (422), nothing written",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('PUT', `/api/v1/accounts/${bAccount}`, { token: bToken[cred], body: { name: 'B', unitId: aIds.unit, ownerUserId: aIds.user } });
      const ghostly = await call('PUT', `/api/v1/accounts/${bAccount}`, { token: bToken[cred], body: { name: 'B', unitId: ghost.unit, ownerUserId: ghost.user } });
      expect(res.status).toBe(422);
      expect(normalise(res, aIds)).toEqual(normalise(ghostly, ghost));
      expect((await call('GET', `/api/v1/accounts/${bAccount}`, { token: B.tokens.admin })).body.unitId).toBe(B.units.berlin);
    },
  },
  {
    op: 'PUT /api/v1/accounts/signals',
    name: "A's account in a row: that row not found; A's signal: not declared (422); nothing of A written",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('PUT', '/api/v1/accounts/signals', { token: bToken[cred], body: { values: [{ accountId: aIds.account, signal: bSignal, date: '2025-01-02', value: 1 }] } });
      const ghostly = await call('PUT', '/api/v1/accounts/signals', { token: bToken[cred], body: { values: [{ accountId: ghost.account, signal: bSignal, date: '2025-01-02', value: 1 }] } });
      expect(res.status).toBe(200);
      expect(normalise(res, aIds)).toEqual(normalise(ghostly, ghost));
      expect(res.body).toEqual({ accepted: 0, rejected: [{ row: 1, accountId: aIds.account, signal: bSignal, date: '2025-01-02', reason: `account "${aIds.account}" not found` }] });
      const foreign = await call('PUT', '/api/v1/accounts/signals', { token: bToken[cred], body: { values: [{ accountId: bAccount, signal: aIds.signal, date: '2025-01-02', value: 1 }] } });
      expect(foreign.status).toBe(422);
      expect(foreign.body.error.details).toEqual([{ path: 'body.values.0.signal', message: `signal "${aIds.signal}" is not declared` }]);
    },
  },

  { op: 'GET /api/v1/accounts/at-risk', name: "A's region (?unitId)", kind: 'foreign-id', expect: 'not-found', request: (x) => json(`/api/v1/accounts/at-risk?unitId=${x.unit}`, 'GET') },
  { op: 'GET /api/v1/accounts/at-risk', name: 'list', kind: 'list', path: '/api/v1/accounts/at-risk?limit=500', mustContain: () => [bAccount] },
  {
    op: 'GET /api/v1/analytics/nps-impact',
    name: "B's impact: nothing of A",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('GET', '/api/v1/analytics/nps-impact', { token: bToken[cred] });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ available: false, items: [] });
      expectNoLeak(res, '');
    },
  },
  {
    op: 'GET /api/v1/models/churn',
    name: "B's card: nothing of A",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('GET', '/api/v1/models/churn', { token: bToken[cred] });
      expect(res.status).toBe(200);
      expect(res.body.card.kind).toBe('rules');
      expectNoLeak(res, '');
    },
  },
  {
    op: 'POST /api/v1/models/churn/train',
    name: "B's training: A's model untouched",
    kind: 'custom',
    changesB: true,
    run: async (cred) => {
      const res = await call('POST', '/api/v1/models/churn/train', { token: bToken[cred] });
      expect(res.status).toBe(202);
      expect((await call('GET', '/api/v1/models/churn', { token: A.tokens.admin })).body).toEqual(aChurnModel);
    },
  },

  // The whole tenant: B's archive is B's, with nothing of A.
  {
    op: 'GET /api/v1/tenant/export',
    name: "B's archive holds B's rows only",
    kind: 'custom',
    run: async (cred) => {
      const res = await call('GET', '/api/v1/tenant/export', { token: bToken[cred] });
      expect(res.status).toBe(200);
      expectNoLeak(res, '');
      const lines = String(res.body)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines[0]).toMatchObject({ archive: 'nps-tenant', tenantId: B.tenantId });
      expect(lines.at(-1).manifest.tenantId).toBe(B.tenantId);
      expect(lines.filter((l) => l.table === 'tenants').map((l) => l.row.id)).toEqual([B.tenantId]);
      expect(lines.filter((l) => l.row).every((l) => (l.table === 'tenants' ? l.row.id : l.row.tenant_id) === B.tenantId)).toBe(true);
    },
  },

  // The caller
  {
    op: 'GET /api/v1/me',
    name: 'names B',
    kind: 'custom',
    run: async (cred) => {
      const res = await call('GET', '/api/v1/me', { token: bToken[cred] });
      expect(res.status).toBe(200);
      expect(res.body.tenant).toEqual({ id: B.tenantId, name: B.name, region: B.region });
      expect(res.body.grants).toEqual([{ unitId: B.units.root, role: 'admin' }]);
      if (cred === 'session') {
        expect(res.body.user).toEqual({ id: B.userIds.admin, email: B.email('admin'), name: 'Administrator' });
      } else {
        expect(res.body.user).toBeNull();
        expect(res.body.apiKey).toEqual({ id: bKeyId });
      }
      expectNoLeak(res, '');
    },
  },
  {
    op: 'GET /dev/outbox',
    name: "the local stack's outbox shows B's own messages only (never A's survey links)",
    kind: 'custom',
    run: async (cred) => {
      const [aTo, bTo] = [`a-${uniq()}@outbox.test`, `b-${uniq()}@outbox.test`];
      const row = (tenantId: string, recipient: string) => ({
        id: newId('out'),
        tenantId,
        channel: 'email' as const,
        recipient,
        subject: 'Survey',
        body: `link for ${tenantId}`,
        invitationId: null,
        createdAt: Date.now(),
      });
      await db(A.tenantId).insert(devOutbox).values(row(A.tenantId, aTo));
      await db(B.tenantId).insert(devOutbox).values(row(B.tenantId, bTo));
      for (const query of ['?limit=500', `?to=${encodeURIComponent(aTo)}`]) {
        const res = await call('GET', `/dev/outbox${query}`, { token: bToken[cred] });
        expect(res.status).toBe(200);
        expect(res.body.items.every((i: any) => i.tenantId === B.tenantId)).toBe(true);
        expect(JSON.stringify(res.body)).not.toContain(aTo);
        expectNoLeak(res, query);
      }
      expect((await call('GET', '/dev/outbox?limit=500', { token: bToken[cred] })).body.items.map((i: any) => i.to)).toContain(bTo);
    },
  },
  {
    op: 'POST /api/v1/auth/logout',
    name: "ends only B's own session",
    kind: 'custom',
    changesB: true,
    run: async (cred) => {
      let token = bToken[cred];
      if (cred === 'session') {
        // A session of its own, so the shared one stays usable.
        const login = await call('POST', '/api/v1/auth/login', { body: { email: B.email('admin'), password: PASSWORD }, headers: { 'cf-connecting-ip': B.ip } });
        expect(login.status).toBe(200);
        token = login.body.token;
      }
      const out = await call('POST', '/api/v1/auth/logout', { token });
      expect(out.status).toBe(204);
      expect((await call('GET', '/api/v1/me', { token: A.tokens.admin })).status).toBe(200);
      if (cred === 'session') expect((await call('GET', '/api/v1/me', { token })).status).toBe(401);
    },
  },
];

/** Operations without tenant data, each with the reason it needs no isolation case. */
const EXEMPT: Record<string, string> = {
  'GET /healthz': "liveness probe: no credential, no tenant data (each database reachable or not, the queues' backlogs)",
  'POST /api/v1/auth/login': 'no credential yet: the tenant is the one of the email that signs in (covered by auth.test.ts)',
  'GET /api/openapi.json': 'the API description: static, the same for every caller',
  'GET /api/docs': 'the readable page of the API description: static, the same for every caller',
};

beforeAll(async () => {
  [A, B] = await Promise.all([makeTenant('IsoA'), makeTenant('IsoB')]);

  // A gets more to aim at: a leaf unit (deletable), a live API key, and audit rows for both.
  const leaf = await call('POST', '/api/v1/units', { token: A.tokens.admin, body: { name: `Lyon ${uniq()}`, kind: 'site', parentId: A.units.emea } });
  expect(leaf.status).toBe(201);
  const aKey = await call('POST', '/api/v1/api-keys', { token: A.tokens.admin, body: { name: 'a-crm', role: 'admin' } });
  expect(aKey.status).toBe(201);
  const touched = await call('PATCH', `/api/v1/users/${A.userIds.viewer}`, { token: A.tokens.admin, body: { name: 'viewer' } });
  expect(touched.status).toBe(200);
  const bKey = await call('POST', '/api/v1/api-keys', { token: B.tokens.admin, body: { name: 'b-integration' } });
  expect(bKey.status).toBe(201);
  bToken.session = B.tokens.admin;
  bToken['api key'] = bKey.body.secret;
  bKeyId = bKey.body.id;

  // A survey (published) and a touchpoint in each tenant.
  const [aSurvey, bSurvey] = await Promise.all([A, B].map((f) => call('POST', '/api/v1/surveys', { token: f.tokens.admin, body: { name: `Survey ${uniq()}` } })));
  for (const [f, s] of [
    [A, aSurvey],
    [B, bSurvey],
  ] as const) {
    expect(s!.status).toBe(201);
    expect((await call('POST', `/api/v1/surveys/${s!.body.id}/publish`, { token: f.tokens.admin })).status).toBe(201);
  }
  const tp = (f: Fixture, surveyId: string) =>
    call('POST', '/api/v1/touchpoints', { token: f.tokens.admin, body: { key: `visit-${uniq()}`, name: 'Site visit', kind: 'site_visit', surveyId, channels: ['email', 'link'] } });
  const [aTouchpoint, bTouchpoint] = await Promise.all([tp(A, aSurvey!.body.id), tp(B, bSurvey!.body.id)]);
  expect(aTouchpoint.status).toBe(201);
  bSurveyId = bSurvey!.body.id;
  bTouchpointId = bTouchpoint.body.id;
  const aLink = await call('POST', `/api/v1/touchpoints/${aTouchpoint.body.id}/links`, { token: A.tokens.admin, body: { unitId: A.units.berlin } });
  expect(aLink.status).toBe(201);
  aLinkUrl = aLink.body.url;

  // A's settings with a webhook of its own, and an invitation in Berlin.
  const aHook = `https://hooks-${uniq()}.a.test/nps`;
  const aPatched = await call('PATCH', '/api/v1/settings', { token: A.tokens.admin, body: { webhook: { url: aHook, secret: `a-secret-${uniq()}${uniq()}` } } });
  expect(aPatched.status).toBe(200);
  aSettings = aPatched.body;
  const aInvitation = await makeSentInvitation(A.tenantId, A.units.berlin!);
  expect((await call('GET', `/api/v1/invitations/${aInvitation}`, { token: A.tokens.admin })).status).toBe(200);

  // A response in Berlin, written straight to the database (capture is tested in capture.test.ts).
  const aResponse = newId('rsp');
  await db(A.tenantId)
    .insert(responses)
    .values({
      id: aResponse,
      tenantId: A.tenantId,
      touchpointId: aTouchpoint.body.id,
      unitId: A.units.berlin!,
      surveyId: aSurvey!.body.id,
      surveyVersion: 1,
      channel: 'link',
      locale: 'en',
      score: 3,
      comment: `A's verbatim ${uniq()}`,
      counted: true,
    });
  expect((await call('GET', `/api/v1/responses/${aResponse}`, { token: A.tokens.admin })).status).toBe(200);

  // Contacts, an event with its invitation, and a yearly wave in A; a contact and a wave in B.
  const [aContact, aContactTwo] = [`crm_${uniq()}${uniq()}`, `crm_${uniq()}${uniq()}`];
  for (const id of [aContact, aContactTwo]) expect((await call('PUT', `/api/v1/contacts/${id}`, { token: A.tokens.admin, body: { email: `${id}@a.test`, segment: 'a-only' } })).status).toBe(201);
  aContact2 = (await call('GET', `/api/v1/contacts/${aContactTwo}`, { token: A.tokens.admin })).body;
  aEventId = `a-event-${uniq()}`;
  const aEvent = await call('POST', '/api/v1/events', {
    token: A.tokens.admin,
    body: { events: [{ id: aEventId, type: 'ticket.resolved', occurredAt: new Date().toISOString(), contactId: aContact, unitId: A.units.berlin, touchpoint: aTouchpoint.body.key }] },
  });
  expect(aEvent.body.results[0].decision).toBe('invite');
  const yearly = (f: Fixture, touchpointKey: string) =>
    call('POST', '/api/v1/waves', { token: f.tokens.admin, body: { touchpointKey, name: `Relationship ${uniq()}`, schedule: '0 9 1 1 *', audience: { kind: 'accounts' }, unitId: f.units.root } });
  const [aWave, bWave] = await Promise.all([yearly(A, aTouchpoint.body.key), yearly(B, bTouchpoint.body.key)]);
  expect([aWave.status, bWave.status]).toEqual([201, 201]);
  bWaveId = bWave.body.id;

  // A webhook with a pending message and an open alert in A; a rule and a webhook in B.
  const aEndpoint = await call('POST', '/api/v1/webhooks', { token: A.tokens.admin, body: { url: `https://hooks-${uniq()}.a.test/events`, events: ['alert.raised'] } });
  expect(aEndpoint.status).toBe(201);
  const aRule = await call('POST', '/api/v1/alert-rules', { token: A.tokens.admin, body: { unitId: A.units.emea } });
  expect(aRule.status).toBe(201);
  const aAlert = newId('alr');
  await db(A.tenantId)
    .insert(alerts)
    .values({ id: aAlert, tenantId: A.tenantId, ruleId: aRule.body.id, unitId: A.units.emea!, status: 'open', evidence: { dropPoints: 12 } });
  await webhookEvent(new TenantDb(db(A.tenantId), A.tenantId), 'alert.raised', { alert: { id: aAlert } }, Date.now() + 365 * 86_400_000);
  const [aDelivery] = await db(A.tenantId).select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, aEndpoint.body.id));
  aHooks = (await call('GET', '/api/v1/webhooks', { token: A.tokens.admin })).body;
  const [bRule, bHook] = await Promise.all([
    call('POST', '/api/v1/alert-rules', { token: B.tokens.admin, body: { unitId: B.units.berlin } }),
    call('POST', '/api/v1/webhooks', { token: B.tokens.admin, body: { url: 'https://b.test/events', events: ['case.opened'] } }),
  ]);
  bRuleId = bRule.body.id;
  bHookId = bHook.body.id;
  const [aPlan, bPlan] = await Promise.all([
    call('POST', '/api/v1/action-plans', { token: A.tokens.admin, body: { unitId: A.units.berlin, title: 'A plan', alertId: aAlert, ownerUserId: A.userIds.manager } }),
    call('POST', '/api/v1/action-plans', { token: B.tokens.admin, body: { unitId: B.units.berlin, title: 'B plan' } }),
  ]);
  expect([aPlan.status, bPlan.status]).toEqual([201, 201]);
  bPlanId = bPlan.body.id;
  const reportOn = (f: Fixture, token: string) =>
    call('POST', '/api/v1/reports', { token, body: { name: `Weekly ${uniq()}`, unitId: f.units.emea, filters: { rangeDays: 28 }, schedule: { weekday: 1, hour: 8, recipients: ['ops@a.test'] } } });
  const [aReport, bReport] = await Promise.all([reportOn(A, A.tokens.manager), reportOn(B, B.tokens.admin)]);
  expect([aReport.status, bReport.status]).toEqual([201, 201]);
  bReportId = bReport.body.id;
  const annotate = (f: Fixture) => call('POST', '/api/v1/annotations', { token: f.tokens.admin, body: { unitId: f.units.berlin, date: '2026-03-02', kind: 'release', title: `Release ${uniq()}` } });
  const [aAnnotation, bAnnotation] = await Promise.all([annotate(A), annotate(B)]);
  expect([aAnnotation.status, bAnnotation.status]).toEqual([201, 201]);
  bAnnotationId = bAnnotation.body.id;
  const aChange = await call('POST', '/api/v1/annotations', { token: A.tokens.admin, body: { unitId: A.units.berlin, date: '2026-01-05', kind: 'process_change', title: `Change ${uniq()}` } });
  const aim = (f: Fixture) => call('PUT', `/api/v1/units/${f.units.berlin}/targets`, { token: f.tokens.admin, body: { period: '2026-03', threshold: 0, target: 20, stretch: 40 } });
  const [aTarget, bTarget] = await Promise.all([aim(A), aim(B)]);
  expect([aChange.status, aTarget.status, bTarget.status]).toEqual([201, 200, 200]);
  bTargetId = bTarget.body.id;
  bTouchpointKey = bTouchpoint.body.key;
  bContact = `crm_${uniq()}${uniq()}`;
  expect((await call('PUT', `/api/v1/contacts/${bContact}`, { token: B.tokens.admin, body: { email: 'b@b.test' } })).status).toBe(201);

  // Recovery cases: one in A (Berlin, on A's response), one in B; a reply template in each, same theme and locale.
  const aCase = newId('case');
  await db(A.tenantId)
    .insert(cases)
    .values({
      id: aCase,
      tenantId: A.tenantId,
      responseId: aResponse,
      unitId: A.units.berlin!,
      touchpointId: aTouchpoint.body.id,
      ownerUserId: A.userIds.manager,
      status: 'open',
      score: 3,
      firstContactDueAt: Date.now() + 86_400_000,
      resolutionDueAt: Date.now() + 7 * 86_400_000,
    });
  const bResponse = newId('rsp');
  await db(B.tenantId).insert(responses).values({
    id: bResponse,
    tenantId: B.tenantId,
    touchpointId: bTouchpoint.body.id,
    unitId: B.units.berlin!,
    surveyId: bSurvey!.body.id,
    surveyVersion: 1,
    channel: 'link',
    locale: 'en',
    score: 2,
    counted: true,
  });
  bCaseId = newId('case');
  await db(B.tenantId)
    .insert(cases)
    .values({ id: bCaseId, tenantId: B.tenantId, responseId: bResponse, unitId: B.units.berlin!, touchpointId: bTouchpoint.body.id, ownerUserId: B.userIds.manager, status: 'open', score: 2 });
  bTemplateId = newId('rtpl');
  await db(A.tenantId)
    .insert(replyTemplates)
    .values({ id: newId('rtpl'), tenantId: A.tenantId, theme: 'iso', locale: 'en', subject: 'A subject', body: 'A body' });
  await db(B.tenantId).insert(replyTemplates).values({ id: bTemplateId, tenantId: B.tenantId, theme: 'iso-b', locale: 'en', subject: 'B subject', body: 'B body' });

  // A unit measure in each tenant, each with a value; A's key is A's alone.
  const aMeasure = `aonly_${uniq()}${uniq()}`;
  bMeasure = `bonly_${uniq()}${uniq()}`;
  for (const [f, key] of [
    [A, aMeasure],
    [B, bMeasure],
  ] as const) {
    expect((await call('POST', '/api/v1/measures', { token: f.tokens.admin, body: { key, name: 'SLA', unit: '%', direction: 'higher_is_better', source: 'unit' } })).status).toBe(201);
    expect((await call('PUT', `/api/v1/measures/${key}/values`, { token: f.tokens.admin, body: { values: [{ unitId: f.units.berlin, date: '2025-01-01', value: 90 }] } })).body.accepted).toBe(1);
  }

  // B2B accounts: each tenant has its own, with an outcome and a value of its own account signal.
  const aAccount = `acct_${uniq()}${uniq()}`;
  const aAccountTwo = `acct_${uniq()}${uniq()}`;
  const aSignal = `asig_${uniq()}${uniq()}`;
  bAccount = `acct_${uniq()}${uniq()}`;
  bSignal = `bsig_${uniq()}${uniq()}`;
  for (const [f, ids, signal] of [
    [A, [aAccount, aAccountTwo], aSignal],
    [B, [bAccount], bSignal],
  ] as const) {
    for (const id of ids) {
      const put = await call('PUT', `/api/v1/accounts/${id}`, { token: f.tokens.admin, body: { name: `Account ${id}`, unitId: f.units.berlin, ownerUserId: f.userIds.manager, annualRevenue: 1000 } });
      expect(put.status).toBe(201);
    }
    expect((await call('POST', `/api/v1/accounts/${ids[0]}/outcomes`, { token: f.tokens.admin, body: { type: 'renewed', occurredAt: '2025-01-01T00:00:00Z' } })).status).toBe(201);
    expect((await call('POST', '/api/v1/measures', { token: f.tokens.admin, body: { key: signal, name: 'Logins', unit: 'count', direction: 'higher_is_better', source: 'account' } })).status).toBe(
      201,
    );
    const loaded = await call('PUT', '/api/v1/accounts/signals', { token: f.tokens.admin, body: { values: [{ accountId: ids[0], signal, date: '2025-01-01', value: 5 }] } });
    expect(loaded.body).toEqual({ accepted: 1, rejected: [] });
  }
  aAccount2 = (await call('GET', `/api/v1/accounts/${aAccountTwo}`, { token: A.tokens.admin })).body;
  // Each tenant's churn job has run: a rules card and its accounts' risks.
  for (const f of [A, B]) await handleChurnTrain({ type: 'churn.train', tenantId: f.tenantId, idempotencyKey: `churn.train:${f.tenantId}:iso` }, env as never);
  aChurnModel = (await call('GET', '/api/v1/models/churn', { token: A.tokens.admin })).body;

  const aAudit = await call('GET', `/api/v1/audit-log?targetId=${leaf.body.id}`, { token: A.tokens.admin });
  expect(aAudit.body.items).toHaveLength(1);
  aIds = {
    root: A.units.root!,
    unit: A.units.emea!,
    leaf: leaf.body.id,
    user: A.userIds.viewer!,
    admin: A.userIds.admin!,
    grantUser: A.userIds.manager!,
    key: aKey.body.id,
    auditTarget: leaf.body.id,
    auditRow: aAudit.body.items[0].id,
    survey: aSurvey!.body.id,
    touchpoint: aTouchpoint.body.id,
    invitation: aInvitation,
    response: aResponse,
    contact: aContact,
    contact2: aContactTwo,
    wave: aWave.body.id,
    webhook: aEndpoint.body.id,
    delivery: aDelivery!.id,
    alert: aAlert,
    case: aCase,
    plan: aPlan.body.id,
    report: aReport.body.id,
    vendor: A.units.fastfix!,
    annotation: aAnnotation.body.id,
    change: aChange.body.id,
    target: aTarget.body.id,
    measure: aMeasure,
    account: aAccount,
    account2: aAccountTwo,
    signal: aSignal,
  };
  // Sanity: in A, every one of these exists (so a 404 to B is not simply a missing record).
  expect((await call('GET', `/api/v1/users/${aIds.grantUser}`, { token: A.tokens.admin })).body.grants).toEqual([{ unitId: aIds.unit, role: 'manager' }]);
  expect((await call('GET', `/api/v1/audit-log?targetType=api_key&targetId=${aIds.key}`, { token: A.tokens.admin })).body.items).toHaveLength(1);
  expect((await call('GET', `/api/v1/audit-log?targetType=user&targetId=${aIds.user}`, { token: A.tokens.admin })).body.items.length).toBeGreaterThan(0);

  // The ghost twin: same prefixes, exists nowhere; ids equal in A stay equal in the twin.
  const twins = new Map<string, string>();
  ghost = Object.fromEntries(
    Object.entries(aIds).map(([k, id]) => {
      if (!twins.has(id)) twins.set(id, newId(id.slice(0, id.indexOf('_'))));
      return [k, twins.get(id)!];
    }),
  ) as unknown as Ids;

  const [aUnits, aUsers, aKeys, aRows] = await Promise.all([
    call('GET', '/api/v1/units', { token: A.tokens.admin }),
    call('GET', '/api/v1/users', { token: A.tokens.admin }),
    call('GET', '/api/v1/api-keys', { token: A.tokens.admin }),
    call('GET', '/api/v1/audit-log?limit=500', { token: A.tokens.admin }),
  ]);
  aSecrets = [
    A.tenantId,
    A.name,
    aHook,
    aInvitation,
    aEvent.body.results[0].invitationId,
    aWave.body.id,
    aWave.body.name,
    aEndpoint.body.id,
    aEndpoint.body.url,
    aEndpoint.body.secret,
    aRule.body.id,
    aAlert,
    aDelivery!.id,
    aCase,
    aPlan.body.id,
    aReport.body.id,
    aAnnotation.body.id,
    aAnnotation.body.title,
    aChange.body.id,
    aChange.body.title,
    aTarget.body.id,
    aMeasure,
    // Not A's second account's id: B writes an account of its own under it.
    aAccount,
    aSignal,
    ...[aContact, aContactTwo].flatMap((id) => [`${id}@a.test`]),
    (aContact2 as { id: string }).id,
    ...aUnits.body.items.flatMap((u: any) => [u.id, u.path]),
    ...aUsers.body.items.flatMap((u: any) => [u.id, u.email]),
    ...aKeys.body.items.flatMap((k: any) => [k.id, k.prefix]),
    ...aRows.body.items.flatMap((r: any) => [r.id, r.targetId, r.requestId].filter(Boolean)),
  ];
  // Both theme libraries laid now (the starter library, audited), so the table's reads of them change neither tenant.
  const aThemes = await call('GET', '/api/v1/theme-library', { token: A.tokens.admin });
  expect((await call('GET', '/api/v1/theme-library', { token: B.tokens.admin })).status).toBe(200);
  aSecrets.push(...aThemes.body.items.map((x: { id: string }) => x.id));
  aBaseline = await snapshot(A);
  expect((aBaseline.units as unknown[]).length).toBe(9);
  expect(aBaseline.auditRows).toBeGreaterThan(0);
});

/** A GET changes nothing by itself; after anything else A is compared with its baseline at once. */
const mayWrite = (c: IsolationCase) => !c.op.startsWith('GET ');

let bBaseline: Snapshot;
describe.each(CREDS)("tenant B's admin (%s) aims at tenant A", (cred) => {
  beforeAll(async () => {
    bBaseline = await snapshot(B, { ignoreKeyUse: true });
  });

  it.each(CASES.map((c) => [`${c.op} — ${c.name}`, c] as const))('%s', async (_, c) => {
    const token = bToken[cred];
    if (c.kind === 'foreign-id') {
      const req = c.request(aIds);
      const res = await call(req.method, req.path, { token, body: req.body });
      if (c.expect === 'not-found') expectNotFound(res);
      else {
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body.items).toEqual([]);
      }
      expectNoLeak(res, JSON.stringify(req));
      // Exactly like a record that exists nowhere.
      const missing = c.request(ghost);
      const twin = await call(missing.method, missing.path, { token, body: missing.body });
      expect(normalise(res, aIds)).toEqual(normalise(twin, ghost));
      await c.after?.(res, cred);
    } else if (c.kind === 'list') {
      const res = await call('GET', c.path, { token });
      expect(res.status).toBe(200);
      const text = JSON.stringify(res.body);
      for (const id of c.mustContain()) expect(text).toContain(id);
      expectNoLeak(res, '');
    } else {
      await c.run(cred);
    }
    if (mayWrite(c)) expect(await snapshot(A)).toEqual(aBaseline);
    // B is compared once after the table; a case that may change B re-bases it.
    if (c.kind === 'custom' && c.changesB) bBaseline = await snapshot(B, { ignoreKeyUse: true });
  });

  it('afterwards, A is exactly as before the table, and B too (no refused request changed it)', async () => {
    expect(await snapshot(A)).toEqual(aBaseline);
    expect(await snapshot(B, { ignoreKeyUse: true })).toEqual(bBaseline);
  });
});

describe('where the two tenants live', () => {
  // The workers project keeps every tenant in one shared database; workers-plane (vitest.config.ts)
  // places A and B in different data databases of a directory: the same table runs in both.
  it('in different data databases on the plane, in one shared database without it', async () => {
    const [seenFromA] = await db(A.tenantId).select({ n: count() }).from(units).where(eq(units.tenantId, B.tenantId));
    const [seenFromB] = await db(B.tenantId).select({ n: count() }).from(units).where(eq(units.tenantId, A.tenantId));
    const apart = !!env.DIRECTORY_URL;
    expect(seenFromA!.n === 0).toBe(apart);
    expect(seenFromB!.n === 0).toBe(apart);
    expect(A.region === B.region).toBe(!apart);
  });
});

describe('the table covers the API', () => {
  it('every operation of the OpenAPI document has an isolation case or a stated exemption', async () => {
    const res = await call('GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\.1/);
    const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];
    const documented = Object.entries(res.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((m) => METHODS.includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.length).toBeGreaterThan(10);
    const covered = new Set(CASES.map((c) => c.op));
    const uncovered = documented.filter((op) => !covered.has(op) && !(op in EXEMPT));
    expect(uncovered, 'routes without an isolation case: add them to CASES (or to EXEMPT with a reason)').toEqual([]);
    // And no case names a route that does not exist (a typo would silently cover nothing).
    const stale = [...covered].filter((op) => !documented.includes(op));
    expect(stale, 'cases for operations the document does not have').toEqual([]);
    for (const op of Object.keys(EXEMPT)) expect(covered.has(op), `${op} is both exempt and covered`).toBe(false);
  });

  it('the exempt routes indeed serve no tenant data', async () => {
    const health = await call('GET', '/healthz');
    expect(health.status).toBe(200);
    // Databases by catalog id and region, the queues' backlogs: nothing of a tenant.
    expect(health.body).toEqual({ status: 'ok', databases: expect.any(Array), buffer: { queue: expect.anything(), deadLetter: expect.anything() } });
    for (const d of health.body.databases) expect(Object.keys(d).sort()).toEqual(['id', 'kind', 'latencyMs', 'reachable', 'region']);
    expectNoLeak(health, '');
    const doc = await call('GET', '/api/openapi.json', { token: B.tokens.admin });
    expect(JSON.stringify(doc.body)).toBe(JSON.stringify((await call('GET', '/api/openapi.json')).body));
    expectNoLeak(doc, '');
  });
});
