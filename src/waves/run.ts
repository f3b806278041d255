import { TenantDb } from '../db/tenant-db';
import type { DatabaseRun } from '../db/plane';
import { and, asc, eq, isNotNull, isNull, lte, notExists, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { auditStatement } from '../audit/record';
import { commit, type Db } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import { contacts, events, invitations, surveys, tenants, touchpoints, units, waves } from '../db/schema';
import { decide, historyQueries, readRules, recordInvitation, samplePoint, toHistory } from '../events/eligibility';
import { chunked, scheduledInvitation, type NewInvitation } from '../events/invitation';
import { newId } from '../lib/ids';
import { SettingsSchema } from '../settings/settings';
import type { Audience } from './routes';
import { nextRunAfter } from './schedule';

/** Contacts decided per cron tick, over all waves: a larger run goes on at the next tick. */
export const WAVE_CONTACTS_PER_TICK = 1000;
/** Due waves looked at per tick, the longest overdue first. */
const WAVES_PER_TICK = 50;

/** The event type of a wave run's decisions in the events table. */
export const WAVE_EVENT_TYPE = 'wave.run';

/** `wave:<waveId>:<runAt>`: the invitations' source and the sampling key of one run. */
export const runKey = (waveId: string, runAt: number) => `wave:${waveId}:${new Date(runAt).toISOString()}`;

type DueWave = Awaited<ReturnType<typeof dueWaves>>[number];

function dueWaves(db: Db, scheduledTime: number) {
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

const audienceFilter = (a: Audience) => (a.kind === 'accounts' ? isNotNull(contacts.accountId) : eq(contacts.segment, a.segment));

/**
 * One step of a wave's due run: the next `budget` audience contacts without a decision for
 * this run are decided by the delivery rules. Each decision is stored as an event
 * (`wave:<waveId>:<runAt>:<contactId>`, unique per tenant), which is what makes the run
 * resumable and idempotent: a contact already decided is never picked again, and a second
 * writer of the same decision fails on the unique index. When no contact is left, the run
 * is closed: lastRunAt is set and nextRunAt moves to the schedule's next time after now.
 * Answers how many contacts it decided.
 */
async function stepWave(db: Db, due: DueWave, scheduledTime: number, budget: number): Promise<number> {
  const { wave, touchpoint } = due;
  const tenantId = wave.tenantId;
  const runAt = wave.nextRunAt;
  const key = runKey(wave.id, runAt);
  const decided = db
    .select({ one: sql`1` })
    .from(events)
    .where(and(eq(events.tenantId, tenantId), eq(events.eventId, sql`${`${key}:`} || ${contacts.id}`)));
  const pending = await db
    .select()
    .from(contacts)
    .where(and(eq(contacts.tenantId, tenantId), audienceFilter(wave.audience as Audience), notExists(decided)))
    .orderBy(asc(contacts.id))
    .limit(budget);
  const complete = pending.length < budget;
  const now = Date.now();
  const settings = SettingsSchema.parse(due.settings ?? {});
  const program = { ...touchpoint, rules: readRules(touchpoint.id, touchpoint.rules), publishedVersion: due.publishedVersion };

  const eventRows: (typeof events.$inferInsert)[] = [];
  const invitationRows: NewInvitation[] = [];
  if (pending.length > 0) {
    const [last, negatives, today] = historyQueries(
      new TenantDb(db, tenantId),
      pending.map((c) => c.id),
      [touchpoint.id],
      { from: runAt, to: runAt },
      now,
    );
    const history = toHistory(await db.batch([last, negatives, today]));
    for (const contact of pending) {
      // No event, so `unresolved` never applies; `recent_negative` looks back from the run's time.
      const decision = decide({ recipient: contact, program, occasion: { at: runAt, samplePoint: await samplePoint(tenantId, contact.id, key) } }, history, settings, now);
      let invitationId: string | null = null;
      if (decision.decision === 'invite') {
        const invitation = scheduledInvitation({
          tenantId,
          contact,
          touchpoint,
          surveyVersion: due.publishedVersion!,
          unitId: wave.unitId,
          channel: decision.channel,
          at: runAt,
          now,
          linkExpiryDays: settings.linkExpiryDays,
          source: key,
        });
        invitationRows.push(invitation);
        recordInvitation(history, contact.id, touchpoint.id, now);
        invitationId = invitation.id;
      }
      eventRows.push({
        id: newId('evt'),
        tenantId,
        eventId: `${key}:${contact.id}`,
        type: WAVE_EVENT_TYPE,
        occurredAt: runAt,
        contactId: contact.id,
        unitId: wave.unitId,
        touchpointId: touchpoint.id,
        attributes: { waveId: wave.id },
        decision: decision.decision,
        reason: decision.reason,
        invitationId,
        createdAt: now,
      });
    }
  }

  const statements: BatchItem<'sqlite'>[] = [...chunked(invitationRows).map((rows) => db.insert(invitations).values(rows)), ...chunked(eventRows).map((rows) => db.insert(events).values(rows))];
  let nextRunAt: number | null = null;
  if (complete) {
    // Runs missed while the job was down are not caught up: the next one is after now.
    nextRunAt = nextRunAfter(wave.schedule, due.timezone, Math.max(scheduledTime, runAt));
    statements.push(
      db
        .update(waves)
        .set({ lastRunAt: runAt, nextRunAt: nextRunAt ?? runAt, active: nextRunAt !== null, updatedAt: now })
        .where(and(eq(waves.tenantId, tenantId), eq(waves.id, wave.id), eq(waves.nextRunAt, runAt))),
    );
  }
  if (statements.length === 0) return 0;
  statements.push(
    ...(await auditStatement(new TenantDb(db, tenantId), {
      actor: { type: 'system', id: null },
      action: 'wave.run',
      targetType: 'wave',
      targetId: wave.id,
      details: {
        runAt: new Date(runAt).toISOString(),
        decided: eventRows.length,
        invited: invitationRows.length,
        complete,
        ...(complete ? { nextRunAt: nextRunAt === null ? null : new Date(nextRunAt).toISOString() } : {}),
      },
    })),
  );
  try {
    await commit(db, statements);
  } catch (err) {
    // Another run of the job decided some of these contacts first: nothing of this step stays.
    if (isUniqueViolation(err)) return 0;
    throw err;
  }
  return eventRows.length;
}

/**
 * Every minute: starts or continues the waves that are due (nextRunAt ≤ the scheduled time),
 * deciding at most `contactsPerTick` contacts in all; what is left waits for the next tick.
 * A wave that fails is logged and the others still run; the job fails afterwards.
 */
export async function runDueWaves({ db }: DatabaseRun, scheduledTime: number, contactsPerTick = WAVE_CONTACTS_PER_TICK): Promise<void> {
  let budget = contactsPerTick;
  const failures: unknown[] = [];
  for (const due of await dueWaves(db, scheduledTime)) {
    if (budget <= 0) break;
    try {
      budget -= await stepWave(db, due, scheduledTime, budget);
    } catch (err) {
      console.error(JSON.stringify({ level: 'error', job: 'runDueWaves', waveId: due.wave.id, message: String(err), cause: String((err as Error).cause ?? '') }));
      failures.push(err);
    }
  }
  if (failures.length) throw new AggregateError(failures, `${failures.length} wave(s) failed`);
}
