import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, json, jsonBody, security } from '../lib/openapi';
import { ContactInput, ContactSchema, ExternalIdParam, putContact, readContact } from './contact';
import { importContacts, MAX_IMPORT_ROWS, type ImportType } from './import';

const ImportResult = z
  .object({
    accepted: z.number().int(),
    rejected: z.array(
      z.object({ row: z.number().int().openapi({ description: '1-based line of the upload (the header is line 1 of a CSV)' }), externalId: z.string().optional(), reason: z.string() }),
    ),
  })
  .openapi('ContactImportResult');

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
    const { contact, created } = await putContact(deps(c), c.req.valid('param').externalId, c.req.valid('json'));
    return created ? c.json(contact, 201) : c.json(contact, 200);
  })
  .openapi(routes.get, async (c) => c.json(await readContact(deps(c), c.req.valid('param').externalId), 200))
  .openapi(routes.import, async (c) => {
    // The body guard has checked the type against its table (CSV or JSON lines).
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase() as ImportType;
    return c.json(await importContacts(deps(c), type, await c.req.text()), 200);
  });
