import { z } from '@hono/zod-openapi';
import type { ZodType } from 'zod';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'NOT_FOUND' }),
      message: z.string(),
      details: z.unknown().optional(),
      requestId: z.string(),
    }),
  })
  .openapi('Error');

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed or invalid input; `details` lists field paths',
  401: 'Missing, invalid, expired or revoked credential',
  403: 'The role does not allow this',
  404: 'Not found (also for records of other tenants)',
  409: 'Conflicts with the current state',
  413: 'Body over the size limit',
  415: 'Body is not JSON',
  422: 'Valid input the current state cannot take',
  429: 'Too many attempts; see Retry-After',
  503: 'The database does not answer',
};

/** The error responses a route can give, each with the envelope schema. */
export function errors(...statuses: (keyof typeof DESCRIPTIONS)[]) {
  return Object.fromEntries(statuses.map((s) => [s, { description: DESCRIPTIONS[s]!, content: { 'application/json': { schema: ErrorSchema } } }])) as Record<
    number,
    { description: string; content: { 'application/json': { schema: typeof ErrorSchema } } }
  >;
}

export const json = <T extends ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const jsonBody = <T extends ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

/** The errors every authenticated route can answer. */
export const AUTHED = [400, 401, 403, 404, 413, 415] as const;

export const IdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' } }),
});

export const security: Record<string, string[]>[] = [{ bearer: [] }, { cookie: [] }];

type Operations = Record<string, Record<string, { operationId?: string }>>;

const words = (segment: string) => segment.split(/[-._]/).filter(Boolean);
const pascal = (ws: string[]) => ws.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
const singular = (w: string) => (w.endsWith('ies') ? `${w.slice(0, -3)}y` : w.endsWith('s') ? w.slice(0, -1) : w);
const isParam = (segment: string) => segment.startsWith('{');
/** Last segments of POST routes that act on what precedes them rather than create in it. */
const ACTIONS = new Set(['login', 'logout', 'import', 'publish', 'preview', 'exclude', 'include', 'rotate', 'replay', 'reweight']);

/**
 * A client method name from the method and path, so every operation has a readable, stable
 * `operationId` without each route naming one: `GET /api/v1/units` → `listUnits`,
 * `GET /api/v1/units/{id}` → `getUnit`, `POST /api/v1/surveys/{id}/publish` → `publishSurvey`.
 * A collection is a path that can be created in (POST) or has items below it (`/{param}`);
 * reading one lists it, reading anything else gets it. A route's own `operationId` wins.
 */
export function operationIdOf(method: string, path: string, paths: Operations): string {
  const segments = path
    .replace(/^\/api\/v1\//, '/')
    .split('/')
    .filter(Boolean);
  // Nouns of the path: a collection followed by a parameter names one of its items.
  const nouns = (upTo: number) =>
    segments
      .slice(0, upTo)
      .flatMap((s, i) => (isParam(s) ? [] : isParam(segments[i + 1] ?? '') ? [singular(s)] : [s]))
      .flatMap(words);
  const last = segments.at(-1)!;
  if (isParam(last)) {
    const verb = { get: 'get', patch: 'update', put: 'set', delete: 'delete' }[method] ?? method;
    return verb + pascal(nouns(segments.length));
  }
  const [first = '', ...rest] = words(last);
  if (method === 'post' && ACTIONS.has(first)) {
    const target = nouns(segments.length - 1);
    return target.length === 0 || (target.length === 1 && target[0] === 'auth') ? first + pascal(rest) : first + pascal([...target, ...rest]);
  }
  if (method === 'post') return `create${pascal([...nouns(segments.length - 1), ...words(singular(last))])}`;
  if (method === 'get') {
    const isCollection = 'post' in (paths[path] ?? {}) || Object.keys(paths).some((p) => p.startsWith(`${path}/{`));
    return (isCollection ? 'list' : 'get') + pascal(nouns(segments.length));
  }
  const verb = { patch: 'update', put: 'set', delete: 'delete' }[method] ?? method;
  return verb + pascal(nouns(segments.length));
}

/** Gives every operation of a document its `operationId` (see `operationIdOf`); the lint and a test keep them unique. */
export function withOperationIds<T extends { paths?: object }>(doc: T): T {
  const paths = (doc.paths ?? {}) as Operations;
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) op.operationId ??= operationIdOf(method, path, paths);
  }
  return doc;
}
