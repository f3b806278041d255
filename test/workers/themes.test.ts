import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { commit } from '../../src/db/client';
import { commentAnalyses, responses, surveys, surveyVersions, touchpoints } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { standardSurvey } from '../../src/surveys/templates';
import worker from '../../src/worker';
import { deliverCaptured, mergeSettings } from './case-fixture';
import { call, db, makeTenant, runCron, uniq, type Fixture } from './support';

/**
 * Comment themes (issue 14, docs/themes.md): each comment analysed once at follow-up time by the
 * real queue consumer; the themes query answers from the stored tags. Every expected number below
 * comes from the hand labels of the corpus (which starter themes a reader sees in each comment),
 * recounted by brute force in the test, never from the code's output.
 */

type Label = 'Waiting time' | 'Technician skill' | 'Communication' | 'Billing' | 'Scheduling' | 'Product quality' | 'Friendliness' | 'Parking' | 'Hotline';
interface Planted {
  unit: 'berlin' | 'paris' | 'newYork';
  locale: string;
  score: number;
  comment: string | null;
  at: string;
  /** The themes a reader finds, under the starter library. */
  themes: Label[];
  counted?: boolean;
  /** The comment's own language. */
  language?: string;
  /** Positive or negative, by a reader. */
  tone?: '+' | '-';
}

const MARCH = 'from=2026-03-01&to=2026-03-31';
const CORPUS: Planted[] = [
  // English: wait / waited / waiting meet in one theme.
  { unit: 'berlin', locale: 'en', score: 2, comment: 'We waited three hours for the technician', at: '2026-03-02T10:00:00Z', themes: ['Waiting time', 'Technician skill'], language: 'en' },
  { unit: 'berlin', locale: 'en', score: 4, comment: 'Still waiting for a callback', at: '2026-03-03T10:00:00Z', themes: ['Waiting time', 'Communication'], language: 'en' },
  { unit: 'paris', locale: 'en', score: 6, comment: 'The wait was far too long', at: '2026-03-04T10:00:00Z', themes: ['Waiting time'], language: 'en' },
  { unit: 'berlin', locale: 'en', score: 10, comment: 'The technician was friendly and quick', at: '2026-03-05T10:00:00Z', themes: ['Technician skill', 'Friendliness'], language: 'en', tone: '+' },
  { unit: 'berlin', locale: 'en', score: 3, comment: 'The technician was not friendly', at: '2026-03-06T10:00:00Z', themes: ['Technician skill', 'Friendliness'], language: 'en', tone: '-' },
  { unit: 'berlin', locale: 'en', score: 1, comment: 'The invoice was wrong', at: '2026-03-07T10:00:00Z', themes: ['Billing'], language: 'en' },
  { unit: 'berlin', locale: 'en', score: 5, comment: 'Parking was impossible near the site', at: '2026-03-08T10:00:00Z', themes: [], language: 'en' },
  // German: warten / wartete / Wartezeit.
  { unit: 'berlin', locale: 'de', score: 2, comment: 'Wir mussten drei Stunden warten', at: '2026-03-09T10:00:00Z', themes: ['Waiting time'], language: 'de' },
  { unit: 'berlin', locale: 'de', score: 3, comment: 'Ich wartete den ganzen Tag', at: '2026-03-10T10:00:00Z', themes: ['Waiting time'], language: 'de' },
  { unit: 'paris', locale: 'de', score: 4, comment: 'Die Wartezeit war viel zu lang', at: '2026-03-11T10:00:00Z', themes: ['Waiting time'], language: 'de' },
  { unit: 'berlin', locale: 'de', score: 2, comment: 'Der Techniker war nicht freundlich', at: '2026-03-12T10:00:00Z', themes: ['Technician skill', 'Friendliness'], language: 'de', tone: '-' },
  { unit: 'berlin', locale: 'de', score: 9, comment: 'Der Techniker war sehr freundlich', at: '2026-03-13T10:00:00Z', themes: ['Technician skill', 'Friendliness'], language: 'de', tone: '+' },
  { unit: 'paris', locale: 'de', score: 6, comment: 'Kein Parkplatz in der Nähe', at: '2026-03-14T10:00:00Z', themes: [], language: 'de' },
  // French: attendu / attente; a French comment on an English survey.
  { unit: 'paris', locale: 'fr', score: 3, comment: 'Nous avons attendu trois heures', at: '2026-03-15T10:00:00Z', themes: ['Waiting time'], language: 'fr' },
  { unit: 'paris', locale: 'fr', score: 5, comment: "L'attente était interminable", at: '2026-03-16T10:00:00Z', themes: ['Waiting time'], language: 'fr' },
  { unit: 'paris', locale: 'en', score: 2, comment: "Le technicien n'était pas aimable", at: '2026-03-17T10:00:00Z', themes: ['Technician skill', 'Friendliness'], language: 'fr', tone: '-' },
  { unit: 'paris', locale: 'fr', score: 10, comment: 'Le technicien était très aimable', at: '2026-03-18T10:00:00Z', themes: ['Technician skill', 'Friendliness'], language: 'fr', tone: '+' },
  { unit: 'paris', locale: 'fr', score: 4, comment: 'La facture était fausse', at: '2026-03-19T10:00:00Z', themes: ['Billing'], language: 'fr' },
  // Spanish: esperamos / espera.
  { unit: 'berlin', locale: 'es', score: 1, comment: 'Esperamos tres horas al técnico', at: '2026-03-20T10:00:00Z', themes: ['Waiting time', 'Technician skill'], language: 'es' },
  { unit: 'berlin', locale: 'es', score: 5, comment: 'La espera fue eterna', at: '2026-03-21T10:00:00Z', themes: ['Waiting time'], language: 'es' },
  { unit: 'paris', locale: 'es', score: 3, comment: 'El técnico no fue amable', at: '2026-03-22T10:00:00Z', themes: ['Technician skill', 'Friendliness'], language: 'es', tone: '-' },
  { unit: 'paris', locale: 'es', score: 9, comment: 'El técnico fue muy amable', at: '2026-03-23T10:00:00Z', themes: ['Technician skill', 'Friendliness'], language: 'es', tone: '+' },
  { unit: 'berlin', locale: 'es', score: 6, comment: 'La factura estaba mal', at: '2026-03-24T10:00:00Z', themes: ['Billing'], language: 'es' },
  // A recurring complaint no starter theme knows: offered as a discovered theme.
  { unit: 'berlin', locale: 'en', score: 2, comment: 'The hotline never answered', at: '2026-03-24T11:00:00Z', themes: [] },
  { unit: 'berlin', locale: 'en', score: 1, comment: 'Hotline always busy', at: '2026-03-24T12:00:00Z', themes: [] },
  { unit: 'paris', locale: 'en', score: 3, comment: 'Nobody at the hotline picked up', at: '2026-03-24T13:00:00Z', themes: [] },
  { unit: 'berlin', locale: 'en', score: 4, comment: 'The hotline menu is a maze', at: '2026-03-24T14:00:00Z', themes: [] },
  // Not counted; outside EMEA; the month before; no theme; no comment.
  { unit: 'berlin', locale: 'en', score: 0, comment: 'We waited forever', at: '2026-03-25T10:00:00Z', themes: ['Waiting time'], counted: false },
  { unit: 'newYork', locale: 'en', score: 2, comment: 'Waiting time was awful', at: '2026-03-26T10:00:00Z', themes: ['Waiting time'] },
  { unit: 'berlin', locale: 'en', score: 3, comment: 'We waited again', at: '2026-02-15T10:00:00Z', themes: ['Waiting time'] },
  { unit: 'berlin', locale: 'en', score: 10, comment: 'All good', at: '2026-03-27T10:00:00Z', themes: [] },
  { unit: 'paris', locale: 'en', score: 8, comment: null, at: '2026-03-28T10:00:00Z', themes: [] },
  { unit: 'berlin', locale: 'en', score: 7, comment: null, at: '2026-03-29T10:00:00Z', themes: [] },
];

let t: Fixture;
const ids: string[] = [];

/** One workflow message through the real queue consumer. */
async function consume(body: Record<string, unknown>) {
  const batch = createMessageBatch('nps-workflow', [{ id: `m-${uniq()}`, timestamp: new Date(), attempts: 1, body: body as never }]);
  const ctx = createExecutionContext();
  await worker.queue(batch as never, env as never);
  const result = await getQueueResult(batch, ctx);
  expect(result.explicitAcks.length, JSON.stringify(body)).toBe(1);
}

const retag = (tenantId: string) => consume({ type: 'themes.retag', tenantId, idempotencyKey: `themes.retag:${tenantId}:${uniq()}` });

/** The brute-force recount: themes by hand label, over counted answers of the units and month asked. */
function expected(corpus: Planted[], units: string[], category?: 'detractor' | 'passive' | 'promoter') {
  const cat = (s: number) => (s >= 9 ? 'promoter' : s >= 7 ? 'passive' : 'detractor');
  const inScope = corpus.filter((c) => units.includes(c.unit) && c.counted !== false && c.at.startsWith('2026-03') && (!category || cat(c.score) === category));
  const commented = inScope.filter((c) => c.comment);
  const unitN = corpus.filter((c) => units.includes(c.unit) && c.counted !== false && c.at.startsWith('2026-03')).length;
  const out = new Map<string, { comments: number; promoters: number; detractors: number }>();
  for (const c of commented)
    for (const th of c.themes) {
      const e = out.get(th) ?? { comments: 0, promoters: 0, detractors: 0 };
      e.comments++;
      if (c.score >= 9) e.promoters++;
      if (c.score <= 6) e.detractors++;
      out.set(th, e);
    }
  return { themes: out, commented: commented.length, unitN };
}

beforeAll(async () => {
  t = await makeTenant('Themes');
  // NPS among a theme's answers is shown from one answer on here, so the hand computations can be checked.
  await mergeSettings(t.tenantId, { minResponses: 1 });
  const d = db();
  const now = Date.now();
  const surveyId = newId('srv');
  const tp = newId('tp');
  // A survey in English, German, French and Spanish: the starter library is laid in these.
  const definition = { ...standardSurvey('Acme'), translations: { en: {}, de: {}, fr: {}, es: {} } } as unknown as Record<string, unknown>;
  await commit(d, [
    d.insert(surveys).values({ id: surveyId, tenantId: t.tenantId, name: 'S', defaultLocale: 'en', draft: definition, publishedVersion: 1, createdAt: now, updatedAt: now }),
    d.insert(surveyVersions).values({ id: newId('srvv'), tenantId: t.tenantId, surveyId, version: 1, definition, createdAt: now }),
    d.insert(touchpoints).values({ id: tp, tenantId: t.tenantId, key: 'visit', name: 'Visit', kind: 'site_visit', surveyId, channels: ['email'], createdAt: now, updatedAt: now }),
  ]);
  for (const c of CORPUS) {
    const id = newId('rsp');
    ids.push(id);
    await d.insert(responses).values({
      id,
      tenantId: t.tenantId,
      touchpointId: tp,
      unitId: t.units[c.unit]!,
      surveyId,
      surveyVersion: 1,
      channel: 'email',
      locale: c.locale,
      score: c.score,
      comment: c.comment,
      counted: c.counted ?? true,
      qualityFlags: c.counted === false ? ['bulk'] : [],
      answeredAt: Date.parse(c.at),
      createdAt: Date.parse(c.at),
      updatedAt: Date.parse(c.at),
    });
  }
  // The follow-up of each answer, as the workflow queue runs it: this is where comments are analysed.
  for (const id of ids) expect((await deliverCaptured(t.tenantId, id)).acked).toBe(true);
});

const analysisOf = async (i: number) =>
  (
    await db()
      .select()
      .from(commentAnalyses)
      .where(and(eq(commentAnalyses.tenantId, t.tenantId), eq(commentAnalyses.id, ids[i]!)))
  )[0];

describe('analysis at follow-up time', () => {
  it('stores one analysis per comment, none for answers without one; a redelivery adds nothing', async () => {
    const rows = await db().select().from(commentAnalyses).where(eq(commentAnalyses.tenantId, t.tenantId));
    expect(rows.length).toBe(CORPUS.filter((c) => c.comment).length);
    expect((await deliverCaptured(t.tenantId, ids[0]!)).acked).toBe(true);
    expect((await db().select().from(commentAnalyses).where(eq(commentAnalyses.tenantId, t.tenantId))).length).toBe(rows.length);
  });

  it("detects each comment's own language: a French comment on an English survey is analysed as French", async () => {
    for (const [i, c] of CORPUS.entries()) if (c.language) expect((await analysisOf(i))?.language, c.comment!).toBe(c.language);
    const french = CORPUS.findIndex((c) => c.comment === "Le technicien n'était pas aimable");
    expect(CORPUS[french]!.locale).toBe('en');
    expect((await analysisOf(french))?.language).toBe('fr');
  });

  it('negation flips sentiment in every language', async () => {
    for (const [i, c] of CORPUS.entries()) {
      if (!c.tone) continue;
      const s = (await analysisOf(i))!.sentiment!;
      if (c.tone === '+') expect(s, c.comment!).toBeGreaterThan(0);
      else expect(s, c.comment!).toBeLessThan(0);
    }
  });

  it('inflections meet in one theme: wait/waited/waiting, warten/wartete/Wartezeit, attendu/attente, esperamos/espera', async () => {
    const lib = (await call('GET', '/api/v1/theme-library', { token: t.tokens.admin })).body;
    const waiting = lib.items.find((x: { name: string }) => x.name === 'Waiting time').id;
    for (const [i, c] of CORPUS.entries()) {
      if (!c.comment) continue;
      const tagged = (await analysisOf(i))!.themes.includes(waiting);
      expect(tagged, c.comment).toBe(c.themes.includes('Waiting time'));
    }
  });

  it('analyses a case note the same way: its own language, stems and themes', async () => {
    const list = await call('GET', '/api/v1/cases?scope=subtree&limit=5', { token: t.tokens.admin });
    const k = list.body.items[0];
    const res = await call('PATCH', `/api/v1/cases/${k.id}`, { token: t.tokens.admin, body: { note: 'Der Kunde wartete drei Wochen auf eine korrigierte Rechnung' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const [note] = await db()
      .select()
      .from(commentAnalyses)
      .where(and(eq(commentAnalyses.tenantId, t.tenantId), eq(commentAnalyses.kind, 'note'), eq(commentAnalyses.caseId, k.id)));
    expect(note).toMatchObject({ language: 'de', responseId: k.responseId, counted: false });
    const lib = (await call('GET', '/api/v1/theme-library', { token: t.tokens.admin })).body.items as { id: string; name: string }[];
    // By hand: "wartete" is waiting, "Rechnung" is billing.
    expect(note!.themes.map((id) => lib.find((x) => x.id === id)?.name).sort()).toEqual(['Billing', 'Waiting time']);
  });

  it('lays the starter library in the languages of the surveys', async () => {
    const lib = (await call('GET', '/api/v1/theme-library', { token: t.tokens.admin })).body;
    expect(lib.items.map((x: { name: string }) => x.name)).toEqual(['Billing', 'Communication', 'Friendliness', 'Product quality', 'Scheduling', 'Technician skill', 'Waiting time']);
    for (const x of lib.items) expect(Object.keys(x.terms).sort()).toEqual(['de', 'en', 'es', 'fr']);
  });
});

type Item = { id: string; name: string; source: string; comments: number; share: number; nps: number | null; impact: number; sentiment: number | null; emerging: boolean; examples: string[] };

function checkAgainst(all: Item[], e: ReturnType<typeof expected>) {
  const items = all.filter((i) => i.source === 'library');
  const got = new Map(items.map((i) => [i.name, i]));
  expect([...got.keys()].sort()).toEqual([...e.themes.keys()].sort());
  for (const [name, x] of e.themes) {
    const i = got.get(name)!;
    expect(i.comments, name).toBe(x.comments);
    expect(i.share, name).toBeCloseTo(x.comments / e.commented, 4);
    expect(i.nps, name).toBeCloseTo((100 * (x.promoters - x.detractors)) / x.comments, 1);
    expect(i.impact, name).toBeCloseTo((100 * (x.detractors - x.promoters)) / e.unitN, 1);
  }
}

describe('GET /api/v1/themes', () => {
  it('counts, share, NPS and impact match the hand labels (EMEA, March)', async () => {
    const res = await call('GET', `/api/v1/themes?unitId=${t.units.emea}&${MARCH}`, { token: t.tokens.manager });
    expect(res.status).toBe(200);
    checkAgainst(res.body.items, expected(CORPUS, ['berlin', 'paris']));
    // Ranked by impact: the theme whose answers cost the most NPS first.
    const impacts = res.body.items.map((i: Item) => i.impact);
    expect(impacts).toEqual([...impacts].sort((a, b) => b - a));
    const waiting = res.body.items.find((i: Item) => i.name === 'Waiting time');
    expect(waiting.sentiment).toBeLessThan(0);
    expect(waiting.examples.length).toBe(3);
    expect(waiting.examples[0]).toBe('La espera fue eterna'); // the latest in March in EMEA mentioning it
  });

  it('filters by category and by subtree', async () => {
    const det = await call('GET', `/api/v1/themes?unitId=${t.units.emea}&${MARCH}&category=detractor`, { token: t.tokens.admin });
    checkAgainst(det.body.items, expected(CORPUS, ['berlin', 'paris'], 'detractor'));
    const paris = await call('GET', `/api/v1/themes?unitId=${t.units.paris}&${MARCH}`, { token: t.tokens.admin });
    checkAgainst(paris.body.items, expected(CORPUS, ['paris']));
    const root = await call('GET', `/api/v1/themes?unitId=${t.units.root}&${MARCH}`, { token: t.tokens.admin });
    checkAgainst(root.body.items, expected(CORPUS, ['berlin', 'paris', 'newYork']));
  });

  it('gives examples only to callers who read verbatims', async () => {
    const viewer = await call('GET', `/api/v1/themes?unitId=${t.units.emea}&${MARCH}`, { token: t.tokens.viewer });
    expect(viewer.status).toBe(200);
    expect(viewer.body.items.length).toBeGreaterThan(0);
    for (const i of viewer.body.items) expect(i.examples).toEqual([]);
    const analyst = await call('GET', `/api/v1/themes?unitId=${t.units.emea}&${MARCH}`, { token: t.tokens.analyst });
    expect(analyst.body.items.some((i: Item) => i.examples.length > 0)).toBe(true);
    expect((await call('GET', `/api/v1/themes?unitId=${t.units.americas}`, { token: t.tokens.manager })).status).toBe(404);
    expect((await call('GET', `/api/v1/themes?unitId=${t.units.berlin}`, { token: t.tokens.agent })).status).toBe(403);
  });

  it('offers recurring detractor words no library theme matches as a discovered theme', async () => {
    const res = await call('GET', `/api/v1/themes?unitId=${t.units.emea}&${MARCH}`, { token: t.tokens.admin });
    const found = res.body.items.filter((i: Item) => i.source === 'discovered');
    // By hand: "hotline" in four detractor comments, every other untagged word in fewer than three.
    expect(found.map((i: Item) => i.name)).toEqual(['hotline']);
    const e = expected(CORPUS, ['berlin', 'paris']);
    expect(found[0]).toMatchObject({ comments: 4, nps: -100, terms: { en: ['hotline'] }, emerging: false });
    expect(found[0].share).toBeCloseTo(4 / e.commented, 4);
    expect(found[0].impact).toBeCloseTo((100 * 4) / e.unitN, 1);
    expect(found[0].examples).toEqual(['The hotline menu is a maze', 'Nobody at the hotline picked up', 'Hotline always busy']);
    const viewer = await call('GET', `/api/v1/themes?unitId=${t.units.emea}&${MARCH}`, { token: t.tokens.viewer });
    expect(viewer.body.items.find((i: Item) => i.source === 'discovered').examples).toEqual([]);
  });

  it('answers 400 to bad queries', async () => {
    for (const q of ['from=2026-03-05&to=2026-03-01', 'category=angry', 'to=yesterday', 'x=1']) expect((await call('GET', `/api/v1/themes?${q}`, { token: t.tokens.admin })).status, q).toBe(400);
  });
});

describe('themes in use', () => {
  it('routes a case by the theme of its comment and shows the themes on the case for template suggestions', async () => {
    const lib = (await call('GET', '/api/v1/theme-library', { token: t.tokens.admin })).body.items as { id: string; name: string }[];
    const billing = lib.find((x) => x.name === 'Billing')!.id;
    // Billing complaints to the billing team (here: the analyst's user).
    const set = await call('PUT', '/api/v1/case-settings', { token: t.tokens.admin, body: { routingRules: [{ theme: billing, ownerUserId: t.userIds.analyst }] } });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect((await call('PUT', '/api/v1/case-settings', { token: t.tokens.admin, body: { routingRules: [{ theme: 'thm_nope', ownerUserId: t.userIds.analyst }] } })).status).toBe(404);
    const [tp] = await db().select().from(touchpoints).where(eq(touchpoints.tenantId, t.tenantId));
    const answer = async (comment: string | null) => {
      const id = newId('rsp');
      const at = Date.parse('2026-03-30T10:00:00Z');
      await db().insert(responses).values({
        id,
        tenantId: t.tenantId,
        touchpointId: tp!.id,
        unitId: t.units.newYork!,
        surveyId: tp!.surveyId,
        surveyVersion: 1,
        channel: 'email',
        locale: 'en',
        score: 2,
        comment,
        counted: true,
        answeredAt: at,
        createdAt: at,
        updatedAt: at,
      });
      expect((await deliverCaptured(t.tenantId, id)).acked).toBe(true);
      const cases = await call('GET', '/api/v1/cases?scope=subtree&limit=100', { token: t.tokens.admin });
      return cases.body.items.find((k: { responseId: string }) => k.responseId === id);
    };
    const billed = await answer('They charged me twice on the invoice');
    expect(billed.ownerUserId).toBe(t.userIds.analyst);
    const other = await answer('Nobody came at all');
    expect(other.ownerUserId).not.toBe(t.userIds.analyst);
    const detail = await call('GET', `/api/v1/cases/${billed.id}`, { token: t.tokens.admin });
    expect(detail.body.themes.map((x: { name: string }) => x.name)).toEqual(['Billing']);
    expect(detail.body.timeline[0].details.routing).toBe(`rule:theme:${billing}`);

    // Score first, comment later (the survey page's two steps): the case opens on the score, waits for the comment, then follows its theme.
    const late = await answer(null);
    expect(late.ownerUserId).not.toBe(t.userIds.analyst);
    await db()
      .update(responses)
      .set({ comment: 'The bill is twice what was quoted' })
      .where(and(eq(responses.tenantId, t.tenantId), eq(responses.id, late.responseId)));
    await consume({ type: 'comment.analyse', tenantId: t.tenantId, responseId: late.responseId, idempotencyKey: `comment.analyse:${late.responseId}` });
    const rerouted = await call('GET', `/api/v1/cases/${late.id}`, { token: t.tokens.admin });
    expect(rerouted.body.ownerUserId).toBe(t.userIds.analyst);
    expect(rerouted.body.timeline.map((e: { type: string }) => e.type)).toContain('rerouted');
    // Delivered again: nothing more.
    await consume({ type: 'comment.analyse', tenantId: t.tenantId, responseId: late.responseId, idempotencyKey: `comment.analyse:${late.responseId}` });
    expect((await call('GET', `/api/v1/cases/${late.id}`, { token: t.tokens.admin })).body.timeline.filter((e: { type: string }) => e.type === 'rerouted')).toHaveLength(1);
    await call('PUT', '/api/v1/case-settings', { token: t.tokens.admin, body: { routingRules: [] } });
  });
});

describe('an action plan from a theme', () => {
  it("shows the theme's mentions in its before and after windows", async () => {
    // Before: February (one Berlin comment mentions waiting: "We waited again"); after: March in EMEA, by hand from the labels.
    const plan = await call('POST', '/api/v1/action-plans', {
      token: t.tokens.admin,
      body: { unitId: t.units.emea, title: 'Shorter waits', theme: 'Waiting time', beforeFrom: '2026-02-01', beforeTo: '2026-02-28', afterFrom: '2026-03-01', afterTo: '2026-03-31' },
    });
    expect(plan.status, JSON.stringify(plan.body)).toBe(201);
    const got = await call('GET', `/api/v1/action-plans/${plan.body.id}`, { token: t.tokens.admin });
    const march = expected(CORPUS, ['berlin', 'paris']);
    const feb = CORPUS.filter((c) => ['berlin', 'paris'].includes(c.unit) && c.at.startsWith('2026-02') && c.comment && c.counted !== false);
    expect(got.body.before.theme).toEqual({ comments: feb.filter((c) => c.themes.includes('Waiting time')).length, share: 1 });
    expect(got.body.after.theme.comments).toBe(march.themes.get('Waiting time')!.comments);
    expect(got.body.after.theme.share).toBeCloseTo(march.themes.get('Waiting time')!.comments / march.commented, 4);
  });
});

describe('the theme library', () => {
  it('re-tags after edits and recounts exactly as a brute-force recount', async () => {
    const before = (await call('GET', '/api/v1/theme-library', { token: t.tokens.admin })).body;
    const id = (name: string) => before.items.find((x: { name: string }) => x.name === name).id;
    // A new theme: the two parking comments (en, de) now meet in it.
    const created = await call('POST', '/api/v1/theme-library', { token: t.tokens.admin, body: { name: 'Parking', terms: { en: ['parking'], de: ['Parkplatz'] } } });
    expect(created.status).toBe(201);
    expect(created.body.version).toBe(before.version + 1);
    // Billing without "invoice": the English invoice comment leaves it.
    const patched = await call('PATCH', `/api/v1/theme-library/${id('Billing')}`, { token: t.tokens.admin, body: { terms: { en: ['bill'], fr: ['facture'], es: ['factura'], de: ['Rechnung'] } } });
    expect(patched.status).toBe(200);
    // The discovered theme named and added as it is offered: the hotline comments meet in it, and it is no longer discovered.
    const offered = (await call('GET', `/api/v1/themes?unitId=${t.units.emea}&${MARCH}`, { token: t.tokens.admin })).body.items.find((i: Item) => i.source === 'discovered');
    expect((await call('POST', '/api/v1/theme-library', { token: t.tokens.admin, body: { name: 'Hotline', terms: offered.terms } })).status).toBe(201);
    // Communication deleted: its one comment keeps its other theme.
    expect((await call('DELETE', `/api/v1/theme-library/${id('Communication')}`, { token: t.tokens.admin })).status).toBe(200);
    await retag(t.tenantId);
    const edited = CORPUS.map((c) => {
      let themes = c.themes.filter((x) => x !== 'Communication');
      if (c.comment === 'The invoice was wrong') themes = themes.filter((x) => x !== 'Billing');
      if (c.comment?.includes('Parking') || c.comment?.includes('Parkplatz')) themes = [...themes, 'Parking'];
      if (c.comment?.toLowerCase().includes('hotline')) themes = [...themes, 'Hotline'];
      return { ...c, themes };
    });
    const res = await call('GET', `/api/v1/themes?unitId=${t.units.emea}&${MARCH}`, { token: t.tokens.admin });
    checkAgainst(res.body.items, expected(edited, ['berlin', 'paris']));
    expect(res.body.items.filter((i: Item) => i.source === 'discovered')).toEqual([]);
    // Every stored analysis is at the new version.
    const rows = await db().select().from(commentAnalyses).where(eq(commentAnalyses.tenantId, t.tenantId));
    expect(new Set(rows.map((r) => r.libraryVersion))).toEqual(new Set([before.version + 4]));
  });

  it('refuses bad themes with a clear 400 and changes nothing', async () => {
    const before = (await call('GET', '/api/v1/theme-library', { token: t.tokens.admin })).body;
    const bad = [
      { name: '', terms: { en: ['delay'] } },
      { name: 'Empty', terms: {} },
      { name: 'Empty list', terms: { en: [] } },
      { name: 'Blank term', terms: { en: ['  '] } },
      { name: 'Long', terms: { en: ['a'.repeat(500)] } },
      { name: 'Unknown language', terms: { xx: ['delay'] } },
      { name: 'Stopwords only', terms: { en: ['the and'] } },
    ];
    for (const body of bad) {
      const res = await call('POST', '/api/v1/theme-library', { token: t.tokens.admin, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toMatch(/VALIDATION_FAILED|BAD_REQUEST/);
    }
    const unknown = await call('POST', '/api/v1/theme-library', { token: t.tokens.admin, body: { name: 'Unknown language', terms: { xx: ['delay'] } } });
    expect(JSON.stringify(unknown.body.error)).toContain('unknown language');
    const dup = await call('POST', '/api/v1/theme-library', { token: t.tokens.admin, body: { name: 'waiting time', terms: { en: ['queue'] } } });
    expect(dup.status).toBe(409);
    expect((await call('PATCH', `/api/v1/theme-library/${before.items[0].id}`, { token: t.tokens.admin, body: {} })).status).toBe(400);
    expect((await call('PATCH', '/api/v1/theme-library/thm_nope', { token: t.tokens.admin, body: { name: 'X' } })).status).toBe(404);
    expect((await call('POST', '/api/v1/theme-library', { token: t.tokens.manager, body: { name: 'Mine', terms: { en: ['mine'] } } })).status).toBe(403);
    expect((await call('GET', '/api/v1/theme-library', { token: t.tokens.admin })).body).toEqual(before);
  });
});

describe('stored analyses follow their answers', () => {
  it('an excluded answer leaves the counts; included again, it is back', async () => {
    const i = CORPUS.findIndex((c) => c.comment === 'La facture était fausse');
    const billing = async () => (await call('GET', `/api/v1/themes?unitId=${t.units.emea}&${MARCH}`, { token: t.tokens.admin })).body.items.find((x: Item) => x.name === 'Billing')?.comments ?? 0;
    const before = await billing();
    expect((await call('POST', `/api/v1/responses/${ids[i]}/exclude`, { token: t.tokens.admin, body: { reason: 'test answer' } })).status).toBe(200);
    expect(await billing()).toBe(before - 1);
    expect((await call('POST', `/api/v1/responses/${ids[i]}/include`, { token: t.tokens.admin, body: { reason: 'real after all' } })).status).toBe(200);
    expect(await billing()).toBe(before);
  });

  it('the retention purge deletes the analyses of the comments it erases', async () => {
    expect((await call('PATCH', '/api/v1/settings', { token: t.tokens.admin, body: { retention: { commentDays: 30 } } })).status).toBe(200);
    // Every planted comment is from early 2026, more than 30 days before this run's now... as long as the clock is past May 2026.
    await runCron('0 3 * * *', Math.max(Date.now(), Date.parse('2026-06-01T03:00:00Z')));
    const left = await db()
      .select()
      .from(commentAnalyses)
      .where(and(eq(commentAnalyses.tenantId, t.tenantId), eq(commentAnalyses.kind, 'response')));
    expect(left).toEqual([]);
    expect((await call('GET', `/api/v1/themes?unitId=${t.units.emea}&${MARCH}`, { token: t.tokens.admin })).body.items).toEqual([]);
  });
});
