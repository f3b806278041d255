import { deps } from '../lib/deps';
import { createRoute, z } from '@hono/zod-openapi';
import { authenticate } from '../auth/authenticate';
import { createRouter } from '../lib/create-app';
import { AUTHED, errors, IdParam, json, jsonBody, security } from '../lib/openapi';
import { createTheme, deleteTheme, listLibrary, updateTheme } from './library';

const tags = ['themes'];

const name = z.string().trim().min(1, 'a theme needs a name').max(80);
const Terms = z
  .record(
    z.string().min(2).max(8).openapi({ description: 'ISO 639-1 language code' }),
    z.array(z.string().trim().min(1, 'an empty term matches nothing').max(60, 'a term has at most 60 characters')).min(1).max(50),
  )
  .refine((r) => Object.keys(r).length <= 60, 'at most 60 languages')
  .openapi({ description: 'Terms per language (ISO 639-1), each one to three content words; matched by stem', example: { en: ['wait', 'waiting time'], de: ['warten', 'Wartezeit'] } });

const CreateTheme = z.strictObject({ name, terms: Terms }).openapi('CreateTheme');
const UpdateTheme = z
  .strictObject({ name: name.optional(), terms: Terms.optional() })
  .refine((b) => b.name !== undefined || b.terms !== undefined, 'give a name or terms to change')
  .openapi('UpdateTheme');

const LibraryTheme = z
  .object({
    id: z.string(),
    name: z.string(),
    terms: z.record(z.string(), z.array(z.string())),
    origin: z.enum(['starter', 'admin', 'discovered']),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('LibraryTheme');
const Versioned = LibraryTheme.extend({ version: z.number().int().openapi({ description: 'The library version after the change' }) }).openapi('LibraryThemeChange');

const routes = {
  list: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'get',
    path: '/api/v1/theme-library',
    summary: "The tenant's theme library (the starter library the first time), by name",
    responses: { 200: json(z.object({ version: z.number().int(), items: z.array(LibraryTheme) }), 'The library'), ...errors(...AUTHED) },
  }),
  create: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'post',
    path: '/api/v1/theme-library',
    summary: 'Add a theme with its terms per language (admin); stored comments are re-tagged',
    request: { body: jsonBody(CreateTheme) },
    responses: { 201: json(Versioned, 'Created'), ...errors(...AUTHED, 409) },
  }),
  update: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'patch',
    path: '/api/v1/theme-library/{id}',
    summary: 'Rename a theme or replace its terms (admin); new terms re-tag stored comments',
    request: { params: IdParam, body: jsonBody(UpdateTheme) },
    responses: { 200: json(Versioned, 'Changed'), ...errors(...AUTHED, 409) },
  }),
  remove: createRoute({
    tags,
    security,
    middleware: [authenticate] as const,
    method: 'delete',
    path: '/api/v1/theme-library/{id}',
    summary: 'Delete a theme (admin); its tags go with the re-tag',
    request: { params: IdParam },
    responses: { 200: json(z.object({ version: z.number().int() }), 'Deleted'), ...errors(...AUTHED) },
  }),
};

export const themeLibraryRoutes = createRouter()
  .openapi(routes.list, async (c) => c.json(await listLibrary(deps(c)), 200))
  .openapi(routes.create, async (c) => c.json(await createTheme(deps(c), c.req.valid('json')), 201))
  .openapi(routes.update, async (c) => c.json(await updateTheme(deps(c), c.req.valid('param').id, c.req.valid('json')), 200))
  .openapi(routes.remove, async (c) => c.json(await deleteTheme(deps(c), c.req.valid('param').id), 200));
