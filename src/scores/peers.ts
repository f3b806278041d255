import { eq } from 'drizzle-orm';
import { units } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import { ApiError } from '../lib/errors';
import type { Unit } from '../org/units';
import type { Tally } from '../scoring/nps';
import { fitPeerPrior, type PeerPrior, shrunkScore, type ShrunkScore } from '../scoring/shrinkage';
import { gather, type Grouped, type ScoresScope, weighTally } from './query';

/*
 * `estimate=shrunk` on the scores (docs/scoring.md §10): each unit's score shrunk toward its
 * peers, the sibling units of the same kind under one parent, by the scoring module's
 * empirical-Bayes functions. Read only when asked: the common score query does none of this.
 */

/** Which queries can be shrunk: units, unweighted. Anything else is a 422 naming the parameter. */
export function assertShrinkable(q: { groupBy?: string; weight: string; vendorId?: string; agentId?: string }) {
  const problem =
    q.vendorId !== undefined || q.agentId !== undefined
      ? 'shrinks whole units toward their siblings: not with vendorId or agentId'
      : q.groupBy !== undefined && q.groupBy !== 'unit'
        ? 'shrinks units toward their sibling units: use no groupBy (the unit toward its siblings) or groupBy=unit (the children toward each other)'
        : q.weight !== 'none'
          ? 'is fitted on answer counts: use weight=none'
          : null;
  if (problem) throw new ApiError('UNPROCESSABLE', `estimate=shrunk ${problem}`, [{ path: 'query.estimate', message: problem }]);
}

/** The peer groups of a scores query: the tallies of sibling units per period, and each sibling's kind. */
export interface PeerGroups {
  /** Unit id → kind, for the children of the parent whose children are the peers. */
  kinds: Map<string, string>;
  /** group (a child unit id) → period → cells, as `gather` returns them. */
  grouped: Grouped;
}

const childKinds = async (t: TenantDb, parentId: string) =>
  new Map((await t.select({ id: units.id, kind: units.kind }).from(units).where(eq(units.parentId, parentId))).map((u) => [u.id, u.kind as string]));

/**
 * The peers to shrink toward. With groupBy=unit the items are the children of the scored unit, so
 * the gathered groups themselves are the peers (only their kinds are read). Without a groupBy the
 * scored unit is one child of its parent: the parent's subtree is gathered by child (through the
 * same rollups, in parallel with the main read). The root has no siblings: null.
 */
export async function readPeers(t: TenantDb, unit: Unit, scope: ScoresScope, current: Promise<Grouped>): Promise<PeerGroups | null> {
  if (scope.groupBy === 'unit') {
    const [kinds, grouped] = await Promise.all([childKinds(t, unit.id), current]);
    return { kinds, grouped };
  }
  if (!unit.parentId) return null;
  const parentPath = unit.path.slice(0, unit.path.slice(0, -1).lastIndexOf('/') + 1);
  const [kinds, grouped] = await Promise.all([childKinds(t, unit.parentId), gather(t, { ...scope, root: { id: unit.parentId, path: parentPath }, groupBy: 'unit', weight: 'none' })]);
  return { kinds, grouped };
}

/**
 * A function giving an item's shrunk score: `unitId` is the unit the item scores (a child with
 * groupBy=unit, else the scored unit), `period` its period key, `tally` its counts. Null for a
 * unit that is not among the peers' children (a unit's own answers) or whose peer group of that
 * period and kind has fewer than three units with answers.
 */
export function shrinker(peers: PeerGroups | null, confidence: number) {
  const priors = new Map<string, PeerPrior | null>();
  const priorOf = (period: string, kind: string) => {
    const key = `${period}\u0000${kind}`;
    if (!priors.has(key)) {
      const tallies: Tally[] = [];
      for (const [unitId, byPeriod] of peers!.grouped) {
        const cells = byPeriod.get(period);
        if (cells && peers!.kinds.get(unitId) === kind) tallies.push(weighTally(cells, 'none'));
      }
      priors.set(key, fitPeerPrior(tallies));
    }
    return priors.get(key)!;
  };
  return (unitId: string, period: string, tally: Tally): ShrunkScore | null => {
    const kind = peers?.kinds.get(unitId);
    if (!kind) return null;
    const prior = priorOf(period, kind);
    return prior ? shrunkScore(tally, prior, { confidence }) : null;
  };
}
