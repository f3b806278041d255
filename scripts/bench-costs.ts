// What a month of answers would cost on Workers + Queues + Turso (issue 19 item 6), from the
// figures a bench run measured per answer. Prices as published by the providers, with the date
// they were read; the model and its assumptions are printed with the table (bench/RESULTS.md).

/** Prices per month (USD), read on the dates given. */
export const PRICES = {
  read: '2026-12-05',
  sources: [
    'Cloudflare Workers, Standard usage model: developers.cloudflare.com/workers/platform/pricing/ (Workers Paid: $5 a month with 10M requests and 30M CPU-ms included; $0.30 per further million requests, $0.02 per further million CPU-ms)',
    'Cloudflare Queues: developers.cloudflare.com/queues/platform/pricing/ (1M operations a month included with Workers Paid, $0.40 per further million; an operation per 64 KB written, read or deleted: a message delivered once is 3)',
    'Turso: turso.tech/pricing (Developer plan $4.99 a month with 2.5 billion rows read and 25 million rows written; $1 per further billion rows read, $1 per further million rows written)',
  ],
  workers: { base: 5, requestsIncluded: 10e6, perMillionRequests: 0.3, cpuMsIncluded: 30e6, perMillionCpuMs: 0.02 },
  queues: { opsIncluded: 1e6, perMillionOps: 0.4, opsPerMessage: 3 },
  turso: { base: 4.99, readsIncluded: 2.5e9, perBillionReads: 1, writesIncluded: 25e6, perMillionWrites: 1 },
} as const;

/** What one answer costs in the units the providers bill, as measured (or bounded) by the bench. */
export interface PerAnswer {
  /** Worker requests: the survey page and its submit. */
  requests: number;
  /** CPU ms of the Worker per answer: capture and its follow-up. */
  cpuMs: number;
  /** Queue messages per answer: the invitation's delivery and the answer's follow-up. */
  messages: number;
  rowsRead: number;
  rowsWritten: number;
}

/** Fixed work a month whatever the answers: the every-minute Cron Trigger and its probes. */
export interface Fixed {
  requests: number;
  rowsRead: number;
}

const over = (used: number, included: number) => Math.max(0, used - included);
const usd = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const big = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

export function monthlyCost(answers: number, a: PerAnswer, f: Fixed) {
  const requests = answers * a.requests + f.requests;
  const cpuMs = answers * a.cpuMs;
  const ops = answers * a.messages * PRICES.queues.opsPerMessage;
  const reads = answers * a.rowsRead + f.rowsRead;
  const writes = answers * a.rowsWritten;
  const w = PRICES.workers;
  const q = PRICES.queues;
  const t = PRICES.turso;
  const workers = w.base + (over(requests, w.requestsIncluded) / 1e6) * w.perMillionRequests + (over(cpuMs, w.cpuMsIncluded) / 1e6) * w.perMillionCpuMs;
  const queues = (over(ops, q.opsIncluded) / 1e6) * q.perMillionOps;
  const turso = t.base + (over(reads, t.readsIncluded) / 1e9) * t.perBillionReads + (over(writes, t.writesIncluded) / 1e6) * t.perMillionWrites;
  return { requests, cpuMs, ops, reads, writes, workers, queues, turso, total: workers + queues + turso };
}

/** The section of bench/RESULTS.md. */
export function costLines(a: PerAnswer, f: Fixed, basis: string[]): string[] {
  const months = [1e6, 10e6].map((n) => ({ n, c: monthlyCost(n, a, f) }));
  return [
    '## (h) What it would cost a month',
    '',
    'Per answer, from this run: ' +
      `${a.requests} Worker requests, ${a.cpuMs.toFixed(2)} ms of Worker CPU, ${a.messages} queue messages, ${a.rowsRead.toFixed(2)} rows read and ${a.rowsWritten.toFixed(2)} rows written; ` +
      `fixed each month: ${big(f.requests)} Cron Trigger invocations and ${big(f.rowsRead)} rows read by their probes.`,
    '',
    ...basis.map((b) => `- ${b}`),
    '',
    '| answers a month | requests | CPU-ms | queue operations | rows read | rows written | Workers | Queues | Turso | total |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...months.map(
      ({ n, c }) =>
        `| ${big(n)} | ${big(c.requests)} | ${big(c.cpuMs)} | ${big(c.ops)} | ${big(c.reads)} | ${big(c.writes)} | ${usd(c.workers)} | ${usd(c.queues)} | ${usd(c.turso)} | **${usd(c.total)}** |`,
    ),
    '',
    `Prices read on ${PRICES.read}:`,
    '',
    ...PRICES.sources.map((s) => `- ${s}`),
    '',
  ];
}
