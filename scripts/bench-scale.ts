// The bulk loader of `npm run bench -- --scale 10m` (bench/README.md, "Scale"): answers written
// straight into the database file on one connection set up for a bulk load, and folded on the way
// by the fold's own code (src/scores/fold.ts `foldedTotals`, the rows a Worker fold upserts),
// written in bulk in the same transaction as the answers, with the watermark. Setup, not a
// measurement: the Worker's fold of the same answers is what section (b) of the full run times.
import type Database from 'libsql';
import LibsqlDatabase from 'libsql';
import { Worker } from 'node:worker_threads';
import { lastClosedMonth, SUMS } from '../src/scores/fold';
import { answerTimes, DAY_MS, idAt, type Org, RESPONSE_COLUMNS, type Rng } from './bench-data';
import type { ChunkResult } from './bench-scale-worker';

/** A connection for a bulk load: a large page cache (the indexes stay in memory), no syncs (a crash means a new run). */
export function bulkWriter(path: string): Database.Database {
  const db = new LibsqlDatabase(path);
  db.exec('PRAGMA busy_timeout = 60000');
  db.exec('PRAGMA cache_size = -4000000'); // KiB: 4 GB
  db.exec('PRAGMA synchronous = OFF');
  db.exec('PRAGMA temp_store = MEMORY');
  db.exec('PRAGMA foreign_keys = OFF'); // the generated rows name existing rows; checking costs 4 lookups an answer
  return db;
}

const PER_STATEMENT = 400;

/** Multi-row INSERTs (or upserts adding to the sums) of one table from flat values, the full-size statement prepared once. */
function inserter(db: Database.Database, table: string, columns: string[], conflict?: string[]) {
  const width = columns.length;
  const placeholder = `(${columns.map(() => '?').join(',')})`;
  const tail = conflict ? ` on conflict (${conflict.join(', ')}) do update set ${SUMS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}` : '';
  const statements = new Map<number, Database.Statement>();
  const statement = (n: number) => {
    let s = statements.get(n);
    if (!s) statements.set(n, (s = db.prepare(`insert into ${table} (${columns.join(',')}) values ${Array(n).fill(placeholder).join(',')}${tail}`)));
    return s;
  };
  return (flat: unknown[]) => {
    const rows = flat.length / width;
    for (let i = 0; i < rows; i += PER_STATEMENT) {
      const n = Math.min(PER_STATEMENT, rows - i);
      statement(n).run(flat.slice(i * width, (i + n) * width));
    }
  };
}

export interface LoadTimes {
  /** Wall time of the whole load of these answers (the parts below overlap: the workers run beside the writer). */
  wall: number;
  /** The writer: the answers' rows (the table alone, its indexes dropped). */
  insert: number;
  /** The writer: the answers' indexes built again after the load. */
  indexes: number;
  /** The writer: the rollup rows upserted and the watermark. */
  foldWrite: number;
  /** The writer waiting for the workers. */
  waiting: number;
  /** The workers, summed over them: generating the answers; summing them into rollup rows with the fold's code. */
  generate: number;
  foldSum: number;
  rollupRows: number;
}

/** Answers per chunk: a chunk's answers, their rollup rows and the new watermark commit in one transaction. */
const CHUNK = 100_000;
/** Worker threads generating and summing chunks; the main thread writes. */
const WORKERS = 2;

/**
 * Loads `n` answers spread over [from, to) in time order (primary-key order: ids are time-ordered)
 * and folds them as they go: worker threads generate each chunk and sum it into rollup rows with
 * the fold's own code (`foldedTotals`, months closed as the Worker's cron closes them now:
 * `lastClosedMonth`); the main thread writes the answers and upserts the rollup rows with the
 * watermark, one transaction per chunk. The answers' indexes are dropped during the load and
 * built again at the end (a sort instead of 10 random B-tree inserts per answer). The tenant's
 * rollups must hold exactly the answers before these (its watermark at the last one).
 */
export async function loadAndFold(file: string, org: Org, n: number, from: number, to: number, rng: Rng, progress: (done: number) => void): Promise<LoadTimes> {
  const t00 = performance.now();
  const times = answerTimes(n, from, to, rng);
  // Each chunk its own seed, so the workers can generate chunks in any order.
  const chunks = Array.from({ length: Math.ceil(n / CHUNK) }, (_, i) => ({ index: i, seed: Math.floor(rng.next() * 2 ** 32) | 0, times: times.slice(i * CHUNK, (i + 1) * CHUNK) }));
  const closed = lastClosedMonth(Date.now());
  const out: LoadTimes = { wall: 0, insert: 0, indexes: 0, foldWrite: 0, waiting: 0, generate: 0, foldSum: 0, rollupRows: 0 };
  const db = bulkWriter(file);
  const workers = Array.from({ length: WORKERS }, () => new Worker(new URL('./bench-scale-worker.ts', import.meta.url), { workerData: { org, closed } }));
  // Each worker answers its messages in order: a queue of resolvers per worker.
  const waiting = workers.map(() => [] as ((r: ChunkResult) => void)[]);
  const failed = new Promise<never>((_, reject) => {
    for (const w of workers) w.on('error', reject);
  });
  failed.catch(() => {}); // seen by the race below while the load runs; ignored after it
  workers.forEach((w, i) => {
    w.on('message', (r: ChunkResult) => waiting[i]!.shift()!(r));
  });
  const results: Promise<ChunkResult>[] = [];
  const submit = (i: number) => {
    const chunk = chunks[i];
    if (!chunk) return;
    const w = i % WORKERS;
    results[i] = new Promise<ChunkResult>((resolve) => waiting[w]!.push(resolve));
    workers[w]!.postMessage(chunk);
  };
  try {
    const state = db.prepare('select response_seq as seq, months_closed_through as closed, contact_dims_seq as dims from rollup_watermarks where tenant_id = ?');
    const before = state.get(org.tenantId) as { seq: number; closed: string; dims: number } | undefined;
    const top = Number((db.prepare('select max(rowid) as seq from responses where tenant_id = ?').get(org.tenantId) as { seq: number | null }).seq ?? 0);
    // Months closed between the last fold and now would need closeMonths first: the loader only continues from its own state.
    if (before ? before.seq !== top || before.closed !== closed || before.dims !== before.seq : top !== 0)
      throw new Error(`the rollups are not at the last answer (watermark ${JSON.stringify(before)}, last rowid ${top}, months closed through ${closed})`);
    const indexes = db.prepare("select name, sql from sqlite_master where type = 'index' and tbl_name = 'responses' and sql is not null").all() as { name: string; sql: string }[];
    for (const i of indexes) db.exec(`drop index "${i.name}"`);
    const insertAnswers = inserter(db, 'responses', RESPONSE_COLUMNS);
    const upserts = new Map<string, (flat: unknown[]) => void>();
    const upsertInto = (table: string, keys: string[]) => {
      let u = upserts.get(table);
      if (!u) upserts.set(table, (u = inserter(db, table, ['tenant_id', ...keys, ...SUMS], ['tenant_id', ...keys])));
      return u;
    };
    const watermark = db.prepare(`insert into rollup_watermarks (tenant_id, response_seq, folded_at, tree_version, months_closed_through, contact_dims_seq)
      values (?, ?, ?, 0, ?, ?) on conflict (tenant_id) do update set response_seq = excluded.response_seq, folded_at = excluded.folded_at,
      months_closed_through = excluded.months_closed_through, contact_dims_seq = excluded.contact_dims_seq`);
    const lastRowid = db.prepare('select last_insert_rowid() as seq');
    for (let i = 0; i < WORKERS * 2; i++) submit(i);
    let done = 0;
    for (let i = 0; i < chunks.length; i++) {
      const t0 = performance.now();
      const r = await Promise.race([results[i]!, failed]);
      delete results[i];
      submit(i + WORKERS * 2);
      const t1 = performance.now();
      let t2 = t1;
      db.transaction(() => {
        insertAnswers(r.answers);
        const seq = Number((lastRowid.get() as { seq: number }).seq);
        t2 = performance.now();
        for (const t of r.totals) upsertInto(t.table, t.keys)(t.flat);
        watermark.run(org.tenantId, seq, Date.now(), closed, seq);
      })();
      const t3 = performance.now();
      out.waiting += t1 - t0;
      out.insert += t2 - t1;
      out.foldWrite += t3 - t2;
      out.generate += r.generateMs;
      out.foldSum += r.foldMs;
      out.rollupRows += r.totals.reduce((a, t) => a + t.rows, 0);
      done += chunks[i]!.times.length;
      progress(done);
    }
    const t4 = performance.now();
    for (const i of indexes) db.exec(i.sql);
    out.indexes = performance.now() - t4;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
    db.close();
  }
  out.wall = performance.now() - t00;
  return out;
}

/** Rows besides the answers, in proportion to them (`--scale`): accounts with an outcome each, two unit measures with a value per site and week. */
export function loadOtherRows(file: string, org: Org, accounts: number, days: number, rng: Rng): Record<string, number> {
  const now = Date.now();
  const db = bulkWriter(file);
  const counts: Record<string, number> = {};
  try {
    db.transaction(() => {
      const accountRows: unknown[] = [];
      const outcomeRows: unknown[] = [];
      for (let i = 0; i < accounts; i++) {
        const id = idAt('acct', now, rng);
        const site = org.sites[i % org.sites.length]!;
        const revenue = Math.round(20_000 * Math.exp(rng.normal()));
        const renewal = new Date(now + rng.int(365) * DAY_MS).toISOString().slice(0, 10);
        // The contacts name `acct-<n>` (scripts/bench-data.ts contactRow).
        accountRows.push(id, org.tenantId, `acct-${i}`, `Account ${i}`, null, site.id, revenue, renewal, null, '{}', now, now);
        // One outcome per account in the last two years: most renewed, some churned.
        const type = rng.next() < 0.85 ? 'renewed' : 'churned';
        outcomeRows.push(idAt('aout', now, rng), org.tenantId, id, type, now - rng.int(730) * DAY_MS, type === 'churned' ? -revenue : 0, now);
      }
      inserter(db, 'accounts', ['id', 'tenant_id', 'external_id', 'name', 'owner_user_id', 'unit_id', 'annual_revenue', 'renewal_date', 'segment', 'attributes', 'created_at', 'updated_at'])(
        accountRows,
      );
      inserter(db, 'account_outcomes', ['id', 'tenant_id', 'account_id', 'type', 'occurred_at', 'revenue_delta', 'created_at'])(outcomeRows);
      counts.accounts = accounts;
      counts.account_outcomes = accounts;
    })();
    const measures = [
      { key: 'first_time_fix', name: 'First-time fix rate', unit: '%', direction: 'higher_is_better', value: () => 60 + 30 * rng.next() },
      { key: 'response_hours', name: 'Hours to respond', unit: 'hours', direction: 'lower_is_better', value: () => Math.round(Math.exp(1 + rng.normal() * 0.6) * 10) / 10 },
    ];
    counts.measures = measures.length;
    counts.measure_values = 0;
    // In the order of the unique index (measure, unit, day): appended, not scattered.
    const sites = [...org.sites].sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const m of measures)
      db.transaction(() => {
        const id = idAt('msr', now, rng);
        inserter(db, 'measures', ['id', 'tenant_id', 'key', 'name', 'unit', 'direction', 'source', 'created_at', 'updated_at'])([
          id,
          org.tenantId,
          m.key,
          m.name,
          m.unit,
          m.direction,
          'unit',
          now,
          now,
        ]);
        const values = inserter(db, 'measure_values', ['tenant_id', 'measure_id', 'unit_id', 'day', 'value', 'updated_at']);
        for (const site of sites) {
          const rows: unknown[] = [];
          for (let d = days; d >= 1; d -= 7) rows.push(org.tenantId, id, site.id, new Date(now - d * DAY_MS).toISOString().slice(0, 10), m.value(), now);
          values(rows);
          counts.measure_values! += rows.length / 6;
        }
      })();
  } finally {
    db.close();
  }
  return counts;
}
