import { and, asc, inArray, lt } from 'drizzle-orm';
import { z } from 'zod';
import { commit } from '../db/client';
import { dataPlane } from '../db/plane';
import { commentAnalyses } from '../db/schema';
import { TenantDb } from '../db/tenant-db';
import { loadConfig, type Env } from '../env';
import type { JobMessage } from '../jobs/queue';
import { ensureLibrary, retagMessage } from './library';
import { matchThemes } from './match';
import { analyseLateComment } from './tags';

/**
 * Re-tagging after a library edit (docs/themes.md "Re-tagging"): the analyses tagged under an
 * older library version get their themes again from their stored stems (no comment is read or
 * analysed again), a chunk at a time, through the index on (tenant, library version). A message
 * does what fits in its budget and sends the next one for the rest.
 */

const CHUNK = 1000;
/** Rows one message re-tags before handing the rest to the next message. */
const PER_MESSAGE = 20_000;

/** Re-tags up to `limit` stale analyses of the tenant; answers how many it re-tagged and whether any are left. */
export async function retagTenant(t: TenantDb, tenantId: string, limit = PER_MESSAGE): Promise<{ retagged: number; more: boolean; version: number }> {
  const lib = await ensureLibrary(t, tenantId);
  let retagged = 0;
  for (;;) {
    const rows = await t
      .select({ id: commentAnalyses.id, language: commentAnalyses.language, stems: commentAnalyses.stems, themes: commentAnalyses.themes })
      .from(commentAnalyses)
      .where(lt(commentAnalyses.libraryVersion, lib.version))
      .orderBy(asc(commentAnalyses.libraryVersion))
      .limit(CHUNK);
    if (!rows.length) return { retagged, more: false, version: lib.version };
    // One update per distinct theme set: a chunk costs a handful of statements, not one per row.
    const bySet = new Map<string, string[]>();
    for (const r of rows) {
      const key = JSON.stringify(matchThemes(lib.compiled, r.language, r.stems));
      const ids = bySet.get(key) ?? [];
      ids.push(r.id);
      bySet.set(key, ids);
    }
    await commit(
      t,
      [...bySet.entries()].map(([key, ids]) =>
        t
          .update(commentAnalyses)
          .set({ themes: JSON.parse(key) as string[], libraryVersion: lib.version })
          .where(and(inArray(commentAnalyses.id, ids), lt(commentAnalyses.libraryVersion, lib.version))),
      ),
    );
    retagged += rows.length;
    if (rows.length < CHUNK) return { retagged, more: false, version: lib.version };
    if (retagged >= limit) return { retagged, more: true, version: lib.version };
  }
}

const Retag = z.object({ type: z.literal('themes.retag'), tenantId: z.string().min(1), version: z.number().int().optional(), idempotencyKey: z.string().min(1) });

/** Consumer of `themes.retag`: re-tags a tenant's stale analyses, sending itself again while some are left. */
export async function handleRetag(message: JobMessage, env: Env): Promise<void> {
  const body = Retag.parse(message);
  const config = loadConfig(env);
  const db = await dataPlane(config).forTenant(body.tenantId, { write: true });
  if (!db) return;
  const t = new TenantDb(db, body.tenantId);
  const done = await retagTenant(t, body.tenantId);
  if (done.more) {
    if (!env.WORKFLOW_QUEUE) throw new Error('WORKFLOW_QUEUE is not bound');
    await env.WORKFLOW_QUEUE.send({ ...retagMessage(body.tenantId, done.version), idempotencyKey: `themes.retag:${body.tenantId}:${done.version}:${Date.now()}` });
  }
}

const Late = z.object({ type: z.literal('comment.analyse'), tenantId: z.string().min(1), responseId: z.string().min(1), idempotencyKey: z.string().min(1) });

/** Consumer of `comment.analyse` (a comment after its score). */
export async function handleLateComment(message: JobMessage, env: Env): Promise<void> {
  const body = Late.parse(message);
  await analyseLateComment(loadConfig(env), body.tenantId, body.responseId);
}
