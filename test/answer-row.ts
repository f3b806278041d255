import type { responses } from '../src/db/schema';
import { newId } from '../src/lib/ids';

// Shared by the workers suites (through program-fixture.ts) and the node suites: no import of either pool's own.
/**
 * A counted answer of a touchpoint's survey (version 1, by link, in English) at a unit, given at
 * `at`, for a suite to insert straight into \`responses\`; `extra` sets any other column (a
 * vendor, an agent, a comment, another creation time).
 */
export const answerRow = (
  tenantId: string,
  tp: { id: string; surveyId: string },
  unitId: string,
  score: number,
  at: number,
  extra: Partial<typeof responses.$inferInsert> = {},
): typeof responses.$inferInsert => ({
  id: newId('rsp'),
  tenantId,
  touchpointId: tp.id,
  unitId,
  surveyId: tp.surveyId,
  surveyVersion: 1,
  channel: 'link',
  locale: 'en',
  score,
  counted: true,
  createdAt: at,
  updatedAt: at,
  ...extra,
});
