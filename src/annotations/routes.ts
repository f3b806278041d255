import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { ANNOTATION_KINDS } from '../db/schema';
import { createRouter } from '../lib/create-app';
import { deps } from '../lib/deps';
import { AUTHED, errors, json, jsonBody, security } from '../lib/openapi';
import { createAnnotation, listAnnotations } from './annotations';

const tags = ['annotations'];

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a local day, YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a calendar day')
  .refine((d) => d >= '2000-01-01' && d <= '2100-12-31', 'between 2000 and 2100');
const id = z.string().min(1).max(64);

const NewAnnotation = z
  .strictObject({
    unitId: id.openapi({ description: 'The unit it happened to' }),
    date: day.openapi({ description: 'The local day it happened (a process change: the day it took effect)' }),
    kind: z.enum(ANNOTATION_KINDS),
    title: z.string().trim().min(1).max(200),
    appliesToSubtree: z.boolean().optional().openapi({ description: 'It also belongs to every unit below (a company-wide merger); default false' }),
  })
  .openapi('NewAnnotation');

export const AnnotationSchema = z
  .object({
    id: z.string(),
    unitId: z.string(),
    unitName: z.string(),
    date: z.string(),
    kind: z.enum(ANNOTATION_KINDS),
    title: z.string(),
    appliesToSubtree: z.boolean(),
    inherited: z.boolean().openapi({ description: 'On an ancestor of the unit asked for, applying to its subtree' }),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('Annotation');

const ListQuery = z
  .strictObject({
    unitId: id.optional().openapi({ description: 'The unit whose trend they annotate (its subtree, and ancestors applying to it); default the root or your one subtree' }),
    from: day.optional(),
    to: day.optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { path: ['from'], message: 'must not be after `to`' });

const routes = {
  create: createRoute({
    method: 'post',
    path: '/api/v1/annotations',
    tags,
    summary: 'Annotate a unit: a process change, release, outage, merger on a day; audited',
    security,
    middleware: [authenticate] as const,
    request: { body: jsonBody(NewAnnotation) },
    responses: { 201: json(AnnotationSchema, 'Created'), ...errors(...AUTHED) },
  }),
  list: createRoute({
    method: 'get',
    path: '/api/v1/annotations',
    tags,
    summary: "The annotations of a unit's trend, by date",
    security,
    middleware: [authenticate] as const,
    request: { query: ListQuery },
    responses: { 200: json(z.object({ items: z.array(AnnotationSchema) }), 'Annotations'), ...errors(...AUTHED) },
  }),
};

export const annotationRoutes = createRouter()
  .openapi(routes.create, async (c) => c.json(await createAnnotation(deps(c), c.req.valid('json')), 201))
  .openapi(routes.list, async (c) => c.json({ items: await listAnnotations(deps(c), c.req.valid('query')) }, 200));
