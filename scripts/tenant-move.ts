import { parseArgs } from 'node:util';
import { PLACEMENT_CACHE_MS } from '../src/db/plane';
import { moveTenant } from '../src/tenancy/lifecycle';
import { dataDb, placementOf, withPlane } from './plane';

/**
 * `npm run tenant:move -- --tenant ID --to DATABASE_ID`: moves a tenant to another data database
 * (another region, or from shared to dedicated). Writes are answered 503 with Retry-After while
 * it runs; the copy is verified by counts and checksums before the switch; survey links sent
 * before keep working (they name the tenant, and the directory its database).
 */
const { values } = parseArgs({ options: { tenant: { type: 'string' }, to: { type: 'string' }, 'settle-ms': { type: 'string' } }, strict: true });
if (!values.tenant || !values.to) {
  console.error('usage: npm run tenant:move -- --tenant ID --to DATABASE_ID');
  process.exit(2);
}
const tenantId = values.tenant;
const to = values.to;
try {
  const manifest = await withPlane(async (plane) => {
    const placement = await placementOf(plane, tenantId);
    if (!placement) throw new Error(`no tenant ${tenantId} in the directory`);
    const settleMs = values['settle-ms'] === undefined ? PLACEMENT_CACHE_MS : Number(values['settle-ms']);
    console.log(`pausing writes of ${tenantId} for ${settleMs} ms before copying from ${placement.databaseId} to ${to}`);
    return moveTenant(
      plane.directory,
      tenantId,
      { id: placement.databaseId, db: await dataDb(plane, placement.databaseId) },
      { id: to, db: await dataDb(plane, to) },
      { actor: 'tenant:move', settleMs },
    );
  });
  const rows = Object.values(manifest.tables).reduce((n, t) => n + t.rows, 0);
  console.log(`tenant ${tenantId} moved to ${to}: ${rows} rows, counts and checksums verified`);
} catch (err) {
  console.error(String(err));
  process.exit(1);
}
