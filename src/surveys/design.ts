import { and, asc, desc, eq } from 'drizzle-orm';
import { audit } from '../audit/record';
import { requireAnywhere, requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import { surveys, surveyVersions } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import type { Deps } from '../lib/deps';
import { ApiError, notFound } from '../lib/errors';
import { base64url, newId } from '../lib/ids';
import { scorePage } from '../survey-page/render';
import { missingTexts, requiredTexts, type Definition } from './definition';
import { standardSurvey } from './templates';

/*
 * Survey design: drafts, immutable published versions, and the preview of a draft. Reading
 * designs needs `program.read` anywhere; changing them `program.write` on the root unit.
 */

type SurveyRow = typeof surveys.$inferSelect;

const present = (s: SurveyRow) => ({
  id: s.id,
  name: s.name,
  defaultLocale: s.defaultLocale,
  draft: s.draft,
  publishedVersion: s.publishedVersion,
  missingTexts: missingTexts(s.draft as Definition, s.defaultLocale),
  requiredTexts: requiredTexts(s.draft as Definition),
  createdAt: new Date(s.createdAt).toISOString(),
  updatedAt: new Date(s.updatedAt).toISOString(),
});

const presentVersion = (v: typeof surveyVersions.$inferSelect) => ({
  surveyId: v.surveyId,
  version: v.version,
  definition: v.definition,
  publishedBy: v.publishedBy,
  publishedAt: new Date(v.createdAt).toISOString(),
});

const canonical = (d: unknown) => JSON.stringify(d);

async function findSurvey(t: TenantDb, id: string) {
  const survey = await t.select().from(surveys).where(eq(surveys.id, id)).limit(1).get();
  if (!survey) throw notFound('survey');
  return survey;
}

const mayRead = (d: Deps, what = 'reading surveys') => requireAnywhere(d, 'program.read', what);

export async function listSurveys(d: Deps) {
  mayRead(d);
  const rows = await d.t.select().from(surveys).orderBy(asc(surveys.createdAt));
  return { items: rows.map(present) };
}

export async function readSurvey(d: Deps, id: string) {
  mayRead(d);
  return present(await findSurvey(d.t, id));
}

/** A new survey as a draft: the given definition, or the standard NPS survey. */
export async function createSurvey(d: Deps, body: { name: string; defaultLocale: string; definition?: Definition }) {
  await requireTenantWide(d, 'program.write', 'designing surveys');
  const { t, actor } = d;
  const now = Date.now();
  const survey: SurveyRow = {
    id: newId('srv'),
    tenantId: actor.tenantId,
    name: body.name,
    defaultLocale: body.defaultLocale,
    draft: body.definition ?? standardSurvey(body.name),
    publishedVersion: null,
    createdAt: now,
    updatedAt: now,
  };
  await commit(t, [t.insert(surveys).values(survey), ...(await audit(d, { action: 'survey.create', targetType: 'survey', targetId: survey.id, after: survey }))]);
  return present(survey);
}

/** Edits the draft, the name or the default locale; published versions never change. */
export async function updateSurvey(d: Deps, id: string, patch: { name?: string; defaultLocale?: string; definition?: Definition }) {
  await requireTenantWide(d, 'program.write', 'designing surveys');
  const { t } = d;
  const survey = await findSurvey(t, id);
  const after: SurveyRow = { ...survey, name: patch.name ?? survey.name, defaultLocale: patch.defaultLocale ?? survey.defaultLocale, draft: patch.definition ?? survey.draft, updatedAt: Date.now() };
  await commit(t, [
    t.update(surveys).set({ name: after.name, defaultLocale: after.defaultLocale, draft: after.draft, updatedAt: after.updatedAt }).where(eq(surveys.id, survey.id)),
    ...(await audit(d, { action: 'survey.update', targetType: 'survey', targetId: survey.id, before: survey, after, details: { changed: Object.keys(patch) } })),
  ]);
  return present(after);
}

/**
 * Publishes the draft as a new immutable version: 422 listing, per locale, every text the
 * draft lacks; an unchanged draft answers the current version (`unchanged`).
 */
export async function publishSurvey(d: Deps, id: string): Promise<{ version: number; unchanged?: true }> {
  await requireTenantWide(d, 'program.write', 'publishing surveys');
  const { t, actor } = d;
  const survey = await findSurvey(t, id);
  const draft = survey.draft as Definition;
  const missing = missingTexts(draft, survey.defaultLocale);
  if (Object.keys(missing).length > 0) throw new ApiError('UNPROCESSABLE', 'the draft lacks texts; add them before publishing', { missing });
  if (survey.publishedVersion !== null) {
    const [latest] = await t
      .select({ definition: surveyVersions.definition })
      .from(surveyVersions)
      .where(and(eq(surveyVersions.surveyId, survey.id), eq(surveyVersions.version, survey.publishedVersion)));
    if (latest && canonical(latest.definition) === canonical(draft)) return { version: survey.publishedVersion, unchanged: true };
  }
  const version = (survey.publishedVersion ?? 0) + 1;
  const now = Date.now();
  try {
    await commit(t, [
      t.insert(surveyVersions).values({ id: newId('srv_v'), surveyId: survey.id, version, definition: draft, publishedBy: actor.id, createdAt: now }),
      // Guarded by the version read above: a concurrent publish of the same version fails the unique index instead.
      t.update(surveys).set({ publishedVersion: version, updatedAt: now }).where(eq(surveys.id, survey.id)),
      ...(await audit(d, { action: 'survey.publish', targetType: 'survey', targetId: survey.id, after: { version, definition: draft }, details: { version } })),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw new ApiError('CONFLICT', 'another publish of this survey happened at the same time; try again');
    throw err;
  }
  return { version };
}

/** Every published version, newest first. */
export async function listVersions(d: Deps, id: string) {
  mayRead(d);
  const survey = await findSurvey(d.t, id);
  const rows = await d.t.select().from(surveyVersions).where(eq(surveyVersions.surveyId, survey.id)).orderBy(desc(surveyVersions.version));
  return { items: rows.map(presentVersion) };
}

/** One published version, as answered. */
export async function readVersion(d: Deps, id: string, version: number) {
  mayRead(d);
  const survey = await findSurvey(d.t, id);
  const [row] = await d.t
    .select()
    .from(surveyVersions)
    .where(and(eq(surveyVersions.surveyId, survey.id), eq(surveyVersions.version, version)));
  if (!row) throw notFound('survey version');
  return presentVersion(row);
}

/**
 * The hosted survey page of a draft (the given one, else the stored one) in one locale, as a
 * respondent would see it, with a banner saying it is a preview; 422 when the draft has no
 * texts in the locale. Returns the page and the nonce its styles carry.
 */
export async function previewSurvey(d: Deps, id: string, { locale, draft }: { locale: string; draft?: Definition }) {
  mayRead(d, 'previewing surveys');
  const survey = await findSurvey(d.t, id);
  const definition = draft ?? (survey.draft as Definition);
  const locales = [...new Set([survey.defaultLocale, ...Object.keys(definition.translations)])];
  if (!locales.includes(locale)) throw new ApiError('UNPROCESSABLE', `the draft has no texts in "${locale}"; add the locale first`, { locales });
  const missing = missingTexts(definition, survey.defaultLocale)[locale]?.length ?? 0;
  const banner =
    `Preview (${locale}): this form cannot be sent — it has no survey link.` +
    (missing ? ` ${missing} text${missing === 1 ? '' : 's'} missing in ${locale}${locale === survey.defaultLocale ? '' : `, shown in ${survey.defaultLocale} where it has them`}.` : '');
  const nonce = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const page = await scorePage({ definition, defaultLocale: survey.defaultLocale, locale, action: '', state: '', nonce, preview: { banner } });
  return { page, nonce };
}
