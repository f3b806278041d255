import { and, asc, eq, isNull, lte } from 'drizzle-orm';
import type { Db } from '../db/client';
import { surveys, tenants, touchpoints, units, waves } from '../db/schema';

/*
 * A named cross-tenant sweep (test/node/data-layer.test.ts): the one query that finds the due
 * waves of every tenant of a data database. Each wave is then run through a handle bound to
 * its tenant (run.ts).
 */

/** Due waves looked at per tick, the longest overdue first. */
const WAVES_PER_TICK = 50;

/** The waves due at the scheduled time, with their touchpoint, published version, root time zone and tenant settings. */
export function dueWaves(db: Db, scheduledTime: number) {
  return db
    .select({ wave: waves, touchpoint: touchpoints, publishedVersion: surveys.publishedVersion, timezone: units.timezone, settings: tenants.settings })
    .from(waves)
    .innerJoin(touchpoints, and(eq(touchpoints.id, waves.touchpointId), eq(touchpoints.tenantId, waves.tenantId)))
    .innerJoin(surveys, and(eq(surveys.id, touchpoints.surveyId), eq(surveys.tenantId, touchpoints.tenantId)))
    .innerJoin(units, and(eq(units.tenantId, waves.tenantId), isNull(units.parentId)))
    .innerJoin(tenants, eq(tenants.id, waves.tenantId))
    .where(and(eq(waves.active, true), lte(waves.nextRunAt, scheduledTime)))
    .orderBy(asc(waves.nextRunAt))
    .limit(WAVES_PER_TICK);
}

export type DueWave = Awaited<ReturnType<typeof dueWaves>>[number];
