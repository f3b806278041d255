import { html } from 'hono/html';

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  description?: string;
  format?: string;
  anyOf?: Schema[];
  default?: unknown;
};
interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; schema?: Schema; description?: string }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses?: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
  security?: unknown[];
}
export interface OpenApiDocument {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

const refName = (ref: string) => ref.split('/').pop() ?? ref;

/** A one-line type of a schema: `string`, `Unit[]`, `"a" | "b"`. */
function typeOf(s: Schema | undefined): string {
  if (!s) return '';
  if (s.$ref) return refName(s.$ref);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (s.anyOf) return s.anyOf.map(typeOf).join(' | ');
  if (s.type === 'array') return `${typeOf(s.items)}[]`;
  if (s.type === 'object' && s.properties) return `{ ${Object.keys(s.properties).join(', ')} }`;
  const t = Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? 'any');
  return s.format ? `${t} (${s.format})` : t;
}

function fields(s: Schema) {
  const props = Object.entries(s.properties ?? {});
  if (props.length === 0) return html`<code>${typeOf(s)}</code>`;
  return html`<table><tr><th>field</th><th>type</th><th></th></tr>${props.map(
    ([name, p]) => html`<tr><td><code>${name}</code>${s.required?.includes(name) ? '' : '?'}</td><td><code>${typeOf(p)}</code></td><td>${p.description ?? ''}</td></tr>`,
  )}</table>`;
}

/** A readable API reference rendered on the server from the OpenAPI document: no script, works offline. */
export function renderReference(doc: OpenApiDocument) {
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
  const schemas = Object.entries(doc.components?.schemas ?? {});
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${doc.info.title} — API reference</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;color:#1b1b1b}
code{font:13px ui-monospace,monospace}table{border-collapse:collapse;margin:.5rem 0}td,th{border-bottom:1px solid #ddd;padding:.2rem .6rem;text-align:left;vertical-align:top}
section{border-top:2px solid #eee;padding:.5rem 0}.m{display:inline-block;min-width:4.5rem;font-weight:700;text-transform:uppercase}</style></head>
<body><h1>${doc.info.title} <small>${doc.info.version}</small></h1>
<p>${doc.info.description ?? ''} The machine-readable document is at <a href="/api/openapi.json">/api/openapi.json</a>.</p>
<nav><ul>${ops.map(({ path, method, op }) => html`<li><a href="#${method}-${path}"><span class="m">${method}</span><code>${path}</code></a> ${op.summary ?? ''}</li>`)}</ul></nav>
${ops.map(
  ({ path, method, op }) => html`<section id="${method}-${path}"><h2><span class="m">${method}</span><code>${path}</code></h2>
<p>${op.summary ?? ''}${op.description ? html`<br>${op.description}` : ''}</p>
${op.security?.length ? html`<p>Auth: <code>Authorization: Bearer &lt;session JWT or API key&gt;</code> or the session cookie.</p>` : ''}
${op.parameters?.length ? html`<h3>Parameters</h3><table>${op.parameters.map((p) => html`<tr><td><code>${p.name}</code></td><td>${p.in}${p.required ? ', required' : ''}</td><td><code>${typeOf(p.schema)}</code></td><td>${p.description ?? ''}</td></tr>`)}</table>` : ''}
${op.requestBody ? html`<h3>Body</h3>${Object.values(op.requestBody.content).map((c) => fields(c.schema))}` : ''}
<h3>Responses</h3><table>${Object.entries(op.responses ?? {}).map(([status, r]) => html`<tr><td>${status}</td><td>${r.description}</td><td><code>${r.content ? typeOf(Object.values(r.content)[0]?.schema) : ''}</code></td></tr>`)}</table></section>`,
)}
<section><h2>Schemas</h2>${schemas.map(([name, s]) => html`<h3 id="schema-${name}">${name}</h3>${fields(s)}`)}</section>
</body></html>`;
}
