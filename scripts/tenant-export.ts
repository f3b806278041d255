import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { archiveStream } from '../src/tenancy/archive';
import { auditTenant } from '../src/tenancy/directory-entry';
import { dataDb, placementOf, withPlane } from './plane';

/**
 * `npm run tenant:export -- --tenant ID --out FILE`: the whole tenant as JSON lines (a header,
 * one line per row, parents before children, and a manifest of counts and checksums last),
 * streamed to FILE; audited in the directory.
 */
const { values } = parseArgs({ options: { tenant: { type: 'string' }, out: { type: 'string' } }, strict: true });
if (!values.tenant || !values.out) {
  console.error('usage: npm run tenant:export -- --tenant ID --out FILE');
  process.exit(2);
}
const tenantId = values.tenant;
const out = values.out;
try {
  await withPlane(async (plane) => {
    const placement = await placementOf(plane, tenantId);
    if (!placement) throw new Error(`no tenant ${tenantId} in the directory`);
    const data = await dataDb(plane, placement.databaseId);
    await pipeline(Readable.fromWeb(archiveStream(data, tenantId) as never), createWriteStream(out));
    await auditTenant(plane.directory, tenantId, 'tenant.export', 'tenant:export', { file: out, databaseId: placement.databaseId });
  });
  console.log(`tenant ${tenantId} exported to ${out}`);
} catch (err) {
  console.error(String(err));
  process.exit(1);
}
