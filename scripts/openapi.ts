// The OpenAPI document the Worker serves at /api/openapi.json, built without a server, and the
// client types generated from it:
//   tsx scripts/openapi.ts document FILE   (npm run lint:openapi lints it)
//   tsx scripts/openapi.ts client [FILE]   (npm run gen:client; default test/generated/api.d.ts)
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { createApp } from '../src/app';
import { openApiDocument } from '../src/docs/routes';

export const CLIENT_TYPES = 'test/generated/api.d.ts';

export const documentJson = () => `${JSON.stringify(openApiDocument(createApp()), null, 2)}\n`;

/** The `paths` types openapi-fetch takes, as `openapi-typescript` writes them. */
export async function clientTypes(): Promise<string> {
  return COMMENT_HEADER + astToString(await openapiTS(documentJson()));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [what, file] = process.argv.slice(2);
  if (what === 'document' && file) writeFileSync(file, documentJson());
  else if (what === 'client') writeFileSync(file ?? CLIENT_TYPES, await clientTypes());
  else {
    console.error('usage: tsx scripts/openapi.ts document FILE | client [FILE]');
    process.exit(2);
  }
}
