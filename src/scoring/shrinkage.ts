// Empirical-Bayes shrinkage of a unit's NPS toward its peers (docs/scoring.md §10). Pure: counts
// in, numbers out, unrounded. A unit's answers are a multinomial sample over (promoter, passive,
// detractor); its true shares are drawn from a Dirichlet prior whose mean is the peers' pooled
// shares and whose strength M (in answers) is fitted from how much the peers differ beyond
// sampling noise. The shrunk score is the posterior mean of p⁺ − p⁻.
import { confidenceZ, type Tally } from './nps';

export interface PeerPrior {
  /** Pooled shares of all the peers' answers: the prior mean. They sum to 1. */
  promoterShare: number;
  passiveShare: number;
  detractorShare: number;
  /** 100·(promoterShare − detractorShare): the peer mean every shrunk score moves toward. */
  nps: number;
  /**
   * The prior's weight M, in answers (the Dirichlet's precision): a unit with n answers keeps
   * n/(n + M) of its own score. Finite, ≥ 0, at most `answers`.
   */
  strength: number;
  /** The ANOVA estimate of the intraclass correlation ρ = 1/(1 + M), unclipped (it can be ≤ 0). */
  icc: number;
  /** Peers with at least one answer (the ones the prior is fitted on). */
  peers: number;
  /** Their answers, N. */
  answers: number;
}

export interface ShrunkScore {
  /** Posterior mean of 100·(p⁺ − p⁻), −100..100, unrounded. */
  nps: number;
  /** Normal approximation to the posterior of p⁺ − p⁻: mean ± z·sd, clamped to −100..100. */
  ci: { low: number; high: number; level: number };
}

/** Fewer peers with answers than this fit no prior (Stein: shrinkage pays from three means on). */
export const MIN_PEERS = 3;

const countsOf = (t: Tally) => [t.promoters, t.passives, t.detractors] as const;

/**
 * The prior of a group of peers, from their answer counts (weights are ignored): the pooled
 * shares, and M from the one-way ANOVA estimate of the intraclass correlation of the category
 * indicators, summed over the three categories (Weir & Cockerham 1984; Ridout, Demétrio & Firth
 * 1999 for one binary category):
 *
 *   N = Σnᵢ, I peers, n₀ = (N − Σnᵢ²/N)/(I − 1)
 *   MSB = Σ_k (Σᵢ xᵢₖ²/nᵢ − (Σᵢ xᵢₖ)²/N) / (I − 1)
 *   MSW = Σ_k (Σᵢ xᵢₖ − Σᵢ xᵢₖ²/nᵢ) / (N − I)
 *   ρ   = (MSB − MSW) / (MSB + (n₀ − 1)·MSW),   M = (1 − ρ)/ρ
 *
 * M is capped at N (ρ at or below 1/(1 + N), no spread beyond noise: the prior weighs at most
 * as much as all the peers' answers together). Null when fewer than MIN_PEERS peers have answers,
 * or when every peer has a single answer (no within-unit spread to compare with).
 */
export function fitPeerPrior(peers: readonly Tally[]): PeerPrior | null {
  const rows = peers.map(countsOf).filter(([p, a, d]) => p + a + d > 0);
  const I = rows.length;
  if (I < MIN_PEERS) return null;
  let N = 0;
  let sumN2 = 0;
  const total = [0, 0, 0];
  const sumSqOverN = [0, 0, 0];
  for (const row of rows) {
    const n = row[0] + row[1] + row[2];
    N += n;
    sumN2 += n * n;
    for (let k = 0; k < 3; k++) {
      total[k]! += row[k]!;
      sumSqOverN[k]! += (row[k]! * row[k]!) / n;
    }
  }
  if (N === I) return null;
  let ssb = 0;
  let ssw = 0;
  for (let k = 0; k < 3; k++) {
    ssb += sumSqOverN[k]! - (total[k]! * total[k]!) / N;
    ssw += total[k]! - sumSqOverN[k]!;
  }
  const msb = Math.max(0, ssb) / (I - 1);
  const msw = Math.max(0, ssw) / (N - I);
  const n0 = (N - sumN2 / N) / (I - 1);
  const denominator = msb + (n0 - 1) * msw;
  const icc = denominator > 0 ? (msb - msw) / denominator : 0;
  // ρ ≤ 1/(1 + N) ⇔ (1 − ρ)/ρ ≥ N (or no spread at all): the cap.
  const strength = icc > 1 / (1 + N) ? Math.min(N, (1 - icc) / icc) : N;
  const [promoterShare, passiveShare, detractorShare] = total.map((x) => x / N) as [number, number, number];
  return { promoterShare, passiveShare, detractorShare, nps: 100 * (promoterShare - detractorShare), strength, icc, peers: I, answers: N };
}

/**
 * A unit's shrunk score under a fitted prior: the posterior Dirichlet(P + Mμ⁺, A + Mμ⁰, D + Mμ⁻)
 * of its shares, whose mean of p⁺ − p⁻ is
 *
 *   (P − D + M·(μ⁺ − μ⁻)) / (n + M) = w·raw + (1 − w)·peer mean,   w = n/(n + M)
 *
 * and whose variance is (m⁺ + m⁻ − (m⁺ − m⁻)²)/(n + M + 1) with m the posterior mean shares.
 * The interval treats the fitted prior as known (it does not widen for the prior's own
 * uncertainty; see docs/scoring.md §10).
 */
export function shrunkScore(t: Tally, prior: PeerPrior, opts?: { confidence?: number }): ShrunkScore {
  const level = opts?.confidence ?? 0.95;
  const z = confidenceZ(level);
  const [p, a, d] = countsOf(t);
  const n = p + a + d;
  const size = n + prior.strength;
  // No answers and no prior weight (every peer unanimous): the prior mean itself.
  const mPlus = size > 0 ? (p + prior.strength * prior.promoterShare) / size : prior.promoterShare;
  const mMinus = size > 0 ? (d + prior.strength * prior.detractorShare) / size : prior.detractorShare;
  // The mean from P − D directly: equal n and equal raw scores give exactly equal shrunk scores.
  const centre = size > 0 ? (p - d + prior.strength * (prior.promoterShare - prior.detractorShare)) / size : prior.promoterShare - prior.detractorShare;
  const sd = Math.sqrt(Math.max(0, (mPlus + mMinus - centre * centre) / (size + 1)));
  const clamp = (x: number) => Math.min(100, Math.max(-100, x));
  return { nps: clamp(100 * centre), ci: { low: clamp(100 * (centre - z * sd)), high: clamp(100 * (centre + z * sd)), level } };
}
