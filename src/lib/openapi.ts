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
  return Object.fromEntries(
    statuses.map((s) => [s, { description: DESCRIPTIONS[s]!, content: { 'application/json': { schema: ErrorSchema } } }]),
  ) as Record<number, { description: string; content: { 'application/json': { schema: typeof ErrorSchema } } }>;
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

export const IdParam = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' } }) });

export const security: Record<string, string[]>[] = [{ bearer: [] }, { cookie: [] }];
