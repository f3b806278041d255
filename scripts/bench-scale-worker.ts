// A worker thread of the scale loader (scripts/bench-scale.ts): generates a chunk of answers and
// sums them into rollup rows with the fold's own code, while the main thread writes the last chunk.
import { parentPort, workerData } from 'node:worker_threads';
import { type FoldRow, foldedTotals, sumValues } from '../src/scores/fold';
import { answerRow, type Org, Rng } from './bench-data';

export interface ChunkRequest {
  index: number;
  seed: number;
  times: Float64Array;
}
export interface ChunkResult {
  index: number;
  /** The answers' rows (RESPONSE_COLUMNS), flat. */
  answers: unknown[];
  /** Each rollup table's rows (tenant_id, keys, SUMS), flat, in the order a fold writes them. */
  totals: { table: string; keys: string[]; rows: number; flat: unknown[] }[];
  generateMs: number;
  foldMs: number;
}

const { org, closed } = workerData as { org: Org; closed: string };
const unitOf = new Map(org.sites.map((s) => [s.id, { path: `${org.rootPath}${org.regions[s.region]!.id}/${s.id}/`, timezone: org.regions[s.region]!.tz }]));

/** An answer's row as the fold reads it (src/scores/fold.ts foldRows): its unit's path and time zone joined, nulls as ''. */
function foldRowOf(r: unknown[]): FoldRow {
  const unit = unitOf.get(r[4] as string)!;
  return {
    seq: 0,
    unitId: r[4] as string,
    createdAt: r[23] as number,
    timezone: unit.timezone,
    path: unit.path,
    touchpointId: r[3] as string,
    channel: r[8] as string,
    segment: (r[16] as string | null) ?? '',
    locale: r[9] as string,
    surveyId: r[6] as string,
    surveyVersion: r[7] as number,
    vendorId: (r[21] as string | null) ?? '',
    score: r[10] as number | null,
    counted: r[14] === 1,
    lifetimeValue: r[17] as number | null,
    tenureMonths: r[18] as number | null,
    contractSize: r[19] as string | null,
    supportTier: r[20] as string | null,
  };
}

parentPort!.on('message', ({ index, seed, times }: ChunkRequest) => {
  const t0 = performance.now();
  const rng = new Rng(seed);
  const rows = Array.from(times, (t) => answerRow(org, Math.round(t), rng));
  const t1 = performance.now();
  const totals = foldedTotals(rows.map(foldRowOf), closed).map(({ target, rows }) => {
    const flat: unknown[] = [];
    let n = 0;
    for (const { key, sums } of rows) {
      flat.push(org.tenantId, ...key, ...sumValues(sums));
      n++;
    }
    return { table: target.table, keys: target.keys, rows: n, flat };
  });
  const t2 = performance.now();
  parentPort!.postMessage({ index, answers: rows.flat(), totals, generateMs: t1 - t0, foldMs: t2 - t1 } satisfies ChunkResult);
});
