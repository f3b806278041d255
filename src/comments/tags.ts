import { eq } from 'drizzle-orm';
import { dataPlane } from '../db/plane';
import { commentAnalyses, responses } from '../db/schema';
import { TenantDb, type TenantInsert } from '../db/tenant-db';
import { placeholders, runBatch, tenantBatchStatement } from '../db/prepared';
import type { Config } from '../env';
import { analyse } from './analyse';
import { ensureLibrary, type Library } from './library';
import { languageOf } from './languages';
import { matchThemes } from './match';
import { rerouteByTheme } from '../cases/reroute';

/**
 * Stored analyses (docs/themes.md "Storage"): one row per comment or case note, written in the
 * follow-up of the answer (src/cases/follow-up.ts) or when a comment comes after the score
 * (`comment.analyse`), never at query time. Idempotent: the row's id is the comment's.
 */

export interface Commented {
  id: string;
  unitId: string;
  score: number | null;
  counted: boolean;
  comment: string;
  locale: string;
  createdAt: number;
}

/** The row of a response's comment; its themes as of the library's version. */
export function responseAnalysis(lib: Library, r: Commented, now = Date.now()) {
  const a = analyse(r.comment, languageOf(r.locale));
  return {
    id: r.id,
    kind: 'response' as const,
    responseId: r.id,
    caseId: null,
    unitId: r.unitId,
    score: r.score,
    counted: r.counted,
    language: a.language,
    sentiment: a.sentiment,
    stems: a.stems,
    words: a.words,
    phrases: a.phrases,
    themes: matchThemes(lib.compiled, a.language, a.stems),
    libraryVersion: lib.version,
    createdAt: r.createdAt,
    analysedAt: now,
  };
}

const ANALYSIS_COLUMNS = [
  'id',
  'kind',
  'responseId',
  'caseId',
  'unitId',
  'score',
  'counted',
  'language',
  'sentiment',
  'stems',
  'words',
  'phrases',
  'themes',
  'libraryVersion',
  'createdAt',
  'analysedAt',
] as const;
const analysisInsert = tenantBatchStatement((t) =>
  t
    .insert(commentAnalyses)
    .values(placeholders(ANALYSIS_COLUMNS) as unknown as TenantInsert<typeof commentAnalyses>)
    .onConflictDoNothing()
    .prepare(),
);

/** The insert of a response's analysis, for a batch (runBatch); a second one for the same comment adds nothing. */
export const insertAnalysis = (t: TenantDb, row: Record<(typeof ANALYSIS_COLUMNS)[number], unknown> & ReturnType<typeof responseAnalysis>) => analysisInsert(t, row);

/** The row of a case note: analysed as a comment is, in the language of the case's answer when the note's own is unsure. */
export function noteAnalysis(lib: Library, n: { id: string; caseId: string; responseId: string; unitId: string; note: string; locale: string; createdAt: number }, now = Date.now()) {
  const a = analyse(n.note, languageOf(n.locale));
  return {
    id: n.id,
    kind: 'note' as const,
    responseId: n.responseId,
    caseId: n.caseId,
    unitId: n.unitId,
    score: null,
    counted: false,
    language: a.language,
    sentiment: a.sentiment,
    stems: a.stems,
    words: a.words,
    phrases: a.phrases,
    themes: matchThemes(lib.compiled, a.language, a.stems),
    libraryVersion: lib.version,
    createdAt: n.createdAt,
    analysedAt: now,
  };
}

/**
 * Consumer of `comment.analyse`: a comment that came after its score (capture's second submit)
 * is analysed and stored. Exactly once in effect: an analysed comment is left as it is.
 */
export async function analyseLateComment(config: Config, tenantId: string, responseId: string): Promise<void> {
  const db = await dataPlane(config).forTenant(tenantId, { write: true });
  if (!db) return;
  const t = new TenantDb(db, tenantId);
  const [[row], [done]] = await t.batch([
    t
      .select({ id: responses.id, unitId: responses.unitId, score: responses.score, counted: responses.counted, comment: responses.comment, locale: responses.locale, createdAt: responses.createdAt })
      .from(responses)
      .where(eq(responses.id, responseId)),
    t.select({ id: commentAnalyses.id, themes: commentAnalyses.themes }).from(commentAnalyses).where(eq(commentAnalyses.id, responseId)),
  ]);
  if (!row) throw new Error(`response ${responseId} of tenant ${tenantId} not found`);
  // Analysed already (a redelivery, or the follow-up came later): the reroute is retried, it changes nothing twice.
  if (done) return void (await rerouteByTheme(t, responseId, done.themes));
  if (!row.comment?.trim()) return;
  const lib = await ensureLibrary(t, tenantId);
  const analysis = responseAnalysis(lib, { ...row, comment: row.comment });
  await runBatch(t, [insertAnalysis(t, analysis)]);
  // A routing rule by theme may now send the case (opened by the score alone) elsewhere.
  await rerouteByTheme(t, responseId, analysis.themes);
}
