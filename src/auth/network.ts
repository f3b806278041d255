import type { Config } from '../env';
import { hex } from '../lib/ids';
import { purposeKey } from './purpose-key';

/*
 * The network fingerprint of a client (docs/integrity.md, "What is stored"): a keyed hash of the
 * tenant and the client's network, written with a user's sign-in (`sessions.network_hash`,
 * `sign_in_networks`) and with an invitation's answer (`responses.network_hash`), so the
 * integrity signals can tell that an answer came from the network its agent signs in from
 * without any raw address being stored. The key is derived for this purpose alone (HKDF from
 * JWT_KEYS, src/auth/purpose-key.ts): nobody without it can test a guessed address against a
 * stored hash, and the tenant in the text keeps fingerprints from linking across tenants.
 */

const encoder = new TextEncoder();

/**
 * The network part of an address: an IPv4 address whole (an office or a home sits behind one
 * public address), an IPv6 address cut to its /64 (a host picks new addresses inside its prefix).
 * Null when there is no usable address (missing, `unknown`, or not an IP address).
 */
export function networkOf(ip: string | null | undefined): string | null {
  const a = (ip ?? '').trim().toLowerCase();
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(a)) return a.split('.').every((o) => Number(o) <= 255) ? a : null;
  if (!a.includes(':') || !/^[0-9a-f:.]+$/.test(a)) return null;
  const [head = '', tail = ''] = a.split('::');
  if (a.split('::').length > 2) return null;
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = a.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  if (groups.length < 4) return null;
  return groups
    .slice(0, 4)
    .map((g) => (g.includes('.') ? '0' : (Number.parseInt(g || '0', 16) || 0).toString(16)))
    .join(':')
    .concat('::/64');
}

/** The keyed fingerprint of a client's network in a tenant; null without a usable address. */
export async function networkHash(config: Config, tenantId: string, ip: string | null | undefined): Promise<string | null> {
  const network = networkOf(ip);
  if (network === null) return null;
  const key = await purposeKey(config.jwtKeys[0]!.secret, 'network-fingerprint');
  return hex(await crypto.subtle.sign('HMAC', key, encoder.encode(`network\n${tenantId}\n${network}`)));
}

/** How long a sign-in network is kept after its last sign-in: twice the integrity window's default (docs/integrity.md). */
export const SIGN_IN_NETWORK_TTL_MS = 180 * 86_400_000;
