import { binomialUpperTail } from '../scoring/binomial';
import { holm } from '../scoring/proportion';
import { NEAR_DUPLICATES, nearDuplicateClusters } from './near-duplicates';

/*
 * The safeguards against gaming (docs/integrity.md): five signals per agent and per unit over a
 * window, each with its evidence. Pure functions over what src/integrity/integrity.ts reads; a
 * signal informs an admin or analyst and changes no score.
 */

export const SIGNALS = ['response_rate', 'tens', 'own_network', 'bursts', 'near_duplicates'] as const;
export type SignalKind = (typeof SIGNALS)[number];

export const INTEGRITY = {
  /** The window when none is given: the 90 days up to today (docs/integrity.md). */
  defaultDays: 90,
  maxDays: 366,
  /** Family-wise error rate of each tested signal across the agents (units) compared, after Holm's adjustment. */
  alpha: 0.05,
  /** "Far above peers": a rate is tested against the peers' pooled rate plus this margin (absolute). */
  margin: 0.2,
  /** Fewest invitations (response rate) or answers (tens, bursts) before a rate is tested; fewer: `too_few`. */
  minN: 30,
  /** An answer given within this many minutes after its event (the service) is part of a burst. */
  burstMinutes: 10,
  /** Answers from the agent's own sign-in network before the signal is raised. */
  ownNetworkMin: 3,
  /** Comments in near-duplicate clusters before the signal is raised, and their least share of the compared comments. */
  duplicateMin: 5,
  duplicateShare: 0.2,
  /** Example response ids per signal. */
  examples: 5,
  /** More answers than this in the window and unit: narrow the window or the unit (422). */
  maxAnswers: 100_000,
} as const;

/** One answer as the signals see it. */
export interface IntegrityAnswer {
  id: string;
  unitId: string;
  agentId: string | null;
  score: number;
  comment: string | null;
  /** When it was answered (epoch ms). */
  answeredAt: number;
  /** When its event (the service) happened; null without an event. */
  occurredAt: number | null;
  /** Sent from a network the agent signed in from. */
  ownNetwork: boolean;
}

/** Invitations issued in the window per unit and agent. */
export interface IssuedInvitations {
  unitId: string;
  agentId: string | null;
  issued: number;
  answered: number;
}

export type SignalStatus = 'flagged' | 'not_flagged' | 'too_few';

export interface Signal {
  signal: SignalKind;
  status: SignalStatus;
  flagged: boolean;
  /** What is counted (answered invitations, 10s, answers from the own network, answers in bursts, comments in clusters)... */
  count: number;
  /** ...out of this (invitations, answers, answers, answers with an event, comments compared). */
  total: number;
  rate: number | null;
  /** The same, pooled over every other agent (unit) compared. */
  peerCount: number;
  peerTotal: number;
  peerRate: number | null;
  /** The rate tested against (peer rate plus the margin); null for the signals that are counts, not tests. */
  testedRate: number | null;
  /** One-sided exact binomial p-value of count/total against testedRate, and Holm-adjusted across those compared. */
  p: number | null;
  pAdjusted: number | null;
  /** Near-identical comments: the clusters (of at least three). */
  clusters?: number;
  /** Response ids behind the count (at most five). */
  examples: string[];
}

interface Tally {
  count: number;
  total: number;
  examples: string[];
  clusters?: number;
}

const rate = (x: number, n: number) => (n > 0 ? x / n : null);

/**
 * A tested signal over several subjects: each one's count/total against the pooled rate of the
 * others plus the margin, by the exact one-sided binomial test; Holm's adjustment over the
 * subjects with at least `minN`.
 */
function tested(kind: SignalKind, tallies: Tally[]): Signal[] {
  const sumCount = tallies.reduce((s, t) => s + t.count, 0);
  const sumTotal = tallies.reduce((s, t) => s + t.total, 0);
  const rows = tallies.map((t) => {
    const peerCount = sumCount - t.count;
    const peerTotal = sumTotal - t.total;
    const peerRate = rate(peerCount, peerTotal);
    const testable = t.total >= INTEGRITY.minN && peerTotal >= INTEGRITY.minN && peerRate !== null;
    const testedRate = testable ? Math.min(1, peerRate! + INTEGRITY.margin) : null;
    const p = testable ? binomialUpperTail(t.count, t.total, testedRate!) : null;
    return { t, peerCount, peerTotal, peerRate, testedRate, p };
  });
  const testedIndexes = rows.flatMap((r, i) => (r.p === null ? [] : [i]));
  const adjusted = holm(testedIndexes.map((i) => rows[i]!.p!));
  const pAdjusted = new Map(testedIndexes.map((i, k) => [i, adjusted[k]!]));
  return rows.map((r, i) => {
    const pa = pAdjusted.get(i) ?? null;
    // At a tested rate of 1 nothing can lie above it: p is 1 (a count equal to the total is no evidence then).
    const flagged = pa !== null && r.testedRate! < 1 && pa < INTEGRITY.alpha;
    return {
      signal: kind,
      status: r.p === null ? 'too_few' : flagged ? 'flagged' : 'not_flagged',
      flagged,
      count: r.t.count,
      total: r.t.total,
      rate: rate(r.t.count, r.t.total),
      peerCount: r.peerCount,
      peerTotal: r.peerTotal,
      peerRate: r.peerRate,
      testedRate: r.testedRate,
      p: r.p,
      pAdjusted: pa,
      examples: r.t.examples.slice(0, INTEGRITY.examples),
    } satisfies Signal;
  });
}

/** A counted signal: raised on its own rule, with the peers' rate beside it as context. */
function counted(kind: SignalKind, tallies: Tally[], raised: (t: Tally) => boolean): Signal[] {
  const sumCount = tallies.reduce((s, t) => s + t.count, 0);
  const sumTotal = tallies.reduce((s, t) => s + t.total, 0);
  return tallies.map((t) => {
    const flagged = raised(t);
    return {
      signal: kind,
      status: flagged ? 'flagged' : 'not_flagged',
      flagged,
      count: t.count,
      total: t.total,
      rate: rate(t.count, t.total),
      peerCount: sumCount - t.count,
      peerTotal: sumTotal - t.total,
      peerRate: rate(sumCount - t.count, sumTotal - t.total),
      testedRate: null,
      p: null,
      pAdjusted: null,
      ...(t.clusters === undefined ? {} : { clusters: t.clusters }),
      examples: t.examples.slice(0, INTEGRITY.examples),
    } satisfies Signal;
  });
}

export interface Subject {
  key: string;
  answers: IntegrityAnswer[];
  invitations: { issued: number; answered: number };
}

/** The five signals of each subject (agents, or units), compared with the others of the same list. */
export function signalsOf(subjects: Subject[]): Map<string, Signal[]> {
  const burstMs = INTEGRITY.burstMinutes * 60_000;
  // Newest first, so examples are recent.
  const newest = subjects.map((s) => [...s.answers].sort((a, b) => b.answeredAt - a.answeredAt || (a.id < b.id ? -1 : 1)));
  const responseRate = tested(
    'response_rate',
    subjects.map((s, i) => ({ count: s.invitations.answered, total: s.invitations.issued, examples: newest[i]!.map((a) => a.id) })),
  );
  const tens = tested(
    'tens',
    newest.map((answers) => ({ count: answers.filter((a) => a.score === 10).length, total: answers.length, examples: answers.filter((a) => a.score === 10).map((a) => a.id) })),
  );
  const ownNetwork = counted(
    'own_network',
    newest.map((answers) => {
      const own = answers.filter((a) => a.ownNetwork);
      return { count: own.length, total: answers.length, examples: own.map((a) => a.id) };
    }),
    (t) => t.count >= INTEGRITY.ownNetworkMin,
  );
  const bursts = tested(
    'bursts',
    newest.map((answers) => {
      const timed = answers.filter((a) => a.occurredAt !== null);
      const quick = timed.filter((a) => a.answeredAt - a.occurredAt! >= 0 && a.answeredAt - a.occurredAt! <= burstMs);
      return { count: quick.length, total: timed.length, examples: quick.map((a) => a.id) };
    }),
  );
  const duplicates = counted(
    'near_duplicates',
    newest.map((answers) => {
      const comments = answers.filter((a) => a.comment !== null && a.comment.trim() !== '').slice(0, NEAR_DUPLICATES.maxComments);
      const { compared, clusters } = nearDuplicateClusters(comments.map((a) => ({ id: a.id, text: a.comment! })));
      const inClusters = clusters.flat();
      return { count: inClusters.length, total: compared, examples: inClusters, clusters: clusters.length };
    }),
    (t) => t.count >= INTEGRITY.duplicateMin && t.count >= INTEGRITY.duplicateShare * t.total,
  );
  return new Map(subjects.map((s, i) => [s.key, [responseRate[i]!, tens[i]!, ownNetwork[i]!, bursts[i]!, duplicates[i]!]]));
}
