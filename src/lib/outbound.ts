import type { Config } from '../env';
import { ApiError, type ErrorDetail } from './errors';

/**
 * Every request the Worker makes to an address a tenant chose (mail and SMS providers, the
 * invitation webhook, webhook endpoints) goes through `outboundPost` (docs/delivery.md
 * "Outbound requests"). The address is checked when it is set (settings, webhook endpoints: 422)
 * and again before each call, and a call never follows a redirect: a tenant must not be able to
 * reach the platform's own network (the database server, cloud metadata) or scan its ports.
 *
 * Workers cannot resolve names themselves, so the check covers what the URL says: literal IPs
 * in any spelling (the URL parser turns `2130706433`, `0x7f.1` and `017700000001` into
 * `127.0.0.1`, and `[::ffff:127.0.0.1]` into `[::ffff:7f00:1]`) and names that are internal by
 * convention. A public name that resolves to a private address is Cloudflare's side of the
 * line (docs/delivery.md says what is and is not covered).
 */
export interface OutboundPolicy {
  /** https only. */
  httpsOnly: boolean;
  /** Origins allowed although internal: the local stack's and the tests' provider stand-ins. */
  allow: readonly string[];
}

export const outboundPolicy = (config: Config): OutboundPolicy => ({ httpsOnly: config.environment === 'production', allow: config.outboundAllow });

/** IPv4 blocks no tenant may reach: this host, private, shared (CGNAT), loopback, link-local and metadata, reserved, multicast. */
const BLOCKED_V4: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

/** Names that are internal by convention (RFC 6761, RFC 8375, cloud metadata). */
const INTERNAL_SUFFIXES = ['.localhost', '.local', '.internal', '.localdomain', '.home.arpa', '.lan', '.intranet', '.corp'];
const INTERNAL_NAMES = new Set(['metadata.goog', 'metadata.tencentyun.com']);

const v4Number = (dotted: string) => dotted.split('.').reduce((n, part) => n * 256 + Number(part), 0);

function blockedV4(dotted: string): boolean {
  const n = v4Number(dotted);
  return BLOCKED_V4.some(([base, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(v4Number(base) / 2 ** (32 - bits)));
}

/** The eight 16-bit groups of an IPv6 literal as the URL parser serializes it (hex groups, `::` once). */
function v6Groups(literal: string): number[] | null {
  const [head, tail] = literal.includes('::') ? literal.split('::') : [literal, undefined];
  const parse = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const a = parse(head);
  const b = parse(tail);
  const groups = tail === undefined ? a : [...a, ...Array(8 - a.length - b.length).fill(0), ...b];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

/**
 * Only global unicast (2000::/3) is reachable, less the blocks that carry an IPv4 address inside
 * (Teredo 2001::/32, 6to4 2002::/16) and documentation. Everything else (::1, ::, IPv4-mapped
 * and -compatible forms, NAT64 64:ff9b::/96, unique local fc00::/7, link-local fe80::/10,
 * multicast) is refused.
 */
function blockedV6(literal: string): boolean {
  const g = v6Groups(literal);
  if (!g) return true;
  if (g[0]! >> 13 !== 0b001) return true;
  if (g[0] === 0x2001 && (g[1] === 0 || g[1] === 0x0db8)) return true;
  return g[0] === 0x2002;
}

/**
 * Why the Worker may not call `raw`, or null when it may. Checked when a tenant sets an address
 * and again before every call.
 */
export function outboundRefusal(raw: string, policy: OutboundPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a valid URL';
  }
  if (policy.allow.includes(url.origin)) return null;
  if (url.protocol !== 'https:' && (policy.httpsOnly || url.protocol !== 'http:')) return policy.httpsOnly ? 'https required in production' : 'an http(s) URL is required';
  if (url.username || url.password) return 'credentials in the URL are not allowed';
  const host = url.hostname.replace(/\.+$/, '');
  if (host.startsWith('[')) return blockedV6(host.slice(1, -1)) ? 'internal addresses are not allowed' : null;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return blockedV4(host) ? 'internal addresses are not allowed' : null;
  if (!host.includes('.') || INTERNAL_NAMES.has(host) || INTERNAL_SUFFIXES.some((s) => host.endsWith(s))) return 'internal host names are not allowed';
  return null;
}

/** The problems of addresses a tenant sets (`path` → URL), as error details; none when all may be called. */
export function outboundProblems(urls: Record<string, string>, policy: OutboundPolicy): ErrorDetail[] {
  return Object.entries(urls).flatMap(([path, url]) => {
    const refusal = outboundRefusal(url, policy);
    return refusal ? [{ path, message: refusal }] : [];
  });
}

/** Refuses (422) an address a tenant sets that the Worker may not call. */
export function assertOutbound(urls: Record<string, string>, policy: OutboundPolicy): void {
  const problems = outboundProblems(urls, policy);
  if (problems.length) throw new ApiError('UNPROCESSABLE', 'the address may not be called from the platform', problems);
}

/** The outcome of one outbound call. Bodies of failed answers are never kept: they are not the tenant's to read. */
export type OutboundResult = { kind: 'answered'; status: number; ok: boolean; error: string | null } | { kind: 'refused'; error: string } | { kind: 'unreachable'; error: string };

/**
 * POSTs once: the address checked first, redirects not followed (a 3xx is a failure, never
 * a second request, so a key in the headers never travels to where a redirect points).
 */
export async function outboundPost(raw: string, init: { headers: Record<string, string>; body: string; timeoutMs: number }, policy: OutboundPolicy): Promise<OutboundResult> {
  const refusal = outboundRefusal(raw, policy);
  if (refusal) return { kind: 'refused', error: `refused: ${refusal}` };
  let res: Response;
  try {
    res = await fetch(raw, { method: 'POST', headers: init.headers, body: init.body, redirect: 'manual', signal: AbortSignal.timeout(init.timeoutMs) });
  } catch (err) {
    return { kind: 'unreachable', error: `no answer from ${new URL(raw).host}: ${(err as Error).message}`.slice(0, 300) };
  }
  await res.body?.cancel();
  const redirect = res.status >= 300 && res.status < 400;
  return { kind: 'answered', status: res.status, ok: res.ok, error: res.ok ? null : `HTTP ${res.status}${redirect ? ' (redirects are not followed)' : ''}` };
}
