import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../src/db/client';
import { cases, contacts, responses, surveys, surveyVersions, touchpoints, units } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { standardSurvey } from '../../src/surveys/templates';
import { call, db, makeTenant, type Fixture, type Login } from './support';

/**
 * GET /api/v1/responses: answers in reach, newest first, filtered, paged by a signed cursor;
 * comments only for roles that read verbatims. Every expected list is derived here from the
 * rows this file inserts (their category written out by hand, not computed by the code under test).
 */

let t: Fixture;
type UnitKey = 'emea' | 'berlin' | 'paris' | 'newYork' | 'fastfix' | 'quickserve';
type Cat = 'promoter' | 'passive' | 'detractor';
interface Row {
  id: string;
  unit: UnitKey;
  score: number;
  cat: Cat;
  /** UTC instant of the answer. */
  at: string;
  touchpoint: 'visit' | 'call';
  channel: 'email' | 'sms';
  comment?: string;
  counted?: boolean;
  flags?: string[];
  /** The customer's name on the contact (attributes.name); no contact without it. */
  customer?: string;
  /** A recovery case was opened for it. */
  case?: boolean;
}

const ROWS: Omit<Row, 'id'>[] = [
  { unit: 'berlin', score: 10, cat: 'promoter', at: '2026-01-05T10:00:00Z', touchpoint: 'visit', channel: 'email', comment: 'Berlin was great' },
  { unit: 'berlin', score: 3, cat: 'detractor', at: '2026-01-06T10:00:00Z', touchpoint: 'visit', channel: 'email', comment: 'Berlin engineer late', customer: 'Anna Schmidt', case: true },
  { unit: 'berlin', score: 7, cat: 'passive', at: '2026-01-07T10:00:00Z', touchpoint: 'call', channel: 'sms' },
  // 23:30 UTC is already 2026-01-11 in Berlin (UTC+1 in winter): the local day decides.
  { unit: 'berlin', score: 6, cat: 'detractor', at: '2026-01-10T23:30:00Z', touchpoint: 'call', channel: 'sms', comment: '   ' },
  { unit: 'paris', score: 9, cat: 'promoter', at: '2026-01-08T09:00:00Z', touchpoint: 'visit', channel: 'email', comment: 'Paris merci', customer: 'Claire Late' },
  { unit: 'paris', score: 0, cat: 'detractor', at: '2026-01-09T09:00:00Z', touchpoint: 'visit', channel: 'email', comment: 'Paris flagged', counted: false, flags: ['duplicate'] },
  { unit: 'emea', score: 8, cat: 'passive', at: '2026-01-09T12:00:00Z', touchpoint: 'call', channel: 'email' },
  { unit: 'newYork', score: 2, cat: 'detractor', at: '2026-01-06T15:00:00Z', touchpoint: 'visit', channel: 'email', comment: 'New York never came' },
  { unit: 'newYork', score: 9, cat: 'promoter', at: '2026-01-07T15:00:00Z', touchpoint: 'call', channel: 'sms' },
  { unit: 'fastfix', score: 4, cat: 'detractor', at: '2026-01-08T08:00:00Z', touchpoint: 'visit', channel: 'email', comment: 'FastFix broke the door 100%', customer: 'Bob Door', case: true },
  { unit: 'fastfix', score: 10, cat: 'promoter', at: '2026-01-08T08:00:00Z', touchpoint: 'visit', channel: 'email' },
  { unit: 'quickserve', score: 5, cat: 'detractor', at: '2026-01-09T08:00:00Z', touchpoint: 'call', channel: 'sms', comment: 'QuickServe no show' },
];
let rows: Row[] = [];
const EMEA: UnitKey[] = ['emea', 'berlin', 'paris'];

/** Newest first, ties by id descending: the order the API promises. */
const ordered = (list: Row[]) => [...list].sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).map((r) => r.id);

async function list(token: string, query = '') {
  const res = await call('GET', `/api/v1/responses${query ? `?${query}` : ''}`, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { items: any[]; nextCursor: string | null };
}
/** Every page of a query, following nextCursor. */
async function all(token: string, query: string, limit = 200) {
  const out: any[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await list(token, `${query}${query ? '&' : ''}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...page.items);
    cursor = page.nextCursor;
    if (++pages > 50) throw new Error('cursor loop');
  } while (cursor);
  return out;
}
const ids = (items: any[]) => items.map((i) => i.id);

beforeAll(async () => {
  t = await makeTenant('RespList');
  const d = db();
  const now = Date.now();
  const surveyId = newId('srv');
  const definition = standardSurvey('X');
  // A second free-text question: its answers are verbatims too.
  definition.questions.push({ id: 'extra', type: 'comment' } as (typeof definition.questions)[number]);
  const tp = { visit: newId('tp'), call: newId('tp') };
  await commit(d, [
    d.insert(surveys).values({ id: surveyId, tenantId: t.tenantId, name: 'S', defaultLocale: 'en', draft: definition, publishedVersion: 1, createdAt: now, updatedAt: now }),
    d.insert(surveyVersions).values({ id: newId('srv_v'), tenantId: t.tenantId, surveyId, version: 1, definition, createdAt: now }),
    d.insert(touchpoints).values({ id: tp.visit, tenantId: t.tenantId, key: 'visit', name: 'Visit', kind: 'site_visit', surveyId, channels: ['email'], createdAt: now, updatedAt: now }),
    d.insert(touchpoints).values({ id: tp.call, tenantId: t.tenantId, key: 'call', name: 'Call', kind: 'site_visit', surveyId, channels: ['sms'], createdAt: now, updatedAt: now }),
    d.update(units).set({ timezone: 'Europe/Berlin' }).where(eq(units.id, t.units.berlin!)),
  ]);
  rows = ROWS.map((r) => ({ ...r, id: newId('rsp') }));
  const contactOf = new Map(rows.filter((r) => r.customer).map((r) => [r.id, newId('ct')]));
  await d.insert(contacts).values(rows.filter((r) => r.customer).map((r, k) => ({ id: contactOf.get(r.id)!, tenantId: t.tenantId, externalId: `list-${k}`, attributes: { name: r.customer } })));
  await d.insert(responses).values(
    rows.map((r) => ({
      id: r.id,
      tenantId: t.tenantId,
      touchpointId: tp[r.touchpoint],
      unitId: t.units[r.unit]!,
      contactId: contactOf.get(r.id) ?? null,
      surveyId,
      surveyVersion: 1,
      channel: r.channel,
      locale: 'en',
      score: r.score,
      comment: r.comment ?? null,
      answers: { nps: r.score, extra: `extra ${r.unit}` },
      qualityFlags: r.flags ?? [],
      counted: r.counted ?? true,
      answeredAt: Date.parse(r.at),
      createdAt: Date.parse(r.at),
      updatedAt: Date.parse(r.at),
    })),
  );
  await d
    .insert(cases)
    .values(
      rows
        .filter((r) => r.case)
        .map((r) => ({ id: caseIdOf(r), tenantId: t.tenantId, responseId: r.id, unitId: t.units[r.unit]!, touchpointId: tp[r.touchpoint], status: 'open' as const, score: r.score })),
    );
});
const caseIdOf = (r: Row) => `case_${r.id}`;

describe('GET /api/v1/responses', () => {
  it('the admin lists every answer, newest first, with unit, touchpoint, category and flags', async () => {
    const page = await list(t.tokens.admin, 'limit=200');
    expect(ids(page.items)).toEqual(ordered(rows));
    expect(page.nextCursor).toBeNull();
    const flagged = rows.find((r) => r.comment === 'Paris flagged')!;
    expect(page.items.find((i) => i.id === flagged.id)).toEqual({
      id: flagged.id,
      unitId: t.units.paris,
      unitName: 'Paris',
      touchpointId: expect.any(String),
      touchpoint: 'visit',
      touchpointName: 'Visit',
      channel: 'email',
      locale: 'en',
      score: 0,
      category: 'detractor',
      contactName: null,
      caseId: null,
      answeredAt: '2026-01-09T09:00:00.000Z',
      excluded: true,
      exclusionReason: null,
      qualityFlags: ['duplicate'],
      comment: 'Paris flagged',
      answers: { nps: 0, extra: 'extra paris' },
      // No event named a vendor or an agent (docs/dimensions.md).
      vendorId: null,
      agentId: null,
    });
    for (const i of page.items) expect(i.category).toBe(rows.find((r) => r.id === i.id)!.cat);
  });

  it('filters: unit subtree, category, touchpoint (key or id), channel, excluded, with comment', async () => {
    const token = t.tokens.admin;
    const expectFilter = async (query: string, keep: (r: Row) => boolean) => expect(ids(await all(token, query)), query).toEqual(ordered(rows.filter(keep)));
    await expectFilter(`unitId=${t.units.emea}`, (r) => EMEA.includes(r.unit));
    await expectFilter(`unitId=${t.units.berlin}`, (r) => r.unit === 'berlin');
    for (const cat of ['promoter', 'passive', 'detractor'] as const) await expectFilter(`category=${cat}`, (r) => r.cat === cat);
    await expectFilter('touchpoint=call', (r) => r.touchpoint === 'call');
    const callId = (await list(token, 'touchpoint=call&limit=1')).items[0].touchpointId;
    await expectFilter(`touchpoint=${callId}`, (r) => r.touchpoint === 'call');
    await expectFilter('channel=sms', (r) => r.channel === 'sms');
    await expectFilter('excluded=true', (r) => r.counted === false);
    await expectFilter('excluded=false', (r) => r.counted !== false);
    await expectFilter('hasComment=true', (r) => !!r.comment?.trim());
    await expectFilter('hasComment=false', (r) => !r.comment?.trim());
    await expectFilter(`unitId=${t.units.emea}&category=detractor&hasComment=true`, (r) => EMEA.includes(r.unit) && r.cat === 'detractor' && !!r.comment?.trim());
    await expectFilter('touchpoint=nope', () => false);
  });

  it("from and to are local days of the answer's unit, as the scores count them", async () => {
    const token = t.tokens.admin;
    const late = rows.find((r) => r.unit === 'berlin' && r.score === 6)!;
    // UTC units: 2026-01-09 only. Berlin: its 23:30 UTC answer of the 10th belongs to the 11th.
    expect(ids(await all(token, 'from=2026-01-09&to=2026-01-09'))).toEqual(ordered(rows.filter((r) => r.at.startsWith('2026-01-09'))));
    expect(ids(await all(token, 'from=2026-01-11&to=2026-01-11'))).toEqual([late.id]);
    expect(ids(await all(token, 'from=2026-01-10&to=2026-01-10'))).toEqual([]);
    expect(ids(await all(token, 'to=2026-01-06'))).toEqual(ordered(rows.filter((r) => r.at < '2026-01-07')));
    // The same day in scores: one Berlin answer on 2026-01-11.
    const scores = await call('GET', `/api/v1/scores?unitId=${t.units.berlin}&from=2026-01-11&to=2026-01-11`, { token });
    expect(scores.body.items[0].n).toBe(1);
  });

  it('pages follow the cursor: every answer once, in order, whatever the page size', async () => {
    for (const limit of [1, 3, 5]) {
      const got = await all(t.tokens.admin, '', limit);
      expect(ids(got), `limit ${limit}`).toEqual(ordered(rows));
    }
    // Two answers share one instant (FastFix): the id breaks the tie without loss at a page edge.
    const fast = await all(t.tokens.admin, `unitId=${t.units.fastfix}`, 1);
    expect(ids(fast)).toEqual(ordered(rows.filter((r) => r.unit === 'fastfix')));
    const first = await list(t.tokens.admin, 'limit=2&category=detractor');
    expect(first.items).toHaveLength(2);
    expect(typeof first.nextCursor).toBe('string');
  });

  it('a tampered, foreign or malformed cursor answers 400 and shows nothing', async () => {
    const first = await list(t.tokens.admin, 'limit=2');
    const cursor = first.nextCursor!;
    const decoded = JSON.parse(atob(cursor.replace(/-/g, '+').replace(/_/g, '/')));
    const moved = btoa(JSON.stringify([decoded[0] + 1, decoded[1], decoded[2]]))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
    const attempts = [
      `limit=2&cursor=${moved}`,
      `limit=2&cursor=${cursor.slice(0, -2)}AA`,
      `limit=2&cursor=not-a-cursor`,
      `limit=2&cursor=${btoa('[1,2,3]')}`,
      // A cursor made for other filters.
      `limit=2&category=promoter&cursor=${cursor}`,
    ];
    for (const q of attempts) {
      const res = await call('GET', `/api/v1/responses?${q}`, { token: t.tokens.admin });
      expect(res.status, q).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.details[0].path).toBe('query.cursor');
      expect(res.body.items).toBeUndefined();
    }
    // Another user's cursor of the same tenant and filters is just a position: still valid.
    expect((await call('GET', `/api/v1/responses?limit=2&cursor=${cursor}`, { token: t.tokens.analyst })).status).toBe(200);
  });

  it('a cursor MAC made with the session signing key is refused: cursors have a key of their own', async () => {
    const first = await list(t.tokens.admin, 'limit=2');
    const [at, id] = JSON.parse(atob(first.nextCursor!.replace(/-/g, '+').replace(/_/g, '/')));
    const b64url = (bytes: Uint8Array) =>
      btoa(String.fromCharCode(...bytes))
        .replace(/\+/g, '-')
        .replace(/\//g, '_')
        .replace(/=+$/, '');
    // The session key (the first of JWT_KEYS), as one who learnt it or a MAC made with it would use it.
    const pair = env.JWT_KEYS!.split(',')[0]!;
    const sessionKey = await crypto.subtle.importKey('raw', new TextEncoder().encode(pair.slice(pair.indexOf(':') + 1)), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const filters = JSON.stringify([['excluded', 'all']]);
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', sessionKey, new TextEncoder().encode(`responses-cursor|${t.tenantId}|${at + 1}|${id}|${filters}`)));
    const forged = b64url(new TextEncoder().encode(JSON.stringify([at + 1, id, b64url(mac.slice(0, 16))])));
    const res = await call('GET', `/api/v1/responses?limit=2&cursor=${forged}`, { token: t.tokens.admin });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('query.cursor');
    expect((await call('GET', `/api/v1/responses?limit=2&cursor=${first.nextCursor}`, { token: t.tokens.admin })).status).toBe(200);
  });

  it('bad filters answer 400 with the field', async () => {
    for (const [q, field] of [
      ['category=angry', 'query.category'],
      ['excluded=maybe', 'query.excluded'],
      ['hasComment=yes', 'query.hasComment'],
      ['channel=pigeon', 'query.channel'],
      ['limit=201', 'query.limit'],
      ['limit=0', 'query.limit'],
      ['from=2026-02-30', 'query.from'],
      ['from=2026-02-02&to=2026-02-01', 'query.from'],
      ['colour=red', 'query'],
    ] as const) {
      const res = await call('GET', `/api/v1/responses?${q}`, { token: t.tokens.admin });
      expect(res.status, q).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.details.map((d: { path: string }) => d.path).join(' '), q).toContain(field);
    }
  });

  it('comments only for roles that read verbatims; vendors get theirs without; viewers and agents none', async () => {
    const withComment = (r: Row) => r.comment !== undefined;
    const expectations: [Login, UnitKey[], boolean][] = [
      ['admin', ['emea', 'berlin', 'paris', 'newYork', 'fastfix', 'quickserve'], true],
      ['analyst', ['emea', 'berlin', 'paris', 'newYork', 'fastfix', 'quickserve'], true],
      ['manager', EMEA, true],
      ['siteManager', ['newYork'], true],
      ['vendor', ['fastfix'], false],
      ['otherVendor', ['quickserve'], false],
    ];
    for (const [login, seen, verbatims] of expectations) {
      const got = await all(t.tokens[login], '');
      expect(ids(got), login).toEqual(ordered(rows.filter((r) => seen.includes(r.unit))));
      for (const item of got) {
        const row = rows.find((r) => r.id === item.id)!;
        if (verbatims) {
          expect(item.comment, login).toBe(row.comment ?? null);
          expect(item.answers.extra).toBe(`extra ${row.unit}`);
        } else {
          expect('comment' in item, login).toBe(false);
          expect(item.answers).toEqual({ nps: row.score });
        }
      }
      if (!verbatims) {
        const text = JSON.stringify(got);
        for (const r of rows.filter(withComment)) expect(text).not.toContain(r.comment);
        // Filtering on comments would tell which answers have one.
        const res = await call('GET', '/api/v1/responses?hasComment=true', { token: t.tokens[login] });
        expect(res.status).toBe(403);
      }
    }
    for (const login of ['viewer', 'agent'] as const) {
      const res = await call('GET', '/api/v1/responses', { token: t.tokens[login] });
      expect(res.status, login).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    }
  });

  it('the EMEA manager never sees the Americas: its units answer 404, no unit means EMEA only', async () => {
    for (const unit of ['americas', 'newYork', 'root', 'fastfix'] as const) {
      const res = await call('GET', `/api/v1/responses?unitId=${t.units[unit]}`, { token: t.tokens.manager });
      expect(res.status, unit).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
    const got = await all(t.tokens.manager, 'category=detractor');
    expect(ids(got)).toEqual(ordered(rows.filter((r) => EMEA.includes(r.unit) && r.cat === 'detractor')));
    expect(JSON.stringify(got)).not.toContain('New York');
    // The vendor aiming at the other vendor's unit: 404 too.
    expect((await call('GET', `/api/v1/responses?unitId=${t.units.quickserve}`, { token: t.tokens.vendor })).status).toBe(404);
  });

  it("the touchpoint's name, the customer's name where verbatims are read, the case where cases are read", async () => {
    const admin = await all(t.tokens.admin, '');
    for (const item of admin) {
      const row = rows.find((r) => r.id === item.id)!;
      expect(item.touchpointName).toBe(row.touchpoint === 'visit' ? 'Visit' : 'Call');
      expect(item.contactName).toBe(row.customer ?? null);
      expect(item.caseId).toBe(row.case ? caseIdOf(row) : null);
    }
    // The vendor reads its own cases but not who answered: the case, no name (the field is absent).
    const vendor = await all(t.tokens.vendor, '');
    const door = rows.find((r) => r.customer === 'Bob Door')!;
    expect(vendor.find((i) => i.id === door.id)).toMatchObject({ caseId: caseIdOf(door) });
    for (const item of vendor) expect('contactName' in item).toBe(false);
    expect(JSON.stringify(vendor)).not.toContain('Bob Door');
  });

  it('q finds every word in the comment or the name, case-insensitive, wildcards taken literally; only where verbatims are read', async () => {
    const token = t.tokens.admin;
    const has = (r: Row, w: string) => (r.comment ?? '').toLowerCase().includes(w) || (r.customer ?? '').toLowerCase().includes(w);
    const expectSearch = async (q: string, words: string[]) => expect(ids(await all(token, `q=${encodeURIComponent(q)}`)), q).toEqual(ordered(rows.filter((r) => words.every((w) => has(r, w)))));
    await expectSearch('berlin', ['berlin']);
    await expectSearch('BERLIN late', ['berlin', 'late']);
    // "late" is in a Berlin comment and in a Paris customer's name.
    await expectSearch('late', ['late']);
    expect((await all(token, 'q=late')).length).toBe(2);
    await expectSearch('schmidt', ['schmidt']);
    await expectSearch('100%', ['100%']);
    // % and _ are not wildcards: "%" alone matches only the comment that has one.
    await expectSearch('%', ['%']);
    expect((await all(token, 'q=_')).length).toBe(0);
    expect(ids(await all(token, `q=late&unitId=${t.units.paris}`))).toEqual([rows.find((r) => r.customer === 'Claire Late')!.id]);
    // The manager searches EMEA only.
    expect(ids(await all(t.tokens.manager, 'q=door'))).toEqual([]);
    // Vendors do not read verbatims: searching them would disclose them.
    const res = await call('GET', '/api/v1/responses?q=door', { token: t.tokens.vendor });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
    for (const bad of ['q=', `q=${'x'.repeat(201)}`]) {
      const r = await call('GET', `/api/v1/responses?${bad}`, { token });
      expect(r.status, bad).toBe(400);
      expect(r.body.error.details[0].path).toBe('query.q');
    }
  });

  it("an admin's exclusion shows with its reason; included again, it counts and the reason goes", async () => {
    const target = rows.find((r) => r.comment === 'Berlin engineer late')!;
    const find = async () => (await all(t.tokens.manager, `unitId=${t.units.berlin}`)).find((i) => i.id === target.id);
    expect(await find()).toMatchObject({ excluded: false, exclusionReason: null });
    const ex = await call('POST', `/api/v1/responses/${target.id}/exclude`, { token: t.tokens.admin, body: { reason: 'Test call by our own staff' } });
    expect(ex.status).toBe(200);
    expect(await find()).toMatchObject({ excluded: true, exclusionReason: 'Test call by our own staff' });
    expect(ids(await all(t.tokens.admin, 'excluded=true'))).toContain(target.id);
    const inc = await call('POST', `/api/v1/responses/${target.id}/include`, { token: t.tokens.admin, body: { reason: 'It was a real customer' } });
    expect(inc.status).toBe(200);
    expect(await find()).toMatchObject({ excluded: false, exclusionReason: null });
  });
});
