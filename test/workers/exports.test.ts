import { parse } from 'csv-parse/sync';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../src/db/client';
import { responses, surveys, tenants, touchpoints } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { standardSurvey } from '../../src/surveys/templates';
import { call, db, makeTenant, type Fixture } from './support';

let t: Fixture;
const TRICKY = ['=HYPERLINK("http://evil")', 'fine, with "quotes", commas\nand a line break', '+1 call me', 'plain'];

beforeAll(async () => {
  t = await makeTenant('Exports');
  const d = db();
  const now = Date.now();
  const surveyId = newId('srv');
  const tp = newId('tp');
  await commit(d, [
    d.insert(surveys).values({ id: surveyId, tenantId: t.tenantId, name: 'S', defaultLocale: 'en', draft: standardSurvey('X'), publishedVersion: 1, createdAt: now, updatedAt: now }),
    d.insert(touchpoints).values({ id: tp, tenantId: t.tenantId, key: 'visit', name: 'Visit', kind: 'site_visit', surveyId, channels: ['email'], createdAt: now, updatedAt: now }),
    d
      .update(tenants)
      .set({ settings: { minResponses: 1 } })
      .where(eq(tenants.id, t.tenantId)),
  ]);
  // 4,500 answers in Berlin (more than two pages of the stream), 4 with tricky comments in FastFix, one not counted.
  const base = { tenantId: t.tenantId, touchpointId: tp, surveyId, surveyVersion: 1, channel: 'email' as const, locale: 'en', counted: true };
  const rows = Array.from({ length: 4500 }, (_, i) => ({ ...base, id: newId('rsp'), unitId: t.units.berlin!, score: i % 11, comment: `comment ${i}`, createdAt: now - i * 1000, updatedAt: now }));
  rows.push(...TRICKY.map((comment, i) => ({ ...base, id: newId('rsp'), unitId: t.units.fastfix!, score: 9 + (i % 2), comment, createdAt: now, updatedAt: now })));
  rows.push({ ...base, id: newId('rsp'), unitId: t.units.fastfix!, score: 0, comment: 'flagged', counted: false, createdAt: now, updatedAt: now });
  for (let i = 0; i < rows.length; i += 500) await d.insert(responses).values(rows.slice(i, i + 500));
});

const exportCsv = async (token: string, qs = '') => {
  const res = await call('GET', `/api/v1/exports/responses.csv${qs}`, { token });
  return { ...res, rows: res.status === 200 ? (parse(res.body, { columns: true }) as Record<string, string>[]) : [] };
};

describe('responses export', () => {
  it('streams every counted response in reach across pages, with verbatims for the admin', async () => {
    const res = await exportCsv(t.tokens.admin);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.rows).toHaveLength(4504);
    expect(new Set(res.rows.map((r) => r.id)).size).toBe(4504);
    expect(Object.keys(res.rows[0]!)).toContain('comment');
    const berlin = res.rows.filter((r) => r.unit_id === t.units.berlin);
    expect(berlin.filter((r) => r.category === 'promoter').length).toBe(berlin.filter((r) => Number(r.score) >= 9).length);
    const all = await exportCsv(t.tokens.admin, '?includeUncounted=true');
    expect(all.rows).toHaveLength(4505);
  });

  it('quotes commas, quotes and line breaks, and defuses spreadsheet formulas', async () => {
    const res = await exportCsv(t.tokens.admin, `?unitId=${t.units.fastfix}`);
    const comments = res.rows.map((r) => r.comment).sort();
    expect(comments).toEqual(["'+1 call me", `'=HYPERLINK("http://evil")`, 'fine, with "quotes", commas\nand a line break', 'plain'].sort());
  });

  it('gates verbatims and rows by role and reach', async () => {
    const vendor = await exportCsv(t.tokens.vendor);
    expect(vendor.status).toBe(200);
    expect(vendor.rows).toHaveLength(4);
    expect(vendor.rows.every((r) => r.unit_id === t.units.fastfix)).toBe(true);
    expect(Object.keys(vendor.rows[0]!)).not.toContain('comment');
    expect(vendor.body).not.toContain('HYPERLINK');
    const manager = await exportCsv(t.tokens.manager);
    expect(manager.rows).toHaveLength(4500);
    expect(Object.keys(manager.rows[0]!)).toContain('comment');
    for (const login of ['viewer', 'agent'] as const) {
      const denied = await call('GET', '/api/v1/exports/responses.csv', { token: t.tokens[login] });
      expect(denied.status).toBe(403);
    }
    expect((await call('GET', `/api/v1/exports/responses.csv?unitId=${t.units.berlin}`, { token: t.tokens.vendor })).status).toBe(404);
  });
});

describe("responses export with the Responses page's filters", () => {
  it('category, touchpoint and the search narrow the rows as GET /api/v1/responses does', async () => {
    const q = `?unitId=${t.units.berlin}`;
    // Berlin's answer i has score i % 11 and comment "comment i": detractors are scores 0-6.
    const detractors = Array.from({ length: 4500 }, (_, i) => i).filter((i) => i % 11 <= 6).length;
    const cat = await exportCsv(t.tokens.admin, `${q}&category=detractor`);
    expect(cat.rows).toHaveLength(detractors);
    expect(cat.rows.every((r) => r.category === 'detractor')).toBe(true);
    expect((await exportCsv(t.tokens.admin, `${q}&touchpoint=visit`)).rows).toHaveLength(4500);
    expect((await exportCsv(t.tokens.admin, `${q}&touchpoint=nope`)).rows).toHaveLength(0);
    // Every word must occur: "comment" and "12" (4500 comments, those whose number contains 12), and promoters among them.
    const twelve = Array.from({ length: 4500 }, (_, i) => i).filter((i) => String(i).includes('12'));
    const found = await exportCsv(t.tokens.admin, `${q}&q=${encodeURIComponent('Comment 12')}`);
    expect(found.rows.map((r) => r.comment).sort()).toEqual(twelve.map((i) => `comment ${i}`).sort());
    const promoters = await exportCsv(t.tokens.admin, `${q}&q=12&category=promoter`);
    expect(promoters.rows).toHaveLength(twelve.filter((i) => i % 11 >= 9).length);
    // Vendors read no verbatims: no search for them.
    const vendor = await call('GET', `/api/v1/exports/responses.csv?q=door`, { token: t.tokens.vendor });
    expect(vendor.status).toBe(403);
    const bad = await call('GET', `/api/v1/exports/responses.csv?category=angry`, { token: t.tokens.admin });
    expect(bad.status).toBe(400);
  });
});

describe('scores export', () => {
  it('is the scores API as CSV', async () => {
    const api = await call('GET', `/api/v1/scores?groupBy=unit`, { token: t.tokens.admin });
    const res = await call('GET', `/api/v1/exports/scores.csv?groupBy=unit`, { token: t.tokens.admin });
    expect(res.status).toBe(200);
    const rows = parse(res.body, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.key, Number(r.n), Number(r.nps)])).toEqual(api.body.items.map((i: any) => [i.key, i.n, i.nps]));
  });
});
