import { beforeAll, describe, expect, it } from 'vitest';
import { cases } from '../../src/db/schema';
import { makeAnswer } from './case-fixture';
import { makeTouchpoint } from './program-fixture';
import { call, db, makeTenant, uniq, type Fixture, type Login } from './support';

/**
 * The case list's owner, next target, filters (unit, score, age), orders and paging, and
 * reassignment (GET /api/v1/cases/{id}/owners, PATCH ownerUserId). The cases are written
 * straight to the database with hand-chosen scores, ages, due times and owners; every expected
 * list is worked out here from that table, never from the API's own answer.
 */

let t: Fixture;
const H = 3_600_000;
const D = 24 * H;
type UnitKey = 'berlin' | 'paris' | 'newYork' | 'fastfix';
interface Spec {
  k: number;
  unit: UnitKey;
  score: number;
  status: 'open' | 'contacted' | 'resolved' | 'closed';
  /** Opened this long before the setup's `now`. */
  age: number;
  /** Offsets from `now` (null: none). */
  fcDue: number | null;
  resDue: number | null;
  contactedAgo?: number;
  owner: Login | null;
}
// k orders the cases by opening, oldest first: their ids sort the same way, as generated ids do.
const SPECS: Spec[] = [
  { k: 1, unit: 'newYork', score: 4, status: 'open', age: 40 * D, fcDue: -38 * D, resDue: -33 * D, owner: 'siteManager' },
  { k: 2, unit: 'paris', score: 6, status: 'resolved', age: 20 * D, fcDue: -18 * D, resDue: -13 * D, contactedAgo: 19 * D, owner: null },
  { k: 3, unit: 'berlin', score: 2, status: 'open', age: 10 * D, fcDue: -8 * D, resDue: 1 * D, owner: 'manager' },
  { k: 4, unit: 'fastfix', score: 3, status: 'closed', age: 5 * D, fcDue: -3 * D, resDue: 2 * D, owner: 'vendor' },
  { k: 5, unit: 'berlin', score: 5, status: 'contacted', age: 3 * D, fcDue: -1 * D, resDue: 4 * D, contactedAgo: 2 * D, owner: 'agent' },
  { k: 6, unit: 'fastfix', score: 1, status: 'open', age: 2 * D, fcDue: 2 * H, resDue: 5 * D, owner: 'vendor' },
  { k: 7, unit: 'paris', score: 0, status: 'open', age: 1 * H, fcDue: 47 * H, resDue: 167 * H, owner: 'manager' },
];
let now: number;
let tag: string;
const idOf = (k: number) => `case_${tag}_${String(k).padStart(2, '0')}`;
const kOf = (id: string) => Number(id.slice(-2));
/** The next target as the issue describes it: the first contact while open and untouched, else the resolution while open or contacted. */
const nextDue = (s: Spec) => (s.status === 'open' && s.contactedAgo === undefined && s.fcDue !== null ? s.fcDue : s.status === 'open' || s.status === 'contacted' ? s.resDue : null);

beforeAll(async () => {
  t = await makeTenant('CaseList');
  tag = uniq();
  now = Date.now();
  const tp = await makeTouchpoint(t.tenantId);
  const rows = [];
  for (const s of SPECS) {
    const a = await makeAnswer(t.tenantId, t.units[s.unit], { score: s.score, touchpoint: tp });
    rows.push({
      id: idOf(s.k),
      tenantId: t.tenantId,
      responseId: a.id,
      unitId: t.units[s.unit]!,
      touchpointId: tp.id,
      ownerUserId: s.owner ? t.userIds[s.owner]! : null,
      status: s.status,
      score: s.score,
      firstContactDueAt: s.fcDue === null ? null : now + s.fcDue,
      resolutionDueAt: s.resDue === null ? null : now + s.resDue,
      firstContactAt: s.contactedAgo === undefined ? null : now - s.contactedAgo,
      resolvedAt: s.status === 'resolved' ? now - 14 * D : null,
      closedAt: s.status === 'closed' ? now - 4 * D : null,
      createdAt: now - s.age,
      updatedAt: now - s.age,
    });
  }
  await db(t.tenantId).insert(cases).values(rows);
});

async function list(query: string, login: Login = 'admin') {
  const res = await call('GET', `/api/v1/cases?${query}`, { token: t.tokens[login] });
  expect(res.status, `${query}: ${JSON.stringify(res.body)}`).toBe(200);
  return res.body as { items: any[]; nextCursor: string | null; nextOffset: number | null };
}
const ks = (items: { id: string }[]) => items.map((i) => kOf(i.id));
const newest = (specs: Spec[]) => specs.map((s) => s.k).sort((a, b) => b - a);

describe('the case list', () => {
  it('each case with its owner by name and its next target (first contact, else resolution; none when done)', async () => {
    const got = await list('limit=500');
    expect(ks(got.items)).toEqual(newest(SPECS));
    for (const item of got.items) {
      const s = SPECS.find((x) => x.k === kOf(item.id))!;
      // makeTenant names each user by its login; the admin has no name: its email stands in.
      expect(item.ownerName, `case ${s.k}`).toBe(s.owner === null ? null : s.owner === 'admin' ? t.email('admin') : s.owner);
      const due = nextDue(s);
      expect(item.nextDueAt, `case ${s.k}`).toBe(due === null ? null : new Date(now + due).toISOString());
      expect(item.nextTarget).toBe(due === null ? null : s.status === 'open' && s.contactedAgo === undefined ? 'first_contact' : 'resolution');
    }
  });

  it('filters: unit subtree, score range, age in days; combined with status', async () => {
    const expectFilter = async (query: string, keep: (s: Spec) => boolean, login: Login = 'admin') =>
      expect(ks((await list(`${query}&limit=500`, login)).items), query).toEqual(newest(SPECS.filter(keep)));
    await expectFilter(`unitId=${t.units.emea}`, (s) => s.unit === 'berlin' || s.unit === 'paris');
    await expectFilter(`unitId=${t.units.berlin}`, (s) => s.unit === 'berlin');
    await expectFilter('scoreMin=2&scoreMax=5', (s) => s.score >= 2 && s.score <= 5);
    await expectFilter('scoreMax=3', (s) => s.score <= 3);
    await expectFilter('scoreMin=6', (s) => s.score >= 6);
    // Ages are far from the bounds (hours or days away), so the moment of the call does not matter.
    await expectFilter('minAgeDays=4', (s) => s.age >= 4 * D);
    await expectFilter('maxAgeDays=4', (s) => s.age <= 4 * D);
    await expectFilter('minAgeDays=4&maxAgeDays=15', (s) => s.age >= 4 * D && s.age <= 15 * D);
    await expectFilter(`unitId=${t.units.emea}&status=open&scoreMax=4`, (s) => (s.unit === 'berlin' || s.unit === 'paris') && s.status === 'open' && s.score <= 4);
    // The EMEA manager filters within EMEA; a unit outside reach answers 404.
    await expectFilter(`unitId=${t.units.paris}`, (s) => s.unit === 'paris', 'manager');
    for (const unit of ['newYork', 'fastfix', 'root'] as const) expect((await call('GET', `/api/v1/cases?unitId=${t.units[unit]}`, { token: t.tokens.manager })).status, unit).toBe(404);
    expect((await call('GET', `/api/v1/cases?unitId=${t.units.berlin}`, { token: t.tokens.vendor })).status).toBe(404);
  });

  it('orders: newest, oldest, the next target soonest (late first, done last), the lowest score', async () => {
    expect(ks((await list('sort=newest&limit=500')).items)).toEqual(newest(SPECS));
    expect(ks((await list('sort=oldest&limit=500')).items)).toEqual(newest(SPECS).reverse());
    // Due: the targets left, soonest first; the resolved and closed after them, newest first.
    const withDue = SPECS.filter((s) => nextDue(s) !== null).sort((a, b) => nextDue(a)! - nextDue(b)!);
    const done = SPECS.filter((s) => nextDue(s) === null).sort((a, b) => b.k - a.k);
    expect(ks((await list('sort=due&limit=500')).items)).toEqual([...withDue, ...done].map((s) => s.k));
    // By hand: 1 (−38 d), 3 (−8 d), 6 (+2 h), 7 (+47 h), 5 (+4 d); then 4 and 2.
    expect(ks((await list('sort=due&limit=500')).items)).toEqual([1, 3, 6, 7, 5, 4, 2]);
    const byScore = [...SPECS].sort((a, b) => a.score - b.score || b.k - a.k).map((s) => s.k);
    expect(ks((await list('sort=score&limit=500')).items)).toEqual(byScore);
  });

  it('pages: offset in any order, the id cursor in the newest order; bad queries answer 400', async () => {
    for (const sort of ['newest', 'oldest', 'due', 'score']) {
      const all = ks((await list(`sort=${sort}&limit=500`)).items);
      const paged: number[] = [];
      let offset: number | null = 0;
      let pages = 0;
      while (offset !== null) {
        const page = await list(`sort=${sort}&limit=3&offset=${offset}`);
        paged.push(...ks(page.items));
        offset = page.nextOffset;
        if (++pages > 10) throw new Error('offset loop');
      }
      expect(paged, sort).toEqual(all);
      expect(pages).toBe(Math.ceil(SPECS.length / 3));
    }
    const first = await list('limit=3');
    expect(first.nextCursor).toBe(idOf(newest(SPECS)[2]!));
    expect(ks((await list(`limit=3&before=${first.nextCursor}`)).items)).toEqual(newest(SPECS).slice(3, 6));
    expect((await list('sort=score&limit=3')).nextCursor).toBeNull();
    for (const [q, field] of [
      ['sort=due&before=x', 'query.before'],
      ['sort=random', 'query.sort'],
      ['scoreMin=7&scoreMax=3', 'query.scoreMin'],
      ['scoreMax=11', 'query.scoreMax'],
      ['minAgeDays=-1', 'query.minAgeDays'],
      ['minAgeDays=9&maxAgeDays=2', 'query.minAgeDays'],
      ['offset=-3', 'query.offset'],
    ] as const) {
      const res = await call('GET', `/api/v1/cases?${q}`, { token: t.tokens.admin });
      expect(res.status, q).toBe(400);
      expect(res.body.error.details.map((d: { path: string }) => d.path).join(' '), q).toContain(field);
    }
  });
});

describe('reassignment', () => {
  const patch = (k: number, login: Login, body: unknown) => call('PATCH', `/api/v1/cases/${idOf(k)}`, { token: t.tokens[login], body });
  const read = async (k: number) => (await call('GET', `/api/v1/cases/${idOf(k)}`, { token: t.tokens.admin })).body;

  it('the possible owners: admins, managers, vendors and agents whose grant reaches the unit', async () => {
    const owners = await call('GET', `/api/v1/cases/${idOf(3)}/owners`, { token: t.tokens.manager });
    expect(owners.status).toBe(200);
    // Berlin's case: the admin (root), the EMEA manager, Berlin's agent; not the analyst or viewer (roles), nor New York's manager or the vendors (elsewhere).
    expect(owners.body.items.map((o: { id: string }) => o.id).sort()).toEqual([t.userIds.admin, t.userIds.manager, t.userIds.agent].sort());
    const vendorCase = await call('GET', `/api/v1/cases/${idOf(6)}/owners`, { token: t.tokens.vendor });
    expect(vendorCase.body.items.map((o: { id: string }) => o.id).sort()).toEqual([t.userIds.admin, t.userIds.vendor].sort());
    // The agent owns case 5 but may not hand it on; the analyst reads but does not work cases; New York's manager does not see Berlin.
    expect((await call('GET', `/api/v1/cases/${idOf(5)}/owners`, { token: t.tokens.agent })).status).toBe(403);
    expect((await call('GET', `/api/v1/cases/${idOf(3)}/owners`, { token: t.tokens.analyst })).status).toBe(403);
    expect((await call('GET', `/api/v1/cases/${idOf(3)}/owners`, { token: t.tokens.siteManager })).status).toBe(404);
  });

  it('a manager hands a case to the agent: owner, timeline, audit; the agent finds it among theirs', async () => {
    const res = await patch(3, 'manager', { ownerUserId: t.userIds.agent, note: 'Anna knows the customer' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ ownerUserId: t.userIds.agent, ownerName: 'agent', status: 'open' });
    const got = await read(3);
    expect(got.ownerUserId).toBe(t.userIds.agent);
    const last = got.timeline.at(-1);
    expect(last).toMatchObject({ type: 'reassigned', note: 'Anna knows the customer', actorId: t.userIds.manager, details: { fromOwnerUserId: t.userIds.manager, toOwnerUserId: t.userIds.agent } });
    const log = await call('GET', `/api/v1/audit-log?targetType=case&targetId=${idOf(3)}`, { token: t.tokens.admin });
    const row = log.body.items.find((r: any) => r.action === 'case.update');
    expect(row.details.changed).toContain('ownerUserId');
    expect(ks((await list('scope=mine&limit=500', 'agent')).items)).toContain(3);
    // The same owner again changes nothing.
    expect((await patch(3, 'manager', { ownerUserId: t.userIds.agent })).status).toBe(409);
  });

  it('refused: an owner alone, an owner who cannot own it, an unknown user; nothing changes', async () => {
    const before = await read(5);
    const events = before.timeline.length;
    const byAgent = await patch(5, 'agent', { ownerUserId: t.userIds.manager });
    expect(byAgent.status).toBe(403);
    for (const who of [t.userIds.viewer, t.userIds.siteManager, t.userIds.vendor, t.userIds.analyst, 'usr_nobody']) {
      const res = await patch(5, 'manager', { ownerUserId: who, note: 'should not stay' });
      expect(res.status, who).toBe(422);
      expect(res.body.error.details[0].path).toBe('body.ownerUserId');
    }
    const after = await read(5);
    expect(after.ownerUserId).toBe(t.userIds.agent);
    expect(after.timeline).toHaveLength(events);
    expect(after.updatedAt).toBe(before.updatedAt);
  });
});
