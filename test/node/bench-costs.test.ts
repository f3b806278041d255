import { describe, expect, it } from 'vitest';
import { monthlyCost } from '../../scripts/bench-costs';

/*
 * The month's cost model of bench/RESULTS.md section (h), against a hand computation.
 * Per answer: 2 requests, 5 CPU-ms, 2 messages, 30 rows read, 10 rows written; fixed: 43,200
 * Cron Trigger invocations reading 432,000 rows. At 10M answers:
 *   Workers: requests 20,043,200, over the 10M included: 10,043,200 × $0.30/M = $3.01296;
 *            CPU 50M ms, over the 30M included: 20M × $0.02/M = $0.40; plus the $5 base = $8.41296
 *   Queues:  10M × 2 × 3 = 60M operations, over the 1M included: 59M × $0.40/M = $23.60
 *   Turso:   300,432,000 rows read, within the 2.5 billion included: $0;
 *            100M rows written, over the 25M included: 75M × $1/M = $75; plus the $4.99 base = $79.99
 *   total $112.00296
 */
describe('the monthly cost model of the bench', () => {
  it('prices 10M answers a month as computed by hand', () => {
    const c = monthlyCost(10e6, { requests: 2, cpuMs: 5, messages: 2, rowsRead: 30, rowsWritten: 10 }, { requests: 43_200, rowsRead: 432_000 });
    expect(c.workers).toBeCloseTo(8.41296, 9);
    expect(c.queues).toBeCloseTo(23.6, 9);
    expect(c.turso).toBeCloseTo(79.99, 9);
    expect(c.total).toBeCloseTo(112.00296, 9);
  });

  it('costs the two bases alone while every figure is within what the plans include', () => {
    // 100,000 answers: 243,200 requests, 500,000 CPU-ms, 600,000 operations, 3.4M rows read, 1M written.
    const c = monthlyCost(100_000, { requests: 2, cpuMs: 5, messages: 2, rowsRead: 30, rowsWritten: 10 }, { requests: 43_200, rowsRead: 432_000 });
    expect(c.total).toBeCloseTo(5 + 4.99, 9);
  });
});
