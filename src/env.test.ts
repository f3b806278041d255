import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { loadConfig, type Env } from './env';

const KEYS = 'k1:a-production-signing-key-of-32-chars-or-more';
const production: Env = { LIBSQL_URL: 'libsql://nps-acme.turso.io', PUBLIC_BASE_URL: 'https://nps.example.com', JWT_KEYS: KEYS };

describe('configuration fails closed', () => {
  it('an env that names no environment is production', () => {
    expect(loadConfig({ ...production }).environment).toBe('production');
  });

  it('without ENVIRONMENT and JWT_KEYS the Worker refuses to serve: no development key is assumed', () => {
    expect(() => loadConfig({ LIBSQL_URL: production.LIBSQL_URL, PUBLIC_BASE_URL: production.PUBLIC_BASE_URL })).toThrow(/invalid configuration: jwtKeys/);
  });

  it('production needs its database and public URL; the local stack has defaults for neither database nor keys in production', () => {
    expect(() => loadConfig({ JWT_KEYS: KEYS, PUBLIC_BASE_URL: production.PUBLIC_BASE_URL })).toThrow(/libsqlUrl/);
    expect(() => loadConfig({ JWT_KEYS: KEYS, LIBSQL_URL: production.LIBSQL_URL })).toThrow(/publicBaseUrl/);
    expect(() => loadConfig({ ...production, JWT_KEYS: 'dev:insecure-development-key-change-me-0000000000' })).toThrow(/development JWT key/);
  });

  it('the outbound allow list of the local stand-ins is refused in production', () => {
    expect(() => loadConfig({ ...production, OUTBOUND_ALLOW: 'http://127.0.0.1:8799' })).toThrow(/OUTBOUND_ALLOW/);
    expect(loadConfig({ ENVIRONMENT: 'test', LIBSQL_URL: 'http://127.0.0.1:8790', OUTBOUND_ALLOW: 'http://127.0.0.1:8799/t/x' }).outboundAllow).toEqual(['http://127.0.0.1:8799']);
  });

  it('storage deadlines: 3 s on request paths and 30 s for jobs by default; production keeps one of at least 100 ms', () => {
    expect(loadConfig({ ...production })).toMatchObject({ storageDeadlineMs: 3000, jobStorageDeadlineMs: 30_000 });
    expect(loadConfig({ ...production, STORAGE_DEADLINE_MS: '1500', JOB_STORAGE_DEADLINE_MS: '60000' })).toMatchObject({ storageDeadlineMs: 1500, jobStorageDeadlineMs: 60_000 });
    expect(() => loadConfig({ ...production, STORAGE_DEADLINE_MS: '0' })).toThrow(/STORAGE_DEADLINE_MS/);
    expect(() => loadConfig({ ...production, STORAGE_DEADLINE_MS: '50' })).toThrow(/storageDeadlineMs/);
    expect(() => loadConfig({ ...production, STORAGE_DEADLINE_MS: 'soon' })).toThrow(/storageDeadlineMs/);
    // Off only on the local stack, to measure what the deadline costs (scripts/bench-deadline.ts).
    expect(loadConfig({ ENVIRONMENT: 'development', LIBSQL_URL: 'http://127.0.0.1:8790', STORAGE_DEADLINE_MS: '0' }).storageDeadlineMs).toBe(0);
  });

  it('the local stack keeps its development defaults when it says so', () => {
    const config = loadConfig({ ENVIRONMENT: 'development', LIBSQL_URL: 'http://127.0.0.1:8790' });
    expect(config.jwtKeys[0]!.kid).toBe('dev');
    expect(config.publicBaseUrl).toBe('http://127.0.0.1:8787');
  });

  it('wrangler.toml: a plain `wrangler deploy` is production-shaped (no development vars, no key, no local database)', () => {
    const toml = parse(readFileSync(new URL('../wrangler.toml', import.meta.url), 'utf8')) as { vars?: Record<string, unknown>; env?: Record<string, { vars?: Record<string, unknown> }> };
    const vars = toml.vars ?? {};
    expect(vars.ENVIRONMENT ?? 'production').toBe('production');
    expect(vars).not.toHaveProperty('JWT_KEYS');
    expect(vars).not.toHaveProperty('LIBSQL_URL');
    expect(vars).not.toHaveProperty('OUTBOUND_ALLOW');
    // No environment of the file may carry a key either (they are secrets).
    for (const e of Object.values(toml.env ?? {})) expect(e.vars ?? {}).not.toHaveProperty('JWT_KEYS');
  });
});
