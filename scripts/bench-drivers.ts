// `npm run bench:drivers`: the figures of issue 13 (docs/drivers.md): key drivers over 100,000
// answers in range, KPI correlation over 500 units × 24 months, and the rows written to keep the
// measures. A script, not a test: its own local stack on a temporary data folder (loopback
// only, scripts/bench-stack.ts), data written straight into the database file (setup, not a
// measurement), then timed HTTP calls; writes bench/DRIVERS.md and stops what it started.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client/web';
import { DAY_MS, idAt, insertRows, RESPONSE_COLUMNS, Rng, setupOrg } from './bench-data';
import { diffStats, enterOrg, loadAverage, machine, startStack, type Stack } from './bench-stack';
import { ROOT } from './local-stack';

const t00 = Date.now();
const log = (line: string) => console.log(`[bench:drivers ${((Date.now() - t00) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const OUT = join(ROOT, 'bench', 'DRIVERS.md');
const SITES = 500;
const DRIVER_ANSWERS = 100_000;
const MONTHS = 24;
const PER_UNIT_MONTH = 10;
const RUNS = 5;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function json(stack: Stack, token: string, method: string, path: string, body?: unknown) {
  const t0 = performance.now();
  const res = await fetch(`${stack.workerUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return { ms, status: res.status, body: JSON.parse(text) };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'nps-bench-drivers-'));
  // Every scope computes in the request, so the compute itself is timed (the queue path is the same function).
  const stack = await startStack(dir, log, undefined, { DRIVERS_INLINE_MAX: '10000000' });
  try {
    const rng = new Rng(1313);
    const org = await setupOrg(stack.libsqlUrl, stack.dbFile, { sites: SITES, contacts: 2000 }, rng);
    const token = await enterOrg(stack, org, 'Bench Drivers');
    await json(stack, token, 'PATCH', '/api/v1/settings', { minResponses: PER_UNIT_MONTH });
    for (const [key, source, direction] of [
      ['resolutionHours', 'event', 'lower_is_better'],
      ['reopened', 'event', 'lower_is_better'],
      ['slaAdherence', 'unit', 'higher_is_better'],
    ] as const)
      await json(stack, token, 'POST', '/api/v1/measures', { key, name: key, unit: key === 'slaAdherence' ? '%' : 'h', direction, source });
    const db = createClient({ url: stack.libsqlUrl });
    const slaId = (await db.execute({ sql: 'select id from measures where key = ?', args: ['slaAdherence'] })).rows[0]!.id as string;
    const now = Date.now();
    const tp = org.touchpoints[0]!;

    // (1) 100,000 answers over the last 85 days, each invited by an event carrying the two measures.
    log(`writing ${fmt(DRIVER_ANSWERS)} event-linked answers`);
    const invitationRows: unknown[][] = [];
    const eventRows: unknown[][] = [];
    const answerRows: unknown[][] = [];
    for (let i = 0; i < DRIVER_ANSWERS; i++) {
      const at = now - 2 * DAY_MS - Math.floor(rng.next() * 83 * DAY_MS);
      const site = org.sites[rng.int(SITES)]!;
      const hours = 1 + rng.int(96);
      const reopened = rng.next() < 0.2;
      const score = Math.min(10, Math.max(0, Math.round(10 - hours / 16 - (reopened ? 2 : 0) + site.quality * 8 + rng.normal() * 1.5)));
      const invitationId = idAt('inv', at, rng);
      const eventId = `bench-${i}`;
      invitationRows.push([invitationId, org.tenantId, site.id, tp.id, org.surveyId, 1, 'email', 'sent', `event:${eventId}`, at, at + 30 * DAY_MS, at, at]);
      const eventRowId = idAt('evt', at, rng);
      eventRows.push([eventRowId, org.tenantId, eventId, 'ticket.resolved', at, site.id, tp.id, JSON.stringify({ resolutionHours: hours, reopened }), 'invite', 'eligible', invitationId, at]);
      answerRows.push([
        idAt('rsp', at, rng),
        org.tenantId,
        invitationId,
        tp.id,
        site.id,
        null,
        org.surveyId,
        1,
        'email',
        'en',
        score,
        null,
        '{}',
        '[]',
        1,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        at,
        at,
        at,
        eventRowId,
      ]);
    }
    insertRows(
      stack.dbFile,
      'invitations',
      ['id', 'tenant_id', 'unit_id', 'touchpoint_id', 'survey_id', 'survey_version', 'channel', 'status', 'source', 'due_at', 'expires_at', 'created_at', 'updated_at'],
      invitationRows,
    );
    insertRows(
      stack.dbFile,
      'events',
      ['id', 'tenant_id', 'event_id', 'type', 'occurred_at', 'unit_id', 'touchpoint_id', 'attributes', 'decision', 'reason', 'invitation_id', 'created_at'],
      eventRows,
    );
    // Each answer names the event that invited it, as capture keeps it.
    insertRows(stack.dbFile, 'responses', [...RESPONSE_COLUMNS, 'event_id'], answerRows);

    // (2) 500 units × 24 months: answers per unit and month and the unit measure's daily values.
    log(`writing ${SITES} units × ${MONTHS} months: ${fmt(SITES * MONTHS * PER_UNIT_MONTH)} answers, ${fmt(SITES * MONTHS * 30)} daily values`);
    const flat = Array.from({ length: SITES }, (_, i) => ({ id: idAt('unit', now, rng), name: `Branch ${String(i + 1).padStart(3, '0')}` }));
    insertRows(
      stack.dbFile,
      'units',
      ['id', 'tenant_id', 'parent_id', 'name', 'kind', 'path', 'timezone', 'created_at', 'updated_at'],
      flat.map((u) => [u.id, org.tenantId, org.rootId, u.name, 'site', `${org.rootPath}${u.id}/`, 'UTC', now, now]),
    );
    const firstMonth = new Date(Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth() - MONTHS, 1));
    const valueRows: unknown[][] = [];
    const flatAnswers: unknown[][] = [];
    for (const u of flat) {
      const sla: number[] = [];
      for (let m = 0; m < MONTHS; m++) {
        const start = Date.UTC(firstMonth.getUTCFullYear(), firstMonth.getUTCMonth() + m, 1);
        const end = Date.UTC(firstMonth.getUTCFullYear(), firstMonth.getUTCMonth() + m + 1, 1);
        sla.push(80 + rng.next() * 20);
        for (let d = start; d < end; d += DAY_MS) valueRows.push([org.tenantId, slaId, u.id, day(d), sla[m]! + rng.normal(), now]);
        // NPS follows the SLA two months before.
        const lead = sla[Math.max(0, m - 2)]!;
        for (let a = 0; a < PER_UNIT_MONTH; a++) {
          const at = start + Math.floor(rng.next() * (end - start - 3600_000));
          const score = Math.min(10, Math.max(0, Math.round((lead - 80) / 2 + rng.normal() * 2)));
          flatAnswers.push([
            idAt('rsp', at, rng),
            org.tenantId,
            null,
            tp.id,
            u.id,
            null,
            org.surveyId,
            1,
            'link',
            'en',
            score,
            null,
            '{}',
            '[]',
            1,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            at,
            at,
            at,
          ]);
        }
      }
    }
    insertRows(stack.dbFile, 'measure_values', ['tenant_id', 'measure_id', 'unit_id', 'day', 'value', 'updated_at'], valueRows);
    insertRows(stack.dbFile, 'responses', RESPONSE_COLUMNS, flatAnswers);
    log('folding');
    for (let i = 0; i < 10; i++) {
      await stack.tick();
      const pending = await db.execute({
        sql: 'select count(*) as n from responses where tenant_id = ? and rowid > coalesce((select response_seq from rollup_watermarks where tenant_id = ?), 0)',
        args: [org.tenantId, org.tenantId],
      });
      if (Number(pending.rows[0]!.n) === 0) break;
    }

    // (a) Key drivers over the root, computed afresh: each run a different first day (a new scope).
    const to = day(now);
    const drivers: { ms: number; n: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      const res = await json(stack, token, 'GET', `/api/v1/drivers?unitId=${org.rootId}&from=${day(now - (89 - i) * DAY_MS)}&to=${to}`);
      drivers.push({ ms: res.ms, n: res.body.n });
      log(`drivers (computed): ${res.ms.toFixed(0)} ms, n ${res.body.n}, R² ${res.body.r2?.toFixed(3)}`);
    }
    const kept: number[] = [];
    for (let i = 0; i < 20; i++) kept.push((await json(stack, token, 'GET', `/api/v1/drivers?unitId=${org.rootId}&from=${day(now - 89 * DAY_MS)}&to=${to}`)).ms);

    // (b) KPI correlation over the root's children (the 500 branches and the 10 regions) × 24 months.
    const from24 = day(firstMonth.getTime());
    const correlation: number[] = [];
    let corrBody: { pairs: number; relation: string | null; lag: number | null } | undefined;
    for (let i = 0; i < RUNS; i++) {
      const res = await json(stack, token, 'GET', `/api/v1/measures/slaAdherence/correlation?unitId=${org.rootId}&from=${from24}&to=${to}&period=month`);
      correlation.push(res.ms);
      corrBody = res.body;
      log(`correlation: ${res.ms.toFixed(0)} ms, ${res.body.pairs} pairs, relation ${res.body.relation} at lag ${res.body.lag}`);
    }
    const quadrant: number[] = [];
    for (let i = 0; i < RUNS; i++) quadrant.push((await json(stack, token, 'GET', `/api/v1/measures/slaAdherence/quadrant?unitId=${org.rootId}&from=${from24}&to=${to}`)).ms);

    // (c) Rows written to keep the measures.
    const before = await stack.stats();
    const values = flat.flatMap((u) => Array.from({ length: 20 }, (_, d) => ({ unitId: u.id, date: day(now - (400 + d) * DAY_MS), value: 90 })));
    await json(stack, token, 'PUT', '/api/v1/measures/slaAdherence/values', { values });
    const afterValues = await stack.stats();
    const contactIds = (await db.execute({ sql: 'select external_id from contacts where tenant_id = ? order by id limit 1000', args: [org.tenantId] })).rows.map((r) => r.external_id as string);
    const ingest = async (withAttributes: boolean, offset: number) => {
      const s0 = await stack.stats();
      const events = Array.from({ length: 500 }, (_, i) => ({
        id: `bench-ingest-${withAttributes}-${i}`,
        type: 'ticket.resolved',
        occurredAt: new Date(now - 60_000).toISOString(),
        contactId: contactIds[offset + i]!,
        unitId: org.sites[i % SITES]!.id,
        touchpoint: tp.key,
        ...(withAttributes ? { attributes: { resolutionHours: 1 + (i % 48), reopened: i % 5 === 0 } } : {}),
      }));
      const res = await json(stack, token, 'POST', '/api/v1/events', { events });
      const invited = res.body.results.filter((r: { decision?: string }) => r.decision === 'invite').length;
      return { written: diffStats(s0, await stack.stats()).rowsWritten, invited };
    };
    const plain = await ingest(false, 0);
    const withFacts = await ingest(true, 500);
    const s1 = await stack.stats();
    const imported = Array.from({ length: 1000 }, (_, i) => ({
      externalId: `ivr-${i}`,
      answeredAt: new Date(now - 400 * DAY_MS + i * 60_000).toISOString(),
      unitId: org.sites[i % SITES]!.id,
      touchpoint: tp.key,
      channel: 'ivr',
      score: i % 11,
      ...(i % 2 ? { event: { attributes: { resolutionHours: 1 + (i % 48) } } } : {}),
    }));
    const importRes = await json(stack, token, 'POST', '/api/v1/responses/import', { responses: imported });
    const importWritten = diffStats(s1, await stack.stats()).rowsWritten;

    const m = machine();
    const load = loadAverage();
    const lines = [
      '# Key drivers and KPI correlation: benchmark',
      '',
      `\`npm run bench:drivers\` on ${new Date().toISOString().slice(0, 10)}; ${m.cpuModel}, ${fmt(m.memTotalGiB, 1)} GiB; Node ${process.version}. One tenant on the local stack (libSQL server + wrangler dev), data written straight into the file, then timed HTTP calls (wall time at the client). Load average at the end: ${load} (other work on the machine slows every figure).`,
      '',
      '| figure | measured | target |',
      '| --- | --- | --- |',
      `| key drivers computed, ${fmt(drivers[0]!.n)} complete answers in range (2 event measures, 1,000 bootstrap replicates), p50 of ${RUNS} | ${fmt(p50(drivers.map((d) => d.ms)))} ms | under 2,000 ms |`,
      `| key drivers kept (same scope, no new answers), p50 of 20 | ${fmt(p50(kept))} ms | |`,
      `| KPI correlation, ${SITES + 10} child units × ${MONTHS} months (${fmt(corrBody!.pairs)} pairs at lag 0), p50 of ${RUNS} | ${fmt(p50(correlation))} ms | under 2,000 ms |`,
      `| efficiency quadrant, same scope, p50 of ${RUNS} | ${fmt(p50(quadrant))} ms | |`,
      `| planted lead (NPS follows the SLA two months later) named | ${corrBody!.relation} at lag ${corrBody!.lag} | leading at lag 2 |`,
      `| rows written per unit-measure value (PUT of ${fmt(values.length)} values) | ${fmt(diffStats(before, afterValues).rowsWritten / values.length, 2)} | |`,
      `| rows written by 500 events without attributes / with both measures as attributes | ${fmt(plain.written)} (${plain.invited} invited) / ${fmt(withFacts.written)} (${withFacts.invited} invited) | event measures add no row |`,
      `| rows written per imported answer (1,000, half with an event) | ${fmt(importWritten / importRes.body.imported, 2)} | |`,
      '',
      'Event measures live in the event row that ingest writes anyway, and capture writes nothing for them: the cost per answer of keeping them is zero rows. A unit measure costs one row per unit, day and measure, whatever the number of answers. Rows written are the local libSQL server counters (`/stats`), which count rows, not index entries.',
      '',
    ];
    writeFileSync(OUT, lines.join('\n'));
    log(`wrote ${OUT}`);
    console.log(lines.join('\n'));
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
