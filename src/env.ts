import { z } from 'zod';

/** Bindings as wrangler gives them (vars, secrets, queues). */
export interface Env {
  ENVIRONMENT?: string;
  LIBSQL_URL?: string;
  LIBSQL_AUTH_TOKEN?: string;
  /** The directory database (docs/architecture.md); unset: one data database, LIBSQL_URL, holds every tenant. */
  DIRECTORY_URL?: string;
  DIRECTORY_AUTH_TOKEN?: string;
  /** Data database tokens per region, `eu:TOKEN,us:TOKEN` (Turso group tokens). */
  LIBSQL_TOKENS?: string;
  /** How long an isolate keeps a tenant's placement read from the directory (default 30). */
  PLACEMENT_CACHE_SECONDS?: string;
  /** The region of the single database when there is no directory. */
  DEFAULT_REGION?: string;
  /** `kid:secret` pairs, comma-separated; the first signs, all verify (key rotation). */
  JWT_KEYS?: string;
  SESSION_TTL_SECONDS?: string;
  MAX_BODY_BYTES?: string;
  /** Where respondents reach the Worker: survey links in emails and SMS start with it. */
  PUBLIC_BASE_URL?: string;
  /**
   * Local stack and tests only: origins (`http://127.0.0.1:8799`, comma-separated) that outbound
   * calls may reach although they are internal: the provider stand-ins. Refused in production.
   */
  OUTBOUND_ALLOW?: string;
  /**
   * The deadline of one storage call on a request path, in ms (default 3000): past it the call
   * fails fast (docs/outage.md). `0` turns it off, outside production only (to measure its cost).
   */
  STORAGE_DEADLINE_MS?: string;
  /** The deadline of one storage call of a cron job or queue consumer, in ms (default 30000). */
  JOB_STORAGE_DEADLINE_MS?: string;
  /** Key drivers: scopes with more answers than this are computed by a queue job (default 50,000; the tests lower it). */
  DRIVERS_INLINE_MAX?: string;
  DELIVERY_QUEUE?: Queue<unknown>;
  WORKFLOW_QUEUE?: Queue<unknown>;
  /** The workflow queue's dead-letter queue, bound as a producer only to read its backlog (/healthz). */
  WORKFLOW_DLQ?: Queue<unknown>;
}

/** The published key of the local stack and tests; production refuses it. */
const DEV_JWT_KEY = 'dev:insecure-development-key-change-me-0000000000';

const configSchema = z
  .object({
    environment: z.enum(['development', 'test', 'production']),
    libsqlUrl: z.url({ protocol: /^(https?|libsql|wss?)$/ }).optional(),
    libsqlAuthToken: z.string().min(1).optional(),
    directoryUrl: z.url({ protocol: /^(https?|libsql|wss?)$/ }).optional(),
    directoryAuthToken: z.string().min(1).optional(),
    regionTokens: z.record(z.string().regex(/^[a-z]{2,8}$/), z.string().min(1)),
    defaultRegion: z.string().regex(/^[a-z]{2,8}$/),
    placementCacheMs: z.coerce
      .number()
      .int()
      .min(0)
      .max(300)
      .transform((s) => s * 1000),
    jwtKeys: z.array(z.object({ kid: z.string().min(1), secret: z.string().min(32) })).min(1, 'JWT_KEYS needs at least one kid:secret pair'),
    sessionTtlSeconds: z.coerce
      .number()
      .int()
      .min(60)
      .max(12 * 3600),
    publicBaseUrl: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')),
    maxBodyBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .max(10 * 1024 * 1024),
    /** Origins outbound calls may reach although internal (src/lib/outbound.ts): the local stand-ins. */
    outboundAllow: z.array(z.url({ protocol: /^https?$/ }).transform((u) => new URL(u).origin)),
    /** One storage call on a request path fails past this (ms); 0: no deadline (outside production only). */
    storageDeadlineMs: z.coerce.number().int().min(0).max(30_000),
    /** One storage call of a job (cron, queue consumer) fails past this (ms). */
    jobStorageDeadlineMs: z.coerce.number().int().min(1000).max(600_000),
  })
  .superRefine((c, ctx) => {
    // The directory finds every tenant's database; without one, LIBSQL_URL is the one database.
    if (!c.directoryUrl && !c.libsqlUrl)
      ctx.addIssue({ code: 'custom', path: ['libsqlUrl'], message: 'set DIRECTORY_URL (a directory of data databases) or LIBSQL_URL (one database for every tenant)' });
    if (c.environment !== 'production') return;
    if (c.jwtKeys.some((k) => `${k.kid}:${k.secret}` === DEV_JWT_KEY)) {
      ctx.addIssue({ code: 'custom', path: ['jwtKeys'], message: 'the development JWT key must not be used in production' });
    }
    if (c.outboundAllow.length) ctx.addIssue({ code: 'custom', path: ['outboundAllow'], message: 'OUTBOUND_ALLOW is for the local stack and tests only' });
    if (c.storageDeadlineMs < 100)
      ctx.addIssue({ code: 'custom', path: ['storageDeadlineMs'], message: 'STORAGE_DEADLINE_MS is at least 100 in production (0, no deadline, is for measurements on the local stack)' });
  });

export type Config = z.infer<typeof configSchema>;

/** `name:value` pairs separated by commas (JWT_KEYS, LIBSQL_TOKENS). */
export function parseKeys(raw: string): { kid: string; secret: string }[] {
  return raw
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf(':');
      return { kid: at > 0 ? pair.slice(0, at) : '', secret: at > 0 ? pair.slice(at + 1) : '' };
    });
}

const cache = new WeakMap<Env, Config>();

/**
 * Validates the bindings once per env object; a misconfigured deploy fails loudly on its
 * first request instead of misbehaving later. Fail closed: a deploy that does not say otherwise
 * is production, which has no defaults for its keys, database and public URL (README "Deploy");
 * the development key and URL are defaults of the local stack and tests only.
 */
export function loadConfig(env: Env): Config {
  const hit = cache.get(env);
  if (hit) return hit;
  const environment = env.ENVIRONMENT ?? 'production';
  const local = environment === 'development' || environment === 'test';
  const parsed = configSchema.safeParse({
    environment,
    libsqlUrl: env.LIBSQL_URL,
    libsqlAuthToken: env.LIBSQL_AUTH_TOKEN || undefined,
    directoryUrl: env.DIRECTORY_URL || undefined,
    directoryAuthToken: env.DIRECTORY_AUTH_TOKEN || undefined,
    regionTokens: Object.fromEntries(parseKeys(env.LIBSQL_TOKENS ?? '').map((k) => [k.kid, k.secret])),
    defaultRegion: env.DEFAULT_REGION ?? 'eu',
    placementCacheMs: env.PLACEMENT_CACHE_SECONDS ?? 30,
    jwtKeys: parseKeys(env.JWT_KEYS ?? (local ? DEV_JWT_KEY : '')),
    sessionTtlSeconds: env.SESSION_TTL_SECONDS ?? 8 * 3600,
    maxBodyBytes: env.MAX_BODY_BYTES ?? 64 * 1024,
    publicBaseUrl: env.PUBLIC_BASE_URL ?? (local ? 'http://127.0.0.1:8787' : undefined),
    outboundAllow: (env.OUTBOUND_ALLOW ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    storageDeadlineMs: env.STORAGE_DEADLINE_MS ?? 3000,
    jobStorageDeadlineMs: env.JOB_STORAGE_DEADLINE_MS ?? 30_000,
  });
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${fields}`);
  }
  cache.set(env, parsed.data);
  return parsed.data;
}
