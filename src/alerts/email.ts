import { devOutbox } from '../db/schema';
import type { TenantDb } from '../db/tenant-db';
import { sendEmail } from '../delivery/channels';
import type { Config } from '../env';
import { newId } from '../lib/ids';
import { outboundPolicy } from '../lib/outbound';
import type { Settings } from '../settings/settings';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * A plain-text email to a member of staff (alerts, digests) through the tenant's mail provider;
 * in development without one it lands in the dev outbox (as invitations do, docs/delivery.md).
 * Answers whether it went out; a failure is logged by the caller, never thrown.
 */
export async function sendStaffEmail(
  t: TenantDb,
  config: Config,
  settings: Settings,
  m: { to: string; subject: string; text: string; key: string; now: number },
): Promise<{ sent: boolean; error?: string }> {
  if (settings.email) {
    const html = `<!doctype html><html><body><pre style="font-family:inherit;white-space:pre-wrap">${escapeHtml(m.text)}</pre></body></html>`;
    const result = await sendEmail(outboundPolicy(config), settings.email, { to: m.to, subject: m.subject, text: m.text, html, invitationId: m.key, idempotencyKey: m.key });
    return result.outcome === 'sent' ? { sent: true } : { sent: false, error: result.error };
  }
  if (config.environment === 'development') {
    await t.insert(devOutbox).values({ id: newId('out'), channel: 'email', recipient: m.to, subject: m.subject, body: m.text, invitationId: null, createdAt: m.now });
    return { sent: true };
  }
  return { sent: false, error: 'no email provider is configured (settings.email)' };
}
