import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { audit } from '../audit/record';
import { authenticate } from '../auth/authenticate';
import { requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import { createRouter, type AppContext } from '../lib/create-app';
import { notFound } from '../lib/errors';
import { AUTHED, errors, json, jsonBody, security } from '../lib/openapi';
import { applyInput, ContactInput, ContactSchema, ExternalIdParam, findContact, presentContact, upsertStatement } from './contact';
import { MAX_IMPORT_ROWS, readImport, type ImportType } from './import';

/** Upserts per commit of an import: each commit is one transaction with its audit row. */
const IMPORT_CHUNK = 500;

const ImportResult = z
  .object({
    accepted: z.number().int(),
    rejected: z.array(
      z.object({ row: z.number().int().openapi({ description: '1-based line of the upload (the header is line 1 of a CSV)' }), externalId: z.string().optional(), reason: z.string() }),
    ),
  })
  .openapi('ContactImportResult');

const requireContactAdmin = (c: AppContext) => requireTenantWide(deps(c), 'contact.manage', 'managing contacts');

const tags = ['contacts'];
const routes = {
  put: createRoute({
    method: 'put',
    path: '/api/v1/contacts/{externalId}',
    tags,
    summary: 'Create or update a contact by its external id',
    description: 'Fields given are set (`null` clears one), fields left out keep their value. 201 when created, 200 when updated.',
    security,
    middleware: [authenticate] as const,
    request: { params: ExternalIdParam, body: jsonBody(ContactInput) },
    responses: { 200: json(ContactSchema, 'Updated'), 201: json(ContactSchema, 'Created'), ...errors(...AUTHED) },
  }),
  get: createRoute({
    method: 'get',
    path: '/api/v1/contacts/{externalId}',
    tags,
    summary: 'One contact by its external id',
    security,
    middleware: [authenticate] as const,
    request: { params: ExternalIdParam },
    responses: { 200: json(ContactSchema, 'The contact'), ...errors(...AUTHED) },
  }),
  import: createRoute({
    method: 'post',
    path: '/api/v1/contacts/import',
    tags,
    summary: `Upsert up to ${MAX_IMPORT_ROWS} contacts from CSV or JSON lines`,
    description:
      "CSV (`text/csv`, RFC 4180, a header row with `externalId` and the upsert's field names; `attributes` holds a JSON object; " +
      'an empty cell leaves the field as it is) or JSON lines (`application/x-ndjson`, one upsert body with `externalId` per line). ' +
      `At most ${MAX_IMPORT_ROWS} rows and 5 MiB; more is refused whole (413). Each valid row is upserted whole; each other row is ` +
      'listed with its line and reason.',
    security,
    middleware: [authenticate] as const,
    request: {
      body: {
        required: true,
        content: { 'text/csv': { schema: z.string() }, 'application/x-ndjson': { schema: z.string() } },
      },
    },
    responses: { 200: json(ImportResult, 'What was upserted and what was refused'), ...errors(...AUTHED) },
  }),
};

export const contactRoutes = createRouter()
  .openapi(routes.put, async (c) => {
    await requireContactAdmin(c);
    const db = c.get('db');
    const tenantId = c.get('actor').tenantId;
    const { externalId } = c.req.valid('param');
    const input = c.req.valid('json');
    const before = await findContact(c.get('tdb'), externalId);
    const now = Date.now();
    const after = applyInput(tenantId, externalId, before, input, now);
    await commit(db, [
      upsertStatement(db, tenantId, externalId, input, now, after.id),
      ...(await audit(deps(c), {
        action: before ? 'contact.update' : 'contact.create',
        targetType: 'contact',
        targetId: after.id,
        before,
        after,
        details: { externalId, changed: Object.keys(input) },
      })),
    ]);
    return before ? c.json(presentContact(after), 200) : c.json(presentContact(after), 201);
  })
  .openapi(routes.get, async (c) => {
    await requireContactAdmin(c);
    const contact = await findContact(c.get('tdb'), c.req.valid('param').externalId);
    if (!contact) throw notFound('contact');
    return c.json(presentContact(contact), 200);
  })
  .openapi(routes.import, async (c) => {
    await requireContactAdmin(c);
    // The body guard has checked the type against its table (CSV or JSON lines).
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase() as ImportType;
    const { candidates, rejected } = readImport(await c.req.text(), type);
    const db = c.get('db');
    const tenantId = c.get('actor').tenantId;
    let accepted = 0;
    for (let start = 0; start < candidates.length; start += IMPORT_CHUNK) {
      const chunk = candidates.slice(start, start + IMPORT_CHUNK);
      const now = Date.now();
      try {
        await commit(db, [
          ...chunk.map((r) => upsertStatement(db, tenantId, r.externalId, r.input, now)),
          ...(await audit(deps(c), {
            action: 'contact.import',
            targetType: 'contact_import',
            targetId: c.get('requestId'),
            details: { type, rows: chunk.length, firstRow: chunk[0]!.row, lastRow: chunk.at(-1)!.row },
          })),
        ]);
        accepted += chunk.length;
      } catch (err) {
        // Committed chunks stay; this one and the rest are reported, not guessed at.
        console.error(JSON.stringify({ level: 'error', requestId: c.get('requestId'), message: 'contact import chunk failed', error: String(err) }));
        for (const r of candidates.slice(start)) rejected.push({ row: r.row, externalId: r.externalId, reason: 'not stored: the database refused the write; send this row again' });
        break;
      }
    }
    rejected.sort((a, b) => a.row - b.row);
    return c.json({ accepted, rejected }, 200);
  });
