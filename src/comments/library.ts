import { and, asc, eq, getTableColumns, ne, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { audit, auditStatement } from '../audit/record';
import { requireAnywhere, requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { surveys, themeLibrary, themeLibraryState } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import { runBatch, tenantBatchStatement } from '../db/prepared';
import type { Deps } from '../lib/deps';
import { ApiError, conflict, notFound, type ErrorDetail } from '../lib/errors';
import { newId } from '../lib/ids';
import { languageOf, LANGUAGES } from './languages';
import { compileLibrary, compileTerm, type CompiledLibrary } from './match';
import { STARTER, STARTER_LANGUAGES } from './starter';

/**
 * A tenant's theme library (docs/themes.md "Theme library"): named themes with terms per
 * language, matched by stem against stored analyses. The library has a version; every edit bumps
 * it in the same batch and asks for a re-tag of the analyses tagged under an older version
 * (src/comments/retag.ts). The starter library is laid the first time the library is needed.
 */

export type ThemeRow = typeof themeLibrary.$inferSelect;

export interface Library {
  version: number;
  /** The state row's updated_at: every edit moves it, a rename too. */
  stamp: number;
  themes: ThemeRow[];
  compiled: CompiledLibrary;
}

/** The latest library seen per tenant in this isolate: a follow-up then reads one row (the version), not the themes. */
const libraryCache = new Map<string, Library>();
const LIBRARY_CACHE_MAX = 1000;

const stateRead = tenantBatchStatement((t) => t.select().from(themeLibraryState).prepare());
const allThemesRead = tenantBatchStatement((t) => t.select().from(themeLibrary).orderBy(asc(themeLibrary.name)).prepare());
// A rename changes no version (no tag moves) but the state's updated_at: either makes the themes
// read again. The state row leads the join, so that an unchanged library reads that one row and
// no theme (a condition on the themes' own select still walked every theme: Turso bills each).
const changedThemesRead = tenantBatchStatement((t) =>
  t
    .select(getTableColumns(themeLibrary))
    .from(themeLibraryState)
    .innerJoin(themeLibrary, sql`true`)
    .where(sql`(${themeLibraryState.version} || ':' || ${themeLibraryState.updatedAt}) is not ${sql.placeholder('known')}`)
    .orderBy(asc(themeLibrary.name))
    .prepare(),
);

/**
 * The two reads of a library, to run in a caller's batch (runBatch): the state row, and the
 * themes only when the version differs from the one this isolate knows (`known`, handed back to
 * libraryFrom).
 */
export function libraryReads(t: TenantDb) {
  const known = libraryCache.get(String(t.tenantId)) ?? null;
  const themes = known ? changedThemesRead(t, { known: `${known.version}:${known.stamp}` }) : allThemesRead(t, {});
  return Object.assign([stateRead(t, {}), themes] as const, { known });
}

/** The library from its two reads; null when the tenant has none yet (see ensureLibrary). */
export function libraryFrom(tenantId: string, state: (typeof themeLibraryState.$inferSelect)[], themes: ThemeRow[], known: Library | null): Library | null {
  const s = state[0];
  if (!s) return null;
  // The themes were not read: the library is the one known.
  if (known && known.version === s.version && known.stamp === s.updatedAt) return known;
  const lib = { version: s.version, stamp: s.updatedAt, themes, compiled: compileLibrary(themes) };
  const cached = libraryCache.get(tenantId);
  if (!cached || cached.version < lib.version || (cached.version === lib.version && cached.stamp < lib.stamp)) {
    if (libraryCache.size >= LIBRARY_CACHE_MAX) libraryCache.clear();
    libraryCache.set(tenantId, lib);
  }
  return lib;
}

/** The languages of the tenant's surveys: each survey's default locale and its translations. */
async function surveyLanguages(t: TenantDb): Promise<string[]> {
  const rows = await t.select({ locale: surveys.defaultLocale, draft: surveys.draft }).from(surveys);
  const langs = new Set<string>();
  for (const r of rows) {
    langs.add(languageOf(r.locale));
    const translations = (r.draft as { translations?: Record<string, unknown> })?.translations ?? {};
    for (const l of Object.keys(translations)) langs.add(languageOf(l));
  }
  return [...langs].sort();
}

/**
 * The tenant's library, laying the starter library first when it has none: the starter themes in
 * the languages of its surveys that the starter has (English when none). Concurrent first calls
 * are safe: the state row and theme names are unique, a second seeding adds nothing.
 */
export async function ensureLibrary(t: TenantDb, tenantId: string, known?: Library | null): Promise<Library> {
  if (known) return known;
  const reads = libraryReads(t);
  const [state, themes] = await runBatch(t, [reads[0], reads[1]]);
  const found = libraryFrom(tenantId, state, themes, reads.known);
  if (found) return found;
  const wanted = (await surveyLanguages(t)).filter((l) => STARTER_LANGUAGES.includes(l));
  const languages = wanted.length ? wanted : ['en'];
  const now = Date.now();
  const rows = STARTER.map((s) => ({
    id: newId('thm'),
    name: s.name,
    terms: Object.fromEntries(languages.flatMap((l) => (s.terms[l] ? [[l, s.terms[l]]] : []))),
    origin: 'starter' as const,
    createdAt: now,
    updatedAt: now,
  }));
  await commit(t, [
    t.insert(themeLibraryState).values({ version: 1, languages, updatedAt: now }).onConflictDoNothing(),
    ...rows.map((r) => t.insert(themeLibrary).values(r).onConflictDoNothing()),
    ...(await auditStatement(t, {
      actor: { type: 'system', id: null },
      action: 'theme_library.seed',
      targetType: 'theme_library',
      targetId: tenantId,
      after: { languages, themes: rows.map((r) => r.name) },
    })),
  ]);
  const again = libraryReads(t);
  const [state2, themes2] = await runBatch(t, [again[0], again[1]]);
  return libraryFrom(tenantId, state2, themes2, again.known)!;
}

export interface ThemeInput {
  name: string;
  terms: Record<string, string[]>;
}

/** Every term must match something: a known language, at least one content word, at most three. Throws 400 with each bad term's path. */
export function checkTerms(terms: Record<string, string[]>, path = 'body.terms'): Record<string, string[]> {
  const issues: ErrorDetail[] = [];
  const out: Record<string, string[]> = {};
  for (const [rawLanguage, list] of Object.entries(terms)) {
    const language = rawLanguage.toLowerCase();
    if (!LANGUAGES.has(language)) {
      issues.push({ path: `${path}.${rawLanguage}`, message: `unknown language "${rawLanguage}": give an ISO 639-1 code the analysis knows (e.g. en, de, fr, es)` });
      continue;
    }
    const kept: string[] = [];
    list.forEach((term, i) => {
      const c = compileTerm(term, language);
      if ('error' in c) issues.push({ path: `${path}.${rawLanguage}.${i}`, message: `"${term}" ${c.error}` });
      else if (!kept.some((k) => k.toLowerCase() === term.trim().toLowerCase())) kept.push(term.trim());
    });
    if (kept.length) out[language] = [...(out[language] ?? []), ...kept];
  }
  if (!issues.length && Object.keys(out).length === 0) issues.push({ path, message: 'a theme needs at least one term' });
  if (issues.length) throw new ApiError('VALIDATION_FAILED', 'invalid theme terms', issues);
  return out;
}

export const presentTheme = (r: ThemeRow) => ({
  id: r.id,
  name: r.name,
  terms: r.terms,
  origin: r.origin,
  createdAt: new Date(r.createdAt).toISOString(),
  updatedAt: new Date(r.updatedAt).toISOString(),
});

/** The library for anyone who reads scores somewhere: its version, the starter's languages and the themes by name. */
export async function listLibrary(d: Deps) {
  requireAnywhere(d, 'score.read', 'reading the theme library');
  const lib = await ensureLibrary(d.t, d.actor.tenantId);
  return { version: lib.version, items: lib.themes.map(presentTheme) };
}

/** The statement that bumps the version (the library exists: every edit calls ensureLibrary first). */
const bump = (t: TenantDb, now: number) => t.update(themeLibraryState).set({ version: sql`${themeLibraryState.version} + 1`, updatedAt: now });

async function nameTaken(t: TenantDb, name: string, except?: string) {
  const [row] = await t
    .select({ id: themeLibrary.id })
    .from(themeLibrary)
    .where(and(sql`lower(${themeLibrary.name}) = lower(${name})`, except ? ne(themeLibrary.id, except) : undefined));
  return !!row;
}

export const retagMessage = (tenantId: string, version: number) => ({ type: 'themes.retag', tenantId, version, idempotencyKey: `themes.retag:${tenantId}:${version}` });

/** Asks the workflow to re-tag the tenant's analyses (src/comments/retag.ts); a failed send is logged, the next edit's message re-tags all that is stale. */
async function requestRetag(d: Pick<Deps, 'env' | 'actor'>, version: number) {
  try {
    if (!d.env.WORKFLOW_QUEUE) throw new Error('WORKFLOW_QUEUE is not bound');
    await d.env.WORKFLOW_QUEUE.send(retagMessage(d.actor.tenantId, version));
  } catch (err) {
    console.error(JSON.stringify({ level: 'error', message: 'themes.retag not enqueued', tenantId: d.actor.tenantId, error: String(err) }));
  }
}

/** Creates a theme (admin on the root); answers it with the new library version. */
export async function createTheme(d: Deps, input: ThemeInput & { origin?: 'admin' | 'discovered' }) {
  await requireTenantWide(d, 'settings.manage', 'editing the theme library');
  const terms = checkTerms(input.terms);
  const { t } = d;
  const lib = await ensureLibrary(t, d.actor.tenantId);
  if (await nameTaken(t, input.name)) throw conflict(`a theme named "${input.name}" exists`);
  const now = Date.now();
  const row: ThemeRow = { id: newId('thm'), tenantId: d.actor.tenantId, name: input.name, terms, origin: input.origin ?? 'admin', createdAt: now, updatedAt: now };
  const { tenantId: _t, ...values } = row;
  await commit(t, [
    t.insert(themeLibrary).values(values),
    bump(t, now),
    ...(await audit(d, { action: 'theme.create', targetType: 'theme', targetId: row.id, after: row, details: { version: lib.version + 1 } })),
  ]);
  await requestRetag(d, lib.version + 1);
  return { ...presentTheme(row), version: lib.version + 1 };
}

async function ownTheme(t: TenantDb, id: string) {
  const [row] = await t.select().from(themeLibrary).where(eq(themeLibrary.id, id));
  if (!row) throw notFound('theme');
  return row;
}

/** Renames a theme or replaces its terms (admin on the root). */
export async function updateTheme(d: Deps, id: string, input: Partial<ThemeInput>) {
  await requireTenantWide(d, 'settings.manage', 'editing the theme library');
  const terms = input.terms ? checkTerms(input.terms) : undefined;
  const { t } = d;
  const lib = await ensureLibrary(t, d.actor.tenantId);
  const before = await ownTheme(t, id);
  if (input.name && (await nameTaken(t, input.name, id))) throw conflict(`a theme named "${input.name}" exists`);
  const now = Date.now();
  const after: ThemeRow = { ...before, name: input.name ?? before.name, terms: terms ?? before.terms, updatedAt: now };
  const statements: BatchItem<'sqlite'>[] = [
    t.update(themeLibrary).set({ name: after.name, terms: after.terms, updatedAt: now }).where(eq(themeLibrary.id, id)),
    ...(await audit(d, { action: 'theme.update', targetType: 'theme', targetId: id, before, after, details: { version: terms ? lib.version + 1 : lib.version } })),
  ];
  // A new name changes no tag: only new terms re-tag (a rename still moves the state's stamp).
  statements.push(terms ? bump(t, now) : t.update(themeLibraryState).set({ updatedAt: now }));
  await commit(t, statements);
  if (terms) await requestRetag(d, lib.version + 1);
  return { ...presentTheme(after), version: terms ? lib.version + 1 : lib.version };
}

/** Deletes a theme (admin on the root); its tags go with the re-tag. */
export async function deleteTheme(d: Deps, id: string) {
  await requireTenantWide(d, 'settings.manage', 'editing the theme library');
  const { t } = d;
  const lib = await ensureLibrary(t, d.actor.tenantId);
  const before = await ownTheme(t, id);
  const now = Date.now();
  await commit(t, [
    t.delete(themeLibrary).where(eq(themeLibrary.id, id)),
    bump(t, now),
    ...(await audit(d, { action: 'theme.delete', targetType: 'theme', targetId: id, before, details: { version: lib.version + 1 } })),
  ]);
  await requestRetag(d, lib.version + 1);
  return { version: lib.version + 1 };
}
