import { audit } from '../audit/record';
import { requireTenantWide } from '../auth/tenant-wide';
import { commit } from '../db/client';
import type { Deps } from '../lib/deps';
import { ownArchiveStream } from './archive';

/** The whole tenant as a streamed archive (JSON lines); root admin, audited before the first line goes out. */
export async function exportTenant(d: Deps): Promise<ReadableStream<Uint8Array>> {
  await requireTenantWide(d, 'settings.manage', 'exporting the tenant');
  await commit(d.t, await audit(d, { action: 'tenant.export', targetType: 'tenant', targetId: d.actor.tenantId }));
  return ownArchiveStream(d.t);
}
