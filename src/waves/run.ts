import { TenantDb, type TenantInsert } from '../db/tenant-db';
import type { DatabaseRun } from '../db/plane';
import { and, asc, eq, getTableColumns, isNotNull, notExists, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { auditStatement } from '../audit/record';
import { commit } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import { contacts, events, invitations, waves } from '../db/schema';
import { contactHistory, decide, invitedTodayQuery, readRules, recordInvitation, samplePoint, toHistory } from '../events/eligibility';
import { chunked, scheduledInvitation, type NewInvitation } from '../events/invitation';
import { newId } from '../lib/ids';
import { SettingsSchema } from '../settings/settings';
import { dueWaves, type DueWave } from './due';
import { nextRunAfter } from './schedule';
import type { Audience } from './waves';

/** Contacts decided per cron tick, over all waves: a larger run goes on at the next tick. */
export const WAVE_CONTACTS_PER_TICK = 1000;

/** The event type of a wave run's decisions in the events table. */
export const WAVE_EVENT_TYPE = 'wave.run';

/** `wave:<waveId>:<runAt>`: the invitations' source and the sampling key of one run. */
export const runKey = (waveId: string, runAt: number) => `wave:${waveId}:${new Date(runAt).toISOString()}`;

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
async function stepWave(t: TenantDb, due: DueWave, scheduledTime: number, budget: number): Promise<number> {
  const { wave, touchpoint } = due;
  const tenantId = wave.tenantId;
  const runAt = wave.nextRunAt;
  const key = runKey(wave.id, runAt);
  const decided = t
    .select({ one: sql`1` })
    .from(events)
    .where(eq(events.eventId, sql`${`${key}:`} || ${contacts.id}`));
  // Each contact with its history (eligibility.ts contactHistory), looking back from the run's time.
  const pending = await t
    .select({ ...getTableColumns(contacts), ...contactHistory(t, { from: runAt, to: runAt }) })
    .from(contacts)
    .where(and(audienceFilter(wave.audience as Audience), notExists(decided)))
    .orderBy(asc(contacts.id))
    .limit(budget);
  const complete = pending.length < budget;
  const now = Date.now();
  const settings = SettingsSchema.parse(due.settings ?? {});
  const program = { ...touchpoint, rules: readRules(touchpoint.id, touchpoint.rules), publishedVersion: due.publishedVersion };

  const eventRows: TenantInsert<typeof events>[] = [];
  const invitationRows: NewInvitation[] = [];
  if (pending.length > 0) {
    const history = toHistory(pending, await invitedTodayQuery(t, [touchpoint.id], now));
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

  const statements: BatchItem<'sqlite'>[] = [...chunked(invitationRows).map((rows) => t.insert(invitations).values(rows)), ...chunked(eventRows).map((rows) => t.insert(events).values(rows))];
  let nextRunAt: number | null = null;
  if (complete) {
    // Runs missed while the job was down are not caught up: the next one is after now.
    nextRunAt = nextRunAfter(wave.schedule, due.timezone, Math.max(scheduledTime, runAt));
    statements.push(
      t
        .update(waves)
        .set({ lastRunAt: runAt, nextRunAt: nextRunAt ?? runAt, active: nextRunAt !== null, updatedAt: now })
        .where(and(eq(waves.id, wave.id), eq(waves.nextRunAt, runAt))),
    );
  }
  if (statements.length === 0) return 0;
  statements.push(
    ...(await auditStatement(t, {
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
    await commit(t, statements);
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
      budget -= await stepWave(new TenantDb(db, due.wave.tenantId), due, scheduledTime, budget);
    } catch (err) {
      console.error(JSON.stringify({ level: 'error', job: 'runDueWaves', waveId: due.wave.id, message: String(err), cause: String((err as Error).cause ?? '') }));
      failures.push(err);
    }
  }
  if (failures.length) throw new AggregateError(failures, `${failures.length} wave(s) failed`);
}
