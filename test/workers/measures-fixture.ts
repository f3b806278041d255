import { commit } from '../../src/db/client';
import { contacts, events, invitations, responses } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import type { SurveySetup } from './capture-fixture';
import { db, uniq } from './support';

/**
 * Answers as the event flow leaves them, written straight to the database: a contact, the event
 * with its attributes, the invitation it made (`source = event:<id>`) and the answer to it, which
 * names its event as capture's answers do.
 */
export interface PlantedAnswer {
  unitId: string;
  at: number;
  score: number;
  attributes?: Record<string, unknown>;
  answers?: Record<string, unknown>;
  counted?: boolean;
  comment?: string;
}

export async function plantAnswers(tenantId: string, s: SurveySetup, planted: PlantedAnswer[]) {
  const d = db(tenantId);
  const tag = uniq();
  const statements = [];
  const ids: string[] = [];
  for (const [i, a] of planted.entries()) {
    const contactId = newId('ct');
    const eventId = `ev-${tag}-${i}`;
    const invitationId = newId('inv');
    const responseId = newId('rsp');
    const eventRowId = newId('evt');
    ids.push(responseId);
    statements.push(
      d.insert(contacts).values({ id: contactId, tenantId, externalId: `c-${tag}-${i}`, createdAt: a.at, updatedAt: a.at }),
      d.insert(invitations).values({
        id: invitationId,
        tenantId,
        contactId,
        unitId: a.unitId,
        touchpointId: s.touchpointId,
        surveyId: s.surveyId,
        surveyVersion: 1,
        channel: 'email',
        status: 'sent',
        source: `event:${eventId}`,
        dueAt: a.at,
        sentAt: a.at,
        expiresAt: a.at + 30 * 86_400_000,
        createdAt: a.at,
        updatedAt: a.at,
      }),
      d.insert(events).values({
        id: eventRowId,
        tenantId,
        eventId,
        type: 'ticket.resolved',
        occurredAt: a.at,
        contactId,
        unitId: a.unitId,
        touchpointId: s.touchpointId,
        attributes: a.attributes ?? {},
        decision: 'invite',
        reason: 'eligible',
        invitationId,
        createdAt: a.at,
      }),
      d.insert(responses).values({
        id: responseId,
        tenantId,
        invitationId,
        touchpointId: s.touchpointId,
        unitId: a.unitId,
        contactId,
        surveyId: s.surveyId,
        surveyVersion: 1,
        channel: 'email',
        locale: 'en',
        score: a.score,
        comment: a.comment ?? null,
        answers: a.answers ?? {},
        qualityFlags: [],
        counted: a.counted ?? true,
        // As capture keeps it: the row id of the event that invited the answer.
        eventId: eventRowId,
        answeredAt: a.at,
        createdAt: a.at,
        updatedAt: a.at,
      }),
    );
  }
  for (let i = 0; i < statements.length; i += 400) await commit(d, statements.slice(i, i + 400));
  return ids;
}

/** A seeded stream (Park–Miller) for planted data. */
export function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}
