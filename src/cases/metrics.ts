const HOUR = 3_600_000;

export interface MetricCase {
  unitPath: string;
  ownerUserId: string | null;
  createdAt: number;
  firstContactAt: number | null;
  firstContactDueAt: number | null;
  resolvedAt: number | null;
  resolutionDueAt: number | null;
  closedAt: number | null;
}

const round = (x: number) => Math.round(x * 100) / 100;
function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return round(s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2);
}
const mean = (xs: number[]) => (xs.length ? round(xs.reduce((a, b) => a + b, 0) / xs.length) : null);

/**
 * Loop metrics of a set of cases at `now`: counts, median and mean hours to first contact and
 * to resolution (of the cases that got there), and the share within target. A case counts in
 * a share once its outcome is known: met when it happened by its due time, missed when it
 * happened later or the due time passed without it. Closed cases (no action) are left out of
 * the resolution share; cases without a due time out of both.
 */
export function loopMetrics(rows: MetricCase[], now: number) {
  const toContact = rows.filter((r) => r.firstContactAt !== null).map((r) => (r.firstContactAt! - r.createdAt) / HOUR);
  const toResolve = rows.filter((r) => r.resolvedAt !== null).map((r) => (r.resolvedAt! - r.createdAt) / HOUR);
  const share = (pairs: { at: number | null; due: number | null }[]) => {
    const known = pairs.filter((p) => p.due !== null && (p.at !== null || p.due <= now));
    return known.length ? round(known.filter((p) => p.at !== null && p.at <= p.due!).length / known.length) : null;
  };
  return {
    cases: rows.length,
    contacted: toContact.length,
    resolved: toResolve.length,
    closed: rows.filter((r) => r.closedAt !== null && r.resolvedAt === null).length,
    hoursToFirstContact: { median: median(toContact), mean: mean(toContact) },
    hoursToResolve: { median: median(toResolve), mean: mean(toResolve) },
    withinTarget: {
      firstContact: share(rows.map((r) => ({ at: r.firstContactAt, due: r.firstContactDueAt }))),
      resolution: share(rows.filter((r) => !(r.closedAt !== null && r.resolvedAt === null)).map((r) => ({ at: r.resolvedAt, due: r.resolutionDueAt }))),
    },
  };
}
