import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { AUTHED, errors, security } from '../lib/openapi';
import { exportTenant } from './tenant-export';

const routes = {
  export: createRoute({
    method: 'get',
    path: '/api/v1/tenant/export',
    tags: ['tenant'],
    summary: 'The whole tenant as a streamed archive (JSON lines)',
    description:
      'Every row of every table of the tenant: a header line `{"archive":"nps-tenant","version":1,"tenantId","schemaVersion"}`, one line `{"table","row"}` per row (parents before children), ' +
      'and last a manifest `{"manifest":{"tenantId","schemaVersion","exportedAt","tables":{"<table>":{"rows","sha256"}}}}` whose checksums do not depend on row order. ' +
      'An archive without its manifest was cut short. Root admin; audited (`tenant.export`). docs/architecture.md.',
    security,
    middleware: [authenticate] as const,
    responses: { 200: { description: 'The archive, streamed', content: { 'application/x-ndjson': { schema: z.string() } } }, ...errors(...AUTHED) },
  }),
};

export const tenantRoutes = createRouter().openapi(routes.export, async (c) => {
  const archive = await exportTenant(deps(c));
  const { tenantId } = c.get('actor');
  return new Response(archive, {
    status: 200,
    headers: { 'content-type': 'application/x-ndjson', 'content-disposition': `attachment; filename="tenant-${tenantId}.ndjson"`, 'cache-control': 'no-store', 'x-request-id': c.get('requestId') },
  }) as never;
});
