import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../lib/create-app';
import { withOperationIds } from '../lib/openapi';
import { renderReference, type OpenApiDocument } from './reference';

const INFO = {
  title: 'NPS Program Platform API',
  version: '1.0.0',
  description: 'Multi-tenant Net Promoter Score programs: hierarchy, access, surveys, scores and the closed loop.',
};

// Paths are absolute on the deployment that serves the document.
const SERVERS = [{ url: '/', description: 'The deployment serving this document' }];

/** Serves the document, and a readable page of it. */
export function mountDocs(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A session JWT from /api/v1/auth/login, or an API key (`nps_...`)',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'cookie', { type: 'apiKey', in: 'cookie', name: 'nps_session' });
  app.get('/api/openapi.json', (c) => c.json(openApiDocument(app)));
  app.get('/api/docs', (c) => c.html(renderReference(openApiDocument(app) as unknown as OpenApiDocument)));
}

/** The OpenAPI 3.1 document generated from the routes' zod definitions, every operation named. */
export function openApiDocument(app: OpenAPIHono<AppEnv>) {
  return withOperationIds(app.getOpenAPI31Document({ openapi: '3.1.0', info: INFO, servers: SERVERS }));
}
