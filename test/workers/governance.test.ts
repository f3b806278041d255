import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { alertRules, alerts, auditLog, cases, contacts, events, invitations, responses, touchpoints } from '../../src/db/schema';
import { decide, samplePoint, type History } from '../../src/events/eligibility';
import { newId } from '../../src/lib/ids';
import type { TouchpointRules } from '../../src/touchpoints/rules';
import { makeContact, makeTouchpoint } from './program-fixture';
import { call, db, makeTenant, uniq, type Fixture } from './support';

/**
 * Representativeness (docs/governance.md): a planted quarter in which one segment answers at a
 * third of the others' rate. Every expected number is derived here by hand or by brute force
 * (written out in comments), never read from the code's answer.
 */

let t: Fixture;
let tp: { id: string; key: string; surveyId: string };
const Z95 = 1.959963984540054;
const AUG = Date.parse('2026-08-12T10:00:00Z');

/** Planted: per segment, 120 delivered invitations in Berlin and Paris (alternating), with `answered` of them answered. */
const PLANT = { smb: { invited: 120, answered: 60 }, mid: { invited: 120, answered: 20 }, ent: { invited: 120, answered: 60 } } as const;

async function plant() {
  const d = db(t.tenantId);
  const rows: unknown[] = [];
  let i = 0;
  for (const [segment, p] of Object.entries(PLANT)) {
    for (let k = 0; k < p.invited; k++, i++) {
      const contactId = newId('con');
      const invitationId = newId('inv');
      const unitId = (k % 2 ? t.units.berlin : t.units.paris)!;
      const answered = k < p.answered;
      // Support tier alternates within every segment and within answered and not: gold and silver answer alike.
      const supportTier = k % 4 < 2 ? 'gold' : 'silver';
      const at = AUG + i * 60_000;
      rows.push(
        d.insert(contacts).values({ id: contactId, tenantId: t.tenantId, externalId: `gov-${uniq()}${i}`, email: `c${i}@example.test`, segment, supportTier, createdAt: at, updatedAt: at }),
        d.insert(invitations).values({
          id: invitationId,
          tenantId: t.tenantId,
          contactId,
          unitId,
          touchpointId: tp.id,
          surveyId: tp.surveyId,
          surveyVersion: 1,
          channel: 'email',
          locale: 'en',
          status: answered ? 'answered' : 'expired',
          source: 'test',
          dueAt: at,
          sentAt: at,
          expiresAt: at + 30 * 86_400_000,
          createdAt: at,
          updatedAt: at,
        }),
      );
      if (answered)
        rows.push(
          d.insert(responses).values({
            id: newId('rsp'),
            tenantId: t.tenantId,
            invitationId,
            touchpointId: tp.id,
            unitId,
            contactId,
            surveyId: tp.surveyId,
            surveyVersion: 1,
            channel: 'email',
            locale: 'en',
            score: segment === 'mid' ? 5 : 9,
            counted: true,
            segment,
            createdAt: at + 3_600_000,
            updatedAt: at + 3_600_000,
          }),
        );
    }
  }
  // Not delivered, so not invited: a scheduled and a dead invitation of an smb contact; one in another quarter.
  const other = newId('con');
  rows.push(d.insert(contacts).values({ id: other, tenantId: t.tenantId, externalId: `gov-x-${uniq()}`, segment: 'smb' }));
  for (const [status, at] of [
    ['scheduled', AUG],
    ['dead', AUG],
    ['expired', Date.parse('2026-05-10T10:00:00Z')],
  ] as const)
    rows.push(
      d.insert(invitations).values({
        id: newId('inv'),
        tenantId: t.tenantId,
        contactId: other,
        unitId: t.units.berlin!,
        touchpointId: tp.id,
        surveyId: tp.surveyId,
        surveyVersion: 1,
        channel: 'email',
        status,
        source: 'test',
        dueAt: at,
        expiresAt: at + 1,
        createdAt: at,
        updatedAt: at,
      }),
    );
  for (let k = 0; k < rows.length; k += 200) await d.batch(rows.slice(k, k + 200) as never);
}

/** The Wilson interval by brute force: the p on either side of x/n where the score statistic reaches z (bisection). */
function wilsonByBisection(x: number, n: number, z = Z95) {
  const stat = (p: number) => Math.abs(x / n - p) / Math.sqrt((p * (1 - p)) / n);
  const solve = (lo: number, hi: number, rising: boolean) => {
    for (let i = 0; i < 200; i++) {
      const mid = (lo + hi) / 2;
      if (stat(mid) < z === rising) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  return { low: x === 0 ? 0 : solve(1e-12, x / n, false), high: x === n ? 1 : solve(x / n, 1 - 1e-12, true) };
}

beforeAll(async () => {
  t = await makeTenant('Governance');
  tp = await makeTouchpoint(t.tenantId, { rules: { dailyCap: 5000 } });
  await plant();
});

const get = (query: string, token = t.tokens.admin) => call('GET', `/api/v1/governance/representativeness?${query}`, { token });

describe('representativeness of a planted quarter', () => {
  it('names the segment that answers at a third of the rate under-represented, with its interval', async () => {
    const res = await get('period=2026-Q3');
    expect(res.status).toBe(200);
    const r = res.body;
    // 360 delivered invitations in Q3 (the scheduled, dead and May ones are not), 140 answered.
    expect(r).toMatchObject({ unitId: t.units.root, from: '2026-07-01', to: '2026-09-30', invited: 360, responded: 140 });
    const seg = (key: string) => r.groups.find((g: { dimension: string; key: string }) => g.dimension === 'segment' && g.key === key);
    const mid = seg('mid');
    expect(mid).toMatchObject({ invited: 120, responded: 20, underRepresented: true });
    expect(mid.rate).toBeCloseTo(1 / 6, 12);
    const w = wilsonByBisection(20, 120);
    expect(mid.ci.low).toBeCloseTo(w.low, 8);
    expect(mid.ci.high).toBeCloseTo(w.high, 8);
    // Against the rest: 120 of 240. Pooled 140/360 = 7/18; se = √(7/18·11/18·(1/120 + 1/240)).
    const se = Math.sqrt((7 / 18) * (11 / 18) * (1 / 120 + 1 / 240));
    expect(mid.test.z).toBeCloseTo((1 / 6 - 1 / 2) / se, 10);
    // Tested groups: three segments, gold and silver (tenure, contract size, region, channel and
    // locale have one group each: the rest is empty). mid's p is the smallest of five: Holm × 5.
    expect(r.groups.filter((g: { test: unknown }) => g.test !== null)).toHaveLength(5);
    expect(mid.test.pAdjusted).toBeCloseTo(Math.min(1, 5 * mid.test.p), 12);
    // smb and ent answer more than the rest; gold and silver alike (below).
    expect(r.underRepresented).toEqual([{ dimension: 'segment', key: 'mid' }]);
    expect(seg('smb').underRepresented).toBe(false);
    // Gold: k % 4 < 2 → half of every segment's invitations and of its answered ones (60, 20 and 60 are even: 30 + 10 + 30 = 70 of 180).
    const gold = r.groups.find((g: { dimension: string; key: string }) => g.dimension === 'supportTier' && g.key === 'gold');
    expect(gold).toMatchObject({ invited: 180, responded: 70, underRepresented: false });
    expect(gold.test.z).toBeCloseTo(0, 12);
    // Regions: Berlin and Paris lie under EMEA; alone in its dimension, it is not tested.
    expect(r.groups.filter((g: { dimension: string }) => g.dimension === 'region')).toEqual([
      expect.objectContaining({ key: t.units.emea, label: 'EMEA', invited: 360, responded: 140, test: null, untestedReason: 'below_min_n' }),
    ]);
  });

  it('gives the post-stratification weights of the scores API and the effective n they cost', async () => {
    const r = (await get('period=2026-Q3')).body;
    // No population shares in the settings: the invited mix, 1/3 each. n = 140;
    // w(smb) = w(ent) = (1/3·140)/60 = 7/9, w(mid) = (1/3·140)/20 = 7/3.
    // Σw = 140; Σw² = 120·(7/9)² + 20·(7/3)² = 72.59 + 108.89; n_eff = 140²/Σw².
    const sumW2 = 120 * (7 / 9) ** 2 + 20 * (7 / 3) ** 2;
    expect(r.poststratification.shares).toBe('invited');
    expect(r.poststratification.n).toBe(140);
    expect(r.poststratification.effectiveN).toBeCloseTo(140 ** 2 / sumW2, 9);
    expect(r.poststratification.designEffect).toBeCloseTo(sumW2 / 140, 9);
    const weight = (s: string) => r.poststratification.segments.find((x: { segment: string }) => x.segment === s).weight;
    expect(weight('mid')).toBeCloseTo(7 / 3, 12);
    expect(weight('smb')).toBeCloseTo(7 / 9, 12);
    // The scores API weighs the same answers the same way: its NPS with weight=poststrat is
    // (Σw over promoters − Σw over detractors)/Σw = (120·7/9 − 20·7/3)/140 = (93.33 − 46.67)/140.
    expect((await call('PATCH', '/api/v1/settings', { token: t.tokens.admin, body: { populationShares: { smb: 1 / 3, mid: 1 / 3, ent: 1 / 3 } } })).status).toBe(200);
    const scores = await call('GET', `/api/v1/scores?from=2026-07-01&to=2026-09-30&weight=poststrat`, { token: t.tokens.admin });
    expect(scores.status).toBe(200);
    expect(scores.body.items[0].nps).toBeCloseTo((100 * (120 * (7 / 9) - 20 * (7 / 3))) / 140, 9);
    expect(scores.body.items[0].effectiveN).toBeCloseTo(140 ** 2 / sumW2, 9);
    const withShares = (await get('period=2026-Q3')).body;
    expect(withShares.poststratification.shares).toBe('settings');
    expect(withShares.poststratification.effectiveN).toBeCloseTo(140 ** 2 / sumW2, 9);
    await call('PATCH', '/api/v1/settings', { token: t.tokens.admin, body: { populationShares: null } });
  });

  it('suggests sampling rates that restore the balance in a simulated next wave, and an admin applies them (audited)', async () => {
    const r = (await get(`period=2026-Q3&touchpointId=${tp.id}`)).body;
    // Rates today 1 (no sampling). Response rates 1/2, 1/6, 1/2: rates ∝ 1/response rate with the
    // slowest at the top rate in use (1): smb = ent = (1/6)/(1/2) = 1/3 → 0.3333 (four decimals, down), mid = 1.
    expect(r.suggestion.sampling).toEqual({ smb: 0.3333, mid: 1, ent: 0.3333 });
    // Expected invitations: (120·0.3333 + 120 + 120·0.3333)/360.
    expect(r.suggestion.invitationsRatio).toBeCloseTo((120 * 0.3333 * 2 + 120) / 360, 12);

    const apply = await call('POST', `/api/v1/touchpoints/${tp.id}/sampling`, { token: t.tokens.admin, body: { sampling: r.suggestion.sampling, reason: 'Q3 review: mid-market under-represented' } });
    expect(apply.status).toBe(200);
    expect(apply.body).toEqual({ touchpointId: tp.id, sampling: { smb: 0.3333, mid: 1, ent: 0.3333 }, previous: null });
    const [stored] = await db(t.tenantId).select().from(touchpoints).where(eq(touchpoints.id, tp.id));
    // The other rules are kept.
    expect(stored!.rules).toEqual({ dailyCap: 5000, sampling: { smb: 0.3333, mid: 1, ent: 0.3333 } });
    const audits = await db(t.tenantId)
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, t.tenantId), eq(auditLog.action, 'touchpoint.sampling')));
    expect(audits).toHaveLength(1);
    expect(audits[0]!.details).toMatchObject({ reason: 'Q3 review: mid-market under-represented', previous: null });

    // The next wave, simulated through the eligibility rules themselves: 600 eligible contacts
    // per segment, each decided with its real sample point; the invited answer at the planted
    // rates (1/2, 1/6, 1/2: the first invited of each segment, in order).
    const rules = stored!.rules as TouchpointRules;
    const history: History = { lastInvitedAt: new Map(), negativesAt: new Map(), invitedToday: new Map() };
    const rate = { smb: 1 / 2, mid: 1 / 6, ent: 1 / 2 } as const;
    const respondents: Record<string, number> = {};
    for (const segment of ['smb', 'mid', 'ent'] as const) {
      let invited = 0;
      for (let k = 0; k < 600; k++) {
        const contactId = `con_sim_${segment}_${k}`;
        const decision = decide(
          {
            recipient: { id: contactId, email: 'x@example.test', phone: null, segment, isEmployee: false, isTest: false, optedOutAt: null },
            program: { id: tp.id, active: true, channels: ['email'], rules: { ...rules, dailyCap: undefined }, publishedVersion: 1 },
            occasion: { at: Date.now(), samplePoint: await samplePoint(t.tenantId, contactId, `wave:sim:${k}`) },
          },
          history,
          { fatigueDays: 0 },
          Date.now(),
        );
        if (decision.decision === 'invite') invited++;
      }
      respondents[segment] = Math.round(invited * rate[segment]);
    }
    const total = respondents.smb! + respondents.mid! + respondents.ent!;
    // Balance: each segment's share of respondents has a Wilson interval (by bisection) that holds
    // its population share, 1/3; before the change mid's did not (20 of 140).
    for (const segment of ['smb', 'mid', 'ent']) {
      const ci = wilsonByBisection(respondents[segment]!, total);
      expect(ci.low, segment).toBeLessThan(1 / 3);
      expect(ci.high, segment).toBeGreaterThan(1 / 3);
    }
    expect(wilsonByBisection(20, 140).high).toBeLessThan(1 / 3);
  });
});

describe('bad input and reach', () => {
  it('a period that does not parse, a confidence out of range: 400 with the envelope', async () => {
    for (const q of ['period=2026-Q5', 'period=2026-13', 'period=last-quarter', '', 'period=2026-Q3&confidence=1', 'period=2026-Q3&bogus=1']) {
      const res = await get(q);
      expect(res.status, q).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
  });
  it("a unit outside the caller's reach: 404; a touchpoint that is not the tenant's: 404", async () => {
    const res = await get(`period=2026-Q3&unitId=${t.units.americas}`, t.tokens.manager);
    expect(res.status).toBe(404);
    expect((await get(`period=2026-Q3&touchpointId=tp_nope`)).status).toBe(404);
  });
  it('the EMEA manager reviews EMEA; roles that do not read invitations get 403', async () => {
    const res = await get(`period=2026-Q3&unitId=${t.units.emea}`, t.tokens.manager);
    expect(res.status).toBe(200);
    expect(res.body.invited).toBe(360);
    expect((await get(`period=2026-Q3&unitId=${t.units.root}`, t.tokens.viewer)).status).toBe(403);
  });
  it('applying sampling: bad bodies 400, non-admins 403, nothing changes', async () => {
    const before = (await db(t.tenantId).select().from(touchpoints).where(eq(touchpoints.id, tp.id)))[0]!.rules;
    for (const body of [{ sampling: { smb: 2 }, reason: 'too high' }, { sampling: {}, reason: 'empty' }, { sampling: { smb: 0.5 } }, { sampling: { smb: 0.5 }, reason: 'ok', extra: 1 }]) {
      const res = await call('POST', `/api/v1/touchpoints/${tp.id}/sampling`, { token: t.tokens.admin, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await call('POST', `/api/v1/touchpoints/${tp.id}/sampling`, { token: t.tokens.manager, body: { sampling: { smb: 0.5 }, reason: 'not mine' } })).status).toBe(403);
    expect((await call('POST', '/api/v1/touchpoints/tp_nope/sampling', { token: t.tokens.admin, body: { sampling: { smb: 0.5 }, reason: 'nowhere' } })).status).toBe(404);
    expect((await db(t.tenantId).select().from(touchpoints).where(eq(touchpoints.id, tp.id)))[0]!.rules).toEqual(before);
  });
});

describe('data quality and fatigue per period', () => {
  let q: Fixture;
  let qtp: { id: string; key: string; surveyId: string };
  const JUL = Date.parse('2026-07-15T10:00:00Z');
  const MAY = Date.parse('2026-05-15T10:00:00Z');
  /** Planted per quarter (Q2, Q3), each count written out: the expectations below are these numbers. */
  beforeAll(async () => {
    q = await makeTenant('Quality');
    qtp = await makeTouchpoint(q.tenantId);
    const d = db(q.tenantId);
    const berlin = q.units.berlin!;
    const rows: unknown[] = [];
    const contact = (id = newId('con')) => {
      rows.push(d.insert(contacts).values({ id, tenantId: q.tenantId, externalId: `q-${uniq()}${uniq()}`, email: 'q@example.test' }));
      return id;
    };
    const invitation = (at: number, status: (typeof invitations.$inferInsert)['status'], contactId: string | null = null) => {
      const id = newId('inv');
      rows.push(
        d.insert(invitations).values({
          id,
          tenantId: q.tenantId,
          contactId,
          unitId: berlin,
          touchpointId: qtp.id,
          surveyId: qtp.surveyId,
          surveyVersion: 1,
          channel: 'email',
          status,
          source: 'test',
          dueAt: at,
          expiresAt: at + 1,
          createdAt: at,
          updatedAt: at,
        }),
      );
      return id;
    };
    const answer = (at: number, flags: string[], counted: boolean) => {
      const id = newId('rsp');
      rows.push(
        d.insert(responses).values({
          id,
          tenantId: q.tenantId,
          touchpointId: qtp.id,
          unitId: berlin,
          surveyId: qtp.surveyId,
          surveyVersion: 1,
          channel: 'link',
          locale: 'en',
          score: 3,
          qualityFlags: flags,
          counted,
          createdAt: at,
          updatedAt: at,
        }),
      );
      return id;
    };
    const decision = (at: number, reason: string) =>
      rows.push(
        d.insert(events).values({
          id: newId('evt'),
          tenantId: q.tenantId,
          eventId: `e-${uniq()}${uniq()}`,
          type: reason === 'no_touchpoint' ? 'interaction.negative' : 'ticket.closed',
          occurredAt: at,
          unitId: berlin,
          touchpointId: reason === 'no_touchpoint' ? null : qtp.id,
          decision: reason === 'eligible' ? 'invite' : 'skip',
          reason,
          createdAt: at,
        }),
      );
    // Answers. Q3: 40 = 4 too_fast (left out) + 2 duplicate (an admin included them) + 3 unflagged excluded by an admin + 31 plain. Q2: 40 = 1 too_fast + 39 plain.
    const q3Answers: string[] = [];
    for (let k = 0; k < 40; k++) q3Answers.push(answer(JUL + k * 1000, k < 4 ? ['too_fast'] : k < 6 ? ['duplicate'] : [], !(k < 4 || (k >= 6 && k < 9))));
    for (let k = 0; k < 40; k++) answer(MAY + k * 1000, k < 1 ? ['too_fast'] : [], k >= 1);
    // Decisions. Q3: 100 = 20 fatigue + 5 daily_cap + 10 unresolved + 65 eligible, and 3 negative interactions (no touchpoint: not decisions). Q2: 100 = 5 fatigue + 95 eligible.
    for (let k = 0; k < 100; k++) decision(JUL + k, k < 20 ? 'fatigue' : k < 25 ? 'daily_cap' : k < 35 ? 'unresolved' : 'eligible');
    for (let k = 0; k < 3; k++) decision(JUL + k, 'no_touchpoint');
    for (let k = 0; k < 100; k++) decision(MAY + k, k < 5 ? 'fatigue' : 'eligible');
    // Invitations. Q3: 50 not cancelled = 3 failed + 2 dead + 45 expired, one cancelled. Of them, contact a has two 10 days apart
    // (the second within the 90-day window), contact b one on 10 July after one on 20 June (Q2): two over-surveyed in Q3.
    // Q2: 10 expired (one of them b's), none within a window.
    const a = contact();
    const b = contact();
    for (let k = 0; k < 50; k++) invitation(JUL + k * 60_000, k < 3 ? 'failed' : k < 5 ? 'dead' : 'expired', k === 10 ? a : null);
    invitation(JUL + 10 * 86_400_000, 'expired', a);
    invitation(JUL + 20_000, 'cancelled', a);
    invitation(Date.parse('2026-07-10T10:00:00Z'), 'expired', b);
    // …so Q3 holds 52 invitations not cancelled (50 + a's second + b's).
    for (let k = 0; k < 9; k++) invitation(MAY + k * 60_000, 'expired');
    invitation(Date.parse('2026-06-20T10:00:00Z'), 'expired', b);
    // Cases (Q3): 10 = 2 contacted after due + 1 not contacted and past due + 1 closed without contact (no due) + 6 contacted in time.
    const past = Date.parse('2026-07-16T10:00:00Z');
    for (let k = 0; k < 10; k++) {
      const late = k < 2;
      const open = k === 2;
      const dropped = k === 3;
      rows.push(
        d.insert(cases).values({
          id: newId('case'),
          tenantId: q.tenantId,
          responseId: q3Answers[10 + k]!,
          unitId: berlin,
          touchpointId: qtp.id,
          status: dropped ? 'closed' : open ? 'open' : 'contacted',
          score: 3,
          firstContactDueAt: dropped ? null : past,
          firstContactAt: dropped || open ? null : late ? past + 3_600_000 : past - 3_600_000,
          createdAt: JUL + k,
          updatedAt: JUL + k,
        }),
      );
    }
    for (let k = 0; k < rows.length; k += 200) await d.batch(rows.slice(k, k + 200) as never);
  });

  const quality = (query: string, token = q.tokens.admin) => call('GET', `/api/v1/governance/quality?${query}`, { token });
  const metric = (body: { metrics: { key: string }[] }, key: string) =>
    body.metrics.find((m) => m.key === key) as unknown as {
      series: { period: string; count: number; base: number; rate: number | null }[];
      trend: { points: number; z: number; p: number; direction: string } | null;
    };

  it('counts every rule per period, on its own base', async () => {
    const res = await quality('period=2026-Q3&periods=2');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const r = res.body;
    expect(r.periods).toEqual(['2026-Q2', '2026-Q3']);
    expect(r.fatigueDays).toBe(90);
    const last = (key: string) => metric(r, key).series[1];
    const first = (key: string) => metric(r, key).series[0];
    expect(last('flagged.too_fast')).toEqual({ period: '2026-Q3', count: 4, base: 40, rate: 4 / 40 });
    expect(last('flagged.duplicate')).toMatchObject({ count: 2, base: 40 });
    expect(last('excludedByRule')).toMatchObject({ count: 4 });
    expect(last('includedByAdmin')).toMatchObject({ count: 2 });
    expect(last('excludedByAdmin')).toMatchObject({ count: 3 });
    expect(first('flagged.too_fast')).toEqual({ period: '2026-Q2', count: 1, base: 40, rate: 1 / 40 });
    expect(last('skipped.fatigue')).toMatchObject({ count: 20, base: 100 });
    expect(last('skipped.daily_cap')).toMatchObject({ count: 5, base: 100 });
    expect(last('skipped.unresolved')).toMatchObject({ count: 10, base: 100 });
    expect(last('skipped.recent_negative')).toMatchObject({ count: 0, base: 100 });
    expect(last('bounced')).toMatchObject({ count: 3, base: 52 });
    expect(last('dead')).toMatchObject({ count: 2, base: 52 });
    expect(last('overSurveyed')).toMatchObject({ count: 2, base: 52 });
    expect(first('overSurveyed')).toMatchObject({ count: 0, base: 10 });
    expect(last('firstContactLate')).toMatchObject({ count: 3, base: 10 });
    expect(last('dropped')).toMatchObject({ count: 1, base: 10 });
  });

  it('gives each rate its trend: the last period against the one before', async () => {
    const r = (await quality('period=2026-Q3&periods=2')).body;
    // Fatigue skips 20/100 against 5/100: pooled 25/200 = 1/8; se = √(1/8·7/8·(1/100 + 1/100)); z = 0.15/se ≈ 3.21 → up.
    const fatigue = metric(r, 'skipped.fatigue').trend!;
    expect(fatigue.points).toBeCloseTo(15, 10);
    expect(fatigue.z).toBeCloseTo(0.15 / Math.sqrt((1 / 8) * (7 / 8) * (2 / 100)), 10);
    expect(fatigue.direction).toBe('up');
    // too_fast 4/40 against 1/40: pooled 5/80; z = 0.075/√(5/80·75/80·2/40) ≈ 1.39: not significant → flat.
    const tooFast = metric(r, 'flagged.too_fast').trend!;
    expect(tooFast.z).toBeCloseTo(0.075 / Math.sqrt((5 / 80) * (75 / 80) * (2 / 40)), 10);
    expect(tooFast.direction).toBe('flat');
    // Cases: none in Q2, so no trend.
    expect(metric(r, 'dropped').trend).toBeNull();
  });

  it('bad input 400, out of reach 404, roles without invitations 403', async () => {
    for (const query of ['period=2026-Q0', 'period=2026-Q3&periods=1', 'period=2026-Q3&periods=13', 'periods=4']) expect((await quality(query)).status, query).toBe(400);
    expect((await quality(`period=2026-Q3&unitId=${q.units.americas}`, q.tokens.manager)).status).toBe(404);
    expect((await quality(`period=2026-Q3&unitId=${q.units.emea}`, q.tokens.manager)).status).toBe(200);
    expect((await quality('period=2026-Q3', q.tokens.viewer)).status).toBe(403);
  });

  it('series of months cross the year', async () => {
    const r = (await quality('period=2027-02&periods=4')).body;
    expect(r.periods).toEqual(['2026-11', '2026-12', '2027-01', '2027-02']);
  });
});

describe('the exceptions log', () => {
  let x: Fixture;
  let alertId: string;
  let responseId: string;
  let planId: string;
  let targetId: string;
  beforeAll(async () => {
    x = await makeTenant('Exceptions');
    const xtp = await makeTouchpoint(x.tenantId);
    const d = db(x.tenantId);
    const ruleId = newId('arl');
    alertId = newId('alr');
    responseId = newId('rsp');
    const now = Date.now();
    await d.batch([
      d
        .insert(alertRules)
        .values({ id: ruleId, tenantId: x.tenantId, unitId: x.units.berlin!, windowDays: 7, baselineDays: 28, minDropPoints: 10, alpha: 0.05, minN: 30, createdAt: now, updatedAt: now }),
      d.insert(alerts).values({
        id: alertId,
        tenantId: x.tenantId,
        ruleId,
        unitId: x.units.berlin!,
        status: 'open',
        evidence: { dropPoints: 12.5, p: 0.01 },
        createdAt: now - 3_600_000,
        updatedAt: now - 3_600_000,
      }),
      d.insert(responses).values({
        id: responseId,
        tenantId: x.tenantId,
        touchpointId: xtp.id,
        unitId: x.units.berlin!,
        surveyId: xtp.surveyId,
        surveyVersion: 1,
        channel: 'link',
        locale: 'en',
        score: 2,
        counted: true,
        createdAt: now,
        updatedAt: now,
      }),
    ] as never);
    // Through the API, as they happen: the EMEA manager records the root cause and opens a plan; the admin excludes an answer,
    // reconciles an export with a row we do not have, reconciles a clean (empty) one, and changes sampling rates.
    expect((await call('PATCH', `/api/v1/alerts/${alertId}`, { token: x.tokens.manager, body: { rootCause: 'Technician shortage', correctiveAction: 'Two hires' } })).status).toBe(200);
    const plan = await call('POST', '/api/v1/action-plans', { token: x.tokens.manager, body: { unitId: x.units.berlin, title: 'Staff the Berlin desk', alertId } });
    expect(plan.status, JSON.stringify(plan.body)).toBe(201);
    planId = plan.body.id;
    expect((await call('POST', `/api/v1/responses/${responseId}/exclude`, { token: x.tokens.admin, body: { reason: 'Answered by the technician' } })).status).toBe(200);
    const csv = (body: string) => call('POST', '/api/v1/reconciliations', { token: x.tokens.admin, rawBody: body, headers: { 'content-type': 'text/csv' } });
    expect((await csv('external_id,score,date\nnobody-here,9,2026-11-02\n')).status).toBe(200);
    expect((await csv('external_id,score,date\n')).status).toBe(200);
    expect((await call('POST', `/api/v1/touchpoints/${xtp.id}/sampling`, { token: x.tokens.admin, body: { sampling: { smb: 0.5 }, reason: 'Q4 review' } })).status).toBe(200);
    const contact = await makeContact(x.tokens.admin);
    expect((await call('POST', `/api/v1/contacts/${contact.externalId}/reweight`, { token: x.tokens.admin, body: { lifetimeValue: 2, reason: 'CRM value corrected' } })).status).toBe(200);

    // A rebaseline, planted through the API: Berlin changes its dispatch on 1 September 2026. The four weeks before
    // (4–31 August) have 10, 10, 9, 3, 2: NPS 100·(3 − 2)/5 = 20; after a two-week grace, the four weeks from 15 September
    // have 10, 9, 9, 9, 1: NPS 100·(4 − 1)/5 = 60. The open 2026 target moves by 60 − 20 = 40 points.
    const answer = (score: number, day: string) => ({
      id: newId('rsp'),
      tenantId: x.tenantId,
      touchpointId: xtp.id,
      unitId: x.units.berlin!,
      surveyId: xtp.surveyId,
      surveyVersion: 1,
      channel: 'link' as const,
      locale: 'en',
      score,
      counted: true,
      createdAt: Date.parse(`${day}T12:00:00Z`),
      updatedAt: Date.parse(`${day}T12:00:00Z`),
    });
    await d
      .insert(responses)
      .values([
        ...[10, 10, 9, 3, 2].map((sc, k) => answer(sc, `2026-08-${String(10 + k).padStart(2, '0')}`)),
        ...[10, 9, 9, 9, 1].map((sc, k) => answer(sc, `2026-09-${String(20 + k).padStart(2, '0')}`)),
      ]);
    const target = await call('PUT', `/api/v1/units/${x.units.berlin}/targets`, { token: x.tokens.admin, body: { period: '2026', threshold: 0, target: 20, stretch: 40, basis: 'nps' } });
    expect(target.status, JSON.stringify(target.body)).toBeLessThan(300);
    const note = await call('POST', '/api/v1/annotations', { token: x.tokens.admin, body: { unitId: x.units.berlin, date: '2026-09-01', kind: 'process_change', title: 'New dispatch process' } });
    expect(note.status, JSON.stringify(note.body)).toBe(201);
    const rebased = await call('POST', `/api/v1/units/${x.units.berlin}/targets/rebaseline`, {
      token: x.tokens.admin,
      body: { annotationId: note.body.id, reason: 'Dispatch moved to the central desk', graceWeeks: 2, weeks: 4 },
    });
    expect(rebased.status, JSON.stringify(rebased.body)).toBe(200);
    targetId = target.body.id;
  });

  const log = (query: string, token = x.tokens.admin) => call('GET', `/api/v1/governance/exceptions?${query}`, { token });

  it('lists drops, mismatches, recalculations and survey changes at the root, with causes, plans and who recorded what', async () => {
    const res = await log('');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const kinds = res.body.items.map((i: { kind: string }) => i.kind).sort();
    // One drop, one reconciliation with a row missing here (the empty one is no exception), an exclusion and a reweighting, one sampling change, one rebaseline.
    expect(kinds).toEqual(['drop', 'rebaseline', 'recalculation', 'recalculation', 'reconciliation', 'survey_change']);
    const rebaseline = res.body.items.find((i: { kind: string }) => i.kind === 'rebaseline');
    expect(rebaseline).toMatchObject({
      unitId: x.units.berlin,
      summary: 'Target rebaselined (shift 40 points)',
      rootCause: 'Dispatch moved to the central desk',
      trail: [expect.objectContaining({ action: 'target.rebaseline', actorType: 'user', actorId: x.userIds.admin })],
    });
    expect((await db(x.tenantId).select().from(auditLog).where(eq(auditLog.id, rebaseline.id)))[0]).toMatchObject({ targetId });
    const drop = res.body.items.find((i: { kind: string }) => i.kind === 'drop');
    expect(drop).toMatchObject({
      id: alertId,
      unitId: x.units.berlin,
      status: 'open',
      rootCause: 'Technician shortage',
      correctiveAction: 'Two hires',
      plans: [{ id: planId, title: 'Staff the Berlin desk', status: 'planned' }],
      summary: 'Significant drop of 12.5 points',
    });
    expect(drop.trail).toEqual([expect.objectContaining({ action: 'alert.annotate', actorType: 'user', actorId: x.userIds.manager, actorName: 'manager' })]);
    const reweighted = res.body.items.find((i: { kind: string; unitId: string | null }) => i.kind === 'recalculation' && i.unitId === null);
    expect(reweighted).toMatchObject({ rootCause: 'CRM value corrected', summary: "A contact's answers reweighted (0 answers)" });
    const excluded = res.body.items.find((i: { kind: string; unitId: string | null }) => i.kind === 'recalculation' && i.unitId !== null);
    expect(excluded).toMatchObject({ unitId: x.units.berlin, rootCause: 'Answered by the technician', trail: [expect.objectContaining({ action: 'response.exclude', actorId: x.userIds.admin })] });
    const rec = res.body.items.find((i: { kind: string }) => i.kind === 'reconciliation');
    expect(rec).toMatchObject({ unitId: null, summary: 'Reconciliation: 0 scores differ, 1 missing here, 0 missing there, of 1 rows' });
    expect(res.body.items.find((i: { kind: string }) => i.kind === 'survey_change')).toMatchObject({ unitId: null, rootCause: 'Q4 review' });
  });

  it('filters by kind and by who recorded; a manager sees the subtree without tenant-wide changes; another subtree sees nothing', async () => {
    expect((await log('kind=drop')).body.items.map((i: { id: string }) => i.id)).toEqual([alertId]);
    expect((await log(`recordedBy=${x.userIds.manager}`)).body.items.map((i: { id: string }) => i.id)).toEqual([alertId]);
    const emea = await log(`unitId=${x.units.emea}`, x.tokens.manager);
    expect(emea.status).toBe(200);
    expect(emea.body.items.map((i: { kind: string }) => i.kind).sort()).toEqual(['drop', 'rebaseline', 'recalculation']);
    expect((await log('kind=rebaseline')).body.items.map((i: { unitId: string }) => i.unitId)).toEqual([x.units.berlin]);
    const ny = await log('', x.tokens.siteManager);
    expect(ny.status).toBe(200);
    expect(ny.body.items).toEqual([]);
    // A range before everything: empty.
    expect((await log('from=2020-01-01&to=2020-12-31')).body.items).toEqual([]);
  });

  it('bad input 400, out of reach 404, roles without alerts 403', async () => {
    for (const query of ['kind=rumour', 'from=2026-02-30', 'from=2026-03-02&to=2026-03-01', 'limit=0', 'bogus=1']) expect((await log(query)).status, query).toBe(400);
    expect((await log(`unitId=${x.units.americas}`, x.tokens.manager)).status).toBe(404);
    expect((await log('', x.tokens.viewer)).status).toBe(403);
  });
});
