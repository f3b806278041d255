import './scan-env';
import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../src/env';
import { handleChurnTrain } from '../../src/accounts/job';
import { claimDueNotifications } from '../../src/cases/due-cases';
import { tenantsToBackfill } from '../../src/comments/due-backfill';
import { enqueueDueDeliveries } from '../../src/delivery/scan';
import { leaseDueDeliveries } from '../../src/webhooks/due-deliveries';
import { SCHEDULES } from '../../src/jobs/cron';
import worker from '../../src/worker';
import { anonymousLink, anonymousState, invitationState, makeContact, makeInvitation, makeSurvey, send, sent, type SurveySetup } from './capture-fixture';
import { makeKey } from './program-fixture';
import { sql } from 'drizzle-orm';
import { call, db, makeTenant, type Fixture } from './support';

/**
 * Turso bills the rows a statement scans. Every statement the request and cron paths run here
 * goes to a libSQL server of its own that explains each one (scripts/libsql-server/scans.ts);
 * none may scan a whole table: due rows, answers and rollups are read through an index.
 */

interface TableScan {
  sql: string;
  tables: string[];
  plan: string[];
}

const scans = async () => ((await (await fetch(`${env.LIBSQL_URL}/scans`)).json()) as { scans: TableScan[] }).scans;

/** Queue producers that keep what the Worker sends, for this file to consume itself. */
const queued: { queue: string; body: { type: string } }[] = [];
const producer = (queue: string) => ({
  send: async (body: { type: string }) => void queued.push({ queue, body }),
  sendBatch: async (batch: Iterable<{ body: { type: string } }>) => {
    for (const m of batch) queued.push({ queue, body: m.body });
  },
});
const jobEnv = { ...(env as unknown as Env), DELIVERY_QUEUE: producer('nps-delivery'), WORKFLOW_QUEUE: producer('nps-workflow') } as unknown as Env;

async function consumeQueued() {
  const messages = queued.splice(0).concat(sent.splice(0).map((m) => ({ queue: 'nps-workflow', body: m.body })));
  for (const [i, m] of messages.entries()) {
    const batch = createMessageBatch(m.queue, [{ id: `scan-${i}-${Date.now()}`, timestamp: new Date(), attempts: 1, body: m.body }]);
    const ctx = createExecutionContext();
    await worker.queue(batch as never, jobEnv as never);
    await getQueueResult(batch, ctx);
  }
}

const tick = (cron: string, at = Date.now()) => worker.scheduled(createScheduledController({ cron, scheduledTime: new Date(at) }), jobEnv as never);

let t: Fixture;
let s: SurveySetup;
beforeAll(async () => {
  t = await makeTenant('Scans');
  s = await makeSurvey(t.tenantId);
});

describe('no statement on a request or cron path scans a whole table', () => {
  it('events, delivery, the survey page, capture, follow-up, the scores API and every cron tick read through indexes', async () => {
    // Events become invitations; the minute's scan hands them to the delivery queue.
    const key = await makeKey(t.tokens.admin, { scopes: ['read', 'write'] });
    const contact = await makeContact(t.tenantId, { locale: 'en' });
    await call('PUT', `/api/v1/contacts/${contact.externalId}`, { token: key, body: { email: `${contact.externalId}@example.test` } });
    const events = await call('POST', '/api/v1/events', {
      token: key,
      body: {
        events: [
          {
            id: `ev-${Date.now()}`,
            type: 'ticket.resolved',
            occurredAt: new Date(Date.now() - 60_000).toISOString(),
            contactId: contact.externalId,
            unitId: t.units.berlin,
            touchpoint: s.touchpointKey,
          },
        ],
      },
    });
    expect(events.status, JSON.stringify(events.body)).toBe(200);

    // The survey page and capture, by invitation and by anonymous link; a detractor's follow-up.
    const inv = await makeInvitation(s, t.units.berlin, { contactId: contact.id });
    expect((await send('GET', inv.path)).status).toBe(200);
    const captured = await send('POST', inv.path, { json: { score: 2, state: await invitationState(inv) } });
    expect(captured.status, captured.text).toBe(200);
    await send('POST', inv.path, { json: { score: 2, comment: 'slow and rude', state: await invitationState(inv) } });
    const link = await anonymousLink(s, t.units.paris);
    expect((await send('GET', link.path)).status).toBe(200);
    expect((await send('POST', link.path, { json: { score: 9, state: await anonymousState(s, t.units.paris) } })).status).toBe(200);

    // A target of a closed period: the daily tick freezes it, the attainment then lists corrections.
    const target = await call('PUT', `/api/v1/units/${t.units.berlin}/targets`, { token: t.tokens.admin, body: { period: '2025-03', threshold: 0, target: 20, stretch: 40 } });
    expect(target.status).toBe(200);

    // Every cron expression of wrangler.toml, and what they and capture put on the queues.
    for (const cron of Object.values(SCHEDULES)) await tick(cron);
    await consumeQueued();
    for (const cron of Object.values(SCHEDULES)) await tick(cron);
    await consumeQueued();
    // The hourly tick inside a quarter's review mailing window (20 October: 2026-Q3 closed everywhere): each manager's pack is read, saved and mailed.
    await tick(SCHEDULES.hourly, Date.parse('2026-10-20T09:00:00Z'));
    await consumeQueued();

    // Measures: a definition of each kind and a unit measure's daily values.
    for (const [key, source] of [
      ['scanHours', 'event'],
      ['scanSla', 'unit'],
    ] as const) {
      expect((await call('POST', '/api/v1/measures', { token: t.tokens.admin, body: { key, name: key, unit: 'h', direction: 'lower_is_better', source } })).status).toBe(201);
    }
    const values = await call('PUT', '/api/v1/measures/scanSla/values', { token: t.tokens.admin, body: { values: [{ unitId: t.units.berlin, date: '2025-01-01', value: 1 }] } });
    expect(values.body.accepted).toBe(1);

    // Answers collected elsewhere, with an event's facts; then the same again (a replay).
    const imported = {
      responses: [
        {
          externalId: `scan-${Date.now()}`,
          answeredAt: new Date(Date.now() - 86_400_000).toISOString(),
          unitId: t.units.berlin,
          touchpoint: s.touchpointKey,
          channel: 'ivr',
          contactId: contact.externalId,
          score: 4,
          event: { attributes: { scanHours: 3 } },
        },
      ],
    };
    for (let i = 0; i < 2; i++) expect((await call('POST', '/api/v1/responses/import', { token: t.tokens.admin, body: imported })).body.rejected).toBe(0);

    // A B2B account: the contact above is its decision maker; an outcome and a signal value.
    expect(
      (await call('PUT', '/api/v1/accounts/scan-acct', { token: t.tokens.admin, body: { name: 'Scan', unitId: t.units.berlin, ownerUserId: t.userIds.manager, annualRevenue: 1000 } })).status,
    ).toBe(201);
    expect((await call('PUT', `/api/v1/contacts/${contact.externalId}`, { token: t.tokens.admin, body: { accountId: 'scan-acct', stakeholderRole: 'decision_maker' } })).status).toBe(200);
    expect((await call('POST', '/api/v1/accounts/scan-acct/outcomes', { token: t.tokens.admin, body: { type: 'renewed', occurredAt: '2025-06-01T00:00:00Z' } })).status).toBe(201);
    expect(
      (await call('POST', '/api/v1/measures', { token: t.tokens.admin, body: { key: 'scanLogins', name: 'Logins', unit: 'count', direction: 'higher_is_better', source: 'account' } })).status,
    ).toBe(201);
    const signals = await call('PUT', '/api/v1/accounts/signals', { token: t.tokens.admin, body: { values: [{ accountId: 'scan-acct', signal: 'scanLogins', date: '2025-01-01', value: 4 }] } });
    expect(signals.body).toEqual({ accepted: 1, rejected: [] });
    // The churn job over the tenant's accounts (a queue job: it reads through indexes too).
    await handleChurnTrain({ type: 'churn.train', tenantId: t.tenantId, idempotencyKey: `churn.train:${t.tenantId}:scan` }, env as never);

    // Reading: scores (grouped, by period, compared, weighted), responses, cases, invitations; drivers, KPI correlation, the quadrant.
    expect(
      (
        await call('PUT', `/api/v1/composites/${t.units.emea}`, {
          token: t.tokens.admin,
          body: {
            nps: 1,
            measures: [
              { key: 'scanSla', weight: 1, worst: 0, target: 2 },
              { key: 'scanHours', weight: 1, worst: 9, target: 1 },
            ],
          },
        })
      ).status,
    ).toBe(200);
    const annotation = (await call('POST', '/api/v1/annotations', { token: t.tokens.admin, body: { unitId: t.units.berlin, date: '2026-03-02', kind: 'release', title: 'Scan release' } })).body;
    const today = new Date();
    const quarterNow = `${today.getUTCFullYear()}-Q${Math.floor(today.getUTCMonth() / 3) + 1}`;
    const reads = [
      `/api/v1/composites/${t.units.berlin}`,
      `/api/v1/drivers?unitId=${t.units.root}`,
      `/api/v1/drivers?unitId=${t.units.emea}&touchpointId=${s.touchpointId}`,
      `/api/v1/measures/scanSla/correlation?unitId=${t.units.root}&period=month`,
      `/api/v1/measures/scanHours/correlation?unitId=${t.units.root}&period=week`,
      `/api/v1/measures/scanSla/series?unitId=${t.units.emea}&period=month`,
      `/api/v1/measures/scanSla/quadrant?unitId=${t.units.root}`,
      `/api/v1/measures/scanHours/quadrant?unitId=${t.units.root}`,
      `/api/v1/scores?unitId=${t.units.root}`,
      `/api/v1/scores?unitId=${t.units.emea}&groupBy=unit&period=day`,
      `/api/v1/scores?unitId=${t.units.root}&groupBy=touchpoint&compare=previous`,
      `/api/v1/scores?unitId=${t.units.root}&weight=ltv&distribution=true`,
      `/api/v1/scores?unitId=${t.units.berlin}&period=month&estimate=shrunk`,
      `/api/v1/scores?unitId=${t.units.emea}&groupBy=unit&estimate=shrunk`,
      `/api/v1/annotations?unitId=${t.units.berlin}&from=2026-01-01&to=2026-12-31`,
      `/api/v1/units/${t.units.berlin}/targets`,
      `/api/v1/clusters?unitId=${t.units.root}`,
      `/api/v1/targets/attainment?period=2025-03`,
      `/api/v1/targets/attainment?unitId=${t.units.emea}&period=2025&periods=3`,
      `/api/v1/scores?around=${annotation.id}&groupBy=unit&unitId=${t.units.emea}`,
      // Vendors and agents (docs/dimensions.md): grouped by them, filtered in total, and filtered with another cut.
      `/api/v1/scores?unitId=${t.units.root}&groupBy=vendor&from=2026-01-01&to=2026-06-30`,
      `/api/v1/scores?unitId=${t.units.emea}&groupBy=agent&period=month`,
      `/api/v1/scores?vendorId=${t.units.fastfix}&from=2026-01-01&to=2026-06-30`,
      `/api/v1/scores?unitId=${t.units.root}&agentId=ext:1&groupBy=unit&period=week`,
      // The vendor scorecard across sites and the agent views (docs/dimensions.md).
      `/api/v1/vendors/${t.units.fastfix}/scorecard?from=2026-01-01&to=2026-06-30`,
      `/api/v1/agents/${t.userIds.agent}`,
      `/api/v1/agents?unitId=${t.units.emea}`,
      '/api/v1/agent-mappings',
      `/api/v1/responses?unitId=${t.units.emea}`,
      `/api/v1/responses?vendorId=${t.units.fastfix}`,
      `/api/v1/responses?q=${encodeURIComponent('late visit')}&excluded=false`,
      `/api/v1/exports/responses.csv?q=late&category=detractor`,
      `/api/v1/cases`,
      `/api/v1/cases?sort=due&unitId=${t.units.emea}&scoreMax=6&minAgeDays=1`,
      `/api/v1/cases?sort=score&status=open&offset=10&maxAgeDays=30`,
      `/api/v1/invitations/${inv.id}`,
      // Program health: the invitation funnel of the whole tenant and of a region.
      `/api/v1/program/funnel?unitId=${t.units.root}&from=2020-01-01&to=2020-12-31`,
      `/api/v1/program/funnel?unitId=${t.units.emea}&from=${new Date().toISOString().slice(0, 10)}&to=${new Date().toISOString().slice(0, 10)}`,
      // Themes from stored analyses (the comment above was analysed by its workflow message), for a region and by category.
      `/api/v1/themes?unitId=${t.units.root}`,
      `/api/v1/themes?unitId=${t.units.emea}&category=detractor`,
      `/api/v1/theme-library`,
      // Governance: the quarter of the invitations above, by every dimension, and for one touchpoint (its sampling suggestion).
      `/api/v1/governance/representativeness?unitId=${t.units.root}&period=${quarterNow}`,
      `/api/v1/governance/representativeness?unitId=${t.units.emea}&period=${quarterNow}&touchpointId=${s.touchpointId}`,
      `/api/v1/governance/quality?unitId=${t.units.root}&period=${quarterNow}`,
      `/api/v1/governance/exceptions?unitId=${t.units.root}`,
      `/api/v1/governance/exceptions?unitId=${t.units.emea}&from=2026-01-01&to=2026-12-31&kind=recalculation`,
      `/api/v1/governance/quality?unitId=${t.units.emea}&period=${quarterNow.slice(0, 4)}-${String(new Date().getUTCMonth() + 1).padStart(2, '0')}&periods=3`,
      // The review pack: an open quarter (computed), a closed one (computed and saved at the first read, then read back with its corrections).
      `/api/v1/reviews/${quarterNow}?unitId=${t.units.emea}`,
      '/api/v1/reviews/2025-Q1',
      '/api/v1/reviews/2025-Q1',
      '/api/v1/accounts/scan-acct',
      '/api/v1/accounts/scan-acct/history?months=24',
      '/api/v1/accounts/at-risk',
      `/api/v1/accounts/at-risk?unitId=${t.units.emea}&limit=10`,
      '/api/v1/models/churn',
      '/api/v1/analytics/nps-impact?segment=enterprise',
      // Integrity signals (docs/integrity.md): the tenant's default window, and a region over a fixed one.
      `/api/v1/integrity?unitId=${t.units.root}`,
      `/api/v1/integrity?unitId=${t.units.emea}&from=2026-01-01&to=2026-06-30`,
    ];
    for (const path of reads) {
      const res = await call('GET', path, { token: t.tokens.admin });
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
    }
    // The agent's own page, with its cases and comments; a mapping written.
    expect((await call('GET', '/api/v1/agents/me', { token: t.tokens.agent })).status).toBe(200);
    expect((await call('PUT', '/api/v1/agents/scan-ext-1', { token: t.tokens.admin, body: { userId: t.userIds.agent } })).status).toBe(200);
    // A library edit and the re-tag it asks the workflow for.
    const theme = await call('POST', '/api/v1/theme-library', { token: t.tokens.admin, body: { name: 'Rudeness', terms: { en: ['rude'] } } });
    expect(theme.status, JSON.stringify(theme.body)).toBe(201);
    // The request sent it to the real queue; this file runs its consumer itself.
    queued.push({ queue: 'nps-workflow', body: { type: 'themes.retag', tenantId: t.tenantId, idempotencyKey: `themes.retag:${t.tenantId}:scan` } as { type: string } });
    await consumeQueued();
    expect((await call('GET', `/api/v1/themes?unitId=${t.units.root}`, { token: t.tokens.admin })).body.items.map((i: { name: string }) => i.name)).toContain('Rudeness');

    const closed = await call('GET', `/api/v1/targets/attainment?unitId=${t.units.berlin}&period=2025-03`, { token: t.tokens.admin });
    expect(closed.body.items[0].status).toBe('closed');

    const found = await scans();
    expect(found, found.map((f) => `${f.tables.join(', ')}: ${f.sql}\n  ${f.plan.join('\n  ')}`).join('\n\n')).toEqual([]);
  });
});

/** Rows scanned by SQL text since this server started, as libSQL counts them (scripts/libsql-server/rows-scanned.ts). */
const scannedByStatement = async () =>
  new Map(((await (await fetch(`${env.LIBSQL_URL}/stats/statements`)).json()) as { statements: { sql: string; scanned: number }[] }).statements.map((x) => [x.sql, x.scanned]));
/** Rows scanned between two snapshots by the statements whose SQL matches. */
const scannedBetween = (before: Map<string, number>, after: Map<string, number>, match: RegExp) =>
  [...after].filter(([sql]) => match.test(sql)).reduce((n, [sql, v]) => n + v - (before.get(sql) ?? 0), 0);

describe('rows scanned follow the work to do, not what is stored', () => {
  const OPEN = 60;
  const event = (key: string, contactId: string) =>
    call('POST', '/api/v1/events', {
      token: key,
      body: {
        events: [{ id: `ev-${crypto.randomUUID()}`, type: 'ticket.resolved', occurredAt: new Date(Date.now() - 60_000).toISOString(), contactId, unitId: t.units.berlin, touchpoint: s.touchpointKey }],
      },
    });

  it("an event counts today's invitations of its touchpoint only when a daily cap needs the count", async () => {
    // OPEN invitations of the touchpoint created today, open and not due.
    for (let i = 0; i < OPEN; i++) await makeInvitation(s, t.units.berlin);
    const key = await makeKey(t.tokens.admin, { scopes: ['read', 'write'] });
    const todays = /count\(\*\) from "invitations"/;

    const b0 = await scannedByStatement();
    expect((await event(key, (await makeContact(t.tenantId, { locale: 'en' })).externalId)).status).toBe(200);
    // No cap: the count reads the touchpoint's row and no invitation.
    expect(scannedBetween(b0, await scannedByStatement(), todays)).toBeLessThan(5);

    // With a cap the count is needed, and reads each invitation of the day (at least the OPEN made above).
    await call('PATCH', `/api/v1/touchpoints/${s.touchpointId}`, { token: t.tokens.admin, body: { rules: { dailyCap: 10_000 } } }).then((r) => expect(r.status, JSON.stringify(r.body)).toBe(200));
    const b1 = await scannedByStatement();
    expect((await event(key, (await makeContact(t.tenantId, { locale: 'en' })).externalId)).status).toBe(200);
    expect(scannedBetween(b1, await scannedByStatement(), todays)).toBeGreaterThanOrEqual(OPEN);
  });

  // 40 tenants more in this database (bare rows: a walk over the tenants reads them, they hold nothing).
  const bare = Array.from({ length: 40 }, () => `scan-bare-${crypto.randomUUID()}`);
  beforeAll(async () => {
    for (const id of bare) await db().run(sql`insert into tenants (id, name) values (${id}, ${id})`);
  });
  afterAll(async () => {
    for (const id of bare) await db().run(sql`delete from tenants where id = ${id}`);
  });

  it("the minute's fold finds the answers past its mark, not each tenant's watermark", async () => {
    // Whatever earlier tests left is folded and marked.
    for (let i = 0; i < 2; i++) {
      await tick(SCHEDULES.everyMinute);
      await consumeQueued();
    }
    const inv = await makeInvitation(s, t.units.berlin);
    expect((await send('POST', inv.path, { json: { score: 9, state: await invitationState(inv) } })).status).toBe(200);
    const before = await scannedByStatement();
    await tick(SCHEDULES.everyMinute);
    await consumeQueued();
    const after = await scannedByStatement();
    // Which tenants to fold, and the mark after the fold: the new answer and the mark's own rows.
    // A walk over the tenants read about two rows per tenant (over 80 here) in each.
    expect(scannedBetween(before, after, /^select (distinct p\.tenant_id|t\.id as tenant_id from tenants)/)).toBeLessThan(10);
    expect(scannedBetween(before, after, /^insert into "cron_marks"/)).toBeLessThan(15);
    // The answer was folded, and the mark moved to it.
    const [mark] = await db().all<{ seq: number; top: number }>(sql`select seq, (select max(rowid) from responses) as top from cron_marks where job = 'fold'`);
    expect(mark!.seq).toBe(mark!.top);
    const [folded] = await db().all<{ seq: number; top: number }>(
      sql`select response_seq as seq, (select max(rowid) from responses where tenant_id = ${t.tenantId}) as top from rollup_watermarks where tenant_id = ${t.tenantId}`,
    );
    expect(folded!.seq).toBe(folded!.top);
  });

  it("the minute's delivery scan reads next to nothing when nothing is due, however many tenants share the database", async () => {
    // The scan itself, run as a tick runs it once the due-work probe says deliveries are due
    // (a tick skips it when nothing is): first to hand over what earlier tests left due.
    const run = { env: jobEnv, db: db(), databaseId: 'scans' };
    await enqueueDueDeliveries(run, Date.now());
    const before = await scannedByStatement();
    await enqueueDueDeliveries(run, Date.now());
    // The four picks of src/delivery/scan.ts (expired, due, stale, reminders), all on invitations.
    const scanned = scannedBetween(before, await scannedByStatement(), /^update "invitations" set/);
    // Each pick walks a partial index of due rows: a row or two each. Walking every tenant's
    // index (as before) cost about two rows per tenant and status: over 300 here.
    expect(scanned).toBeLessThan(20);
  });

  it("the minute's other picks across tenants read next to nothing when nothing is due", async () => {
    const now = Date.now();
    // Whatever earlier tests left due is taken first (each pick leases or claims what it returns).
    for (let i = 0; i < 2; i++) {
      await leaseDueDeliveries({ db: db() }, now, now + 60_000, 500);
      await claimDueNotifications(db(), now, now + 60_000);
    }
    const before = await scannedByStatement();
    await leaseDueDeliveries({ db: db() }, now, now + 60_000, 500);
    await claimDueNotifications(db(), now, now + 60_000);
    await tenantsToBackfill(db(), now, 10);
    const after = await scannedByStatement();
    // Walking each tenant's index read about two rows per tenant (over 80 here) in each.
    expect(scannedBetween(before, after, /^update "webhook_deliveries"/)).toBeLessThan(10);
    expect(scannedBetween(before, after, /^update "cases" set "notify_due_at"/)).toBeLessThan(10);
    expect(scannedBetween(before, after, /from "comment_backfill"/)).toBeLessThan(10);
  });
});
