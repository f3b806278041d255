import { AsyncLocalStorage } from 'node:async_hooks';
import type { Client, InStatement, InValue, ResultSet } from '@libsql/client/web';
import { drizzle } from 'drizzle-orm/libsql/web';
import { fillPlaceholders, Placeholder, sql, type SQL } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import type { Db } from './client';
import { TenantDb } from './tenant-db';

/*
 * Statements whose SQL is built once per isolate. Drizzle builds a statement's SQL text on every
 * call, and on capture's hot path that was most of the Worker's CPU beside the round trips
 * (scripts/bench-profile.ts). A drizzle prepared statement keeps its text and binds placeholders
 * (`sql.placeholder`). But a prepared statement holds the client it was prepared on, and a
 * Worker may not share a client across requests (cloudflare/workers-sdk#2988: "don't cache the
 * client object - it must be new each request"). So the statements are prepared once on a
 * drizzle of their own whose client does no I/O: it forwards each statement to the calling
 * request's client, which `statement(...)` puts in an AsyncLocalStorage for the call.
 */
const requestClient = new AsyncLocalStorage<Client>();

const forwarding = {
  execute(statement: Parameters<Client['execute']>[0]) {
    const client = requestClient.getStore();
    if (!client) throw new Error('a prepared statement ran outside statement(): no request client');
    return client.execute(statement);
  },
} as unknown as Client; // prepared statements call execute alone

let shared: Db | undefined;

interface Executable {
  execute(values?: Record<string, unknown>): Promise<unknown>;
}

/**
 * A statement prepared once per isolate (on first use) and run on the request's own client:
 * `const answerOf = statement((db) => db.select()…where(eq(t.id, sql.placeholder('id'))).prepare());`
 * then `await answerOf(db, { id })`. One statement, no batch: a batch builds its statements afresh.
 */
export function statement<P extends Executable>(prepare: (db: Db) => P): (db: Db, values: Record<string, unknown>) => ReturnType<P['execute']> {
  let prepared: P | undefined;
  return (db, values) => {
    prepared ??= prepare((shared ??= drizzle(forwarding)));
    return requestClient.run(db.$client, () => prepared!.execute(values)) as ReturnType<P['execute']>;
  };
}

/**
 * A statement of tenant data prepared once per isolate through a TenantDb whose tenant is the
 * placeholder `tenant`, bound to the calling handle's tenant on every run:
 * `const q = tenantStatement((t) => t.select()…where(eq(x.id, sql.placeholder('id'))).prepare());`
 * then `await q(t, { id })`.
 */
export function tenantStatement<P extends Executable>(prepare: (t: TenantDb) => P): (t: TenantDb, values: Record<string, unknown>) => ReturnType<P['execute']> {
  let prepared: P | undefined;
  return (t, values) => {
    prepared ??= prepare(new TenantDb((shared ??= drizzle(forwarding)), sql.placeholder('tenant')));
    return requestClient.run(t.client, () => prepared!.execute({ ...values, tenant: t.tenantId })) as ReturnType<P['execute']>;
  };
}

/** Marks each parameter with its position between two private-use characters (no SQL text holds them), for `numbered` to renumber. */
class NumberedDialect extends SQLiteSyncDialect {
  override escapeParam(num: number) {
    return `\ue000${num}\ue001`;
  }
}

/**
 * The text with numbered parameters (`?1`), a placeholder used in several places (the tenant,
 * the time) bound once: fewer arguments to encode, send and bind on every run.
 */
function numbered(query: { sql: string; params: unknown[] }) {
  const params: unknown[] = [];
  const text = query.sql.replace(/\ue000(\d+)\ue001/g, (_, n: string) => {
    const param = query.params[Number(n)];
    let at = param instanceof Placeholder ? params.findIndex((p) => p instanceof Placeholder && p.name === param.name) : -1;
    if (at < 0) at = params.push(param) - 1;
    return `?${at + 1}`;
  });
  return { sql: text, params };
}

/**
 * Raw SQL of tenant data whose text is built once per isolate, placeholders (and the tenant)
 * bound per call, run on the calling handle's client: for a statement drizzle's builders cannot
 * say, such as capture's insert from a select with subqueries in RETURNING. Rows come back as the
 * driver gives them, by column name.
 */
export function tenantSqlStatement<R>(build: (t: TenantDb) => SQL): (t: TenantDb, values: Record<string, unknown>) => Promise<R[]> {
  let query: { sql: string; params: unknown[] } | undefined;
  return async (t, values) => {
    query ??= numbered(new NumberedDialect().sqlToQuery(build(new TenantDb((shared ??= drizzle(forwarding)), sql.placeholder('tenant')))));
    const rs = await t.client.execute({ sql: query.sql, args: fillPlaceholders(query.params, { ...values, tenant: t.tenantId }) as InValue[] });
    return rs.rows as unknown as R[];
  };
}

/** A statement of a batch: its SQL with the values bound, and how its result becomes rows. */
export interface BatchStatement<R> {
  statement: InStatement;
  read(result: ResultSet): R;
}

/** What a drizzle `.prepare()` gives that a batch needs: the SQL with its placeholders, and the row mapping. */
interface Prepared {
  getQuery(): { sql: string; params: unknown[] };
  mapResult(response: unknown, isFromBatch?: boolean): unknown;
  execute(values?: Record<string, unknown>): Promise<unknown>;
}

type RowsOf<P extends Prepared> = Awaited<ReturnType<P['execute']>>;

const bound = <P extends Prepared>(prepared: P, values: Record<string, unknown>): BatchStatement<RowsOf<P>> => {
  const query = prepared.getQuery();
  return { statement: { sql: query.sql, args: fillPlaceholders(query.params, values) as InValue[] }, read: (rs) => prepared.mapResult(rs, true) as RowsOf<P> };
};

/**
 * A statement of tenant data for a batch, built once per isolate like `tenantStatement` (drizzle
 * builds a batch's statements afresh on every call: the answer follow-up spent most of its
 * Worker CPU there, scripts/bench-profile.ts). `key` tells apart the shapes one builder makes
 * (say, the number of ids in an IN list): each is built once.
 */
export function tenantBatchStatement<P extends Prepared, A extends unknown[] = []>(
  build: (t: TenantDb, ...shape: A) => P,
  key: (...shape: A) => string | number = () => 0,
): (t: TenantDb, values: Record<string, unknown>, ...shape: A) => BatchStatement<RowsOf<P>> {
  const built = new Map<string | number, P>();
  return (t, values, ...shape) => {
    const k = key(...shape);
    let prepared = built.get(k);
    if (!prepared) built.set(k, (prepared = build(new TenantDb((shared ??= drizzle(forwarding)), sql.placeholder('tenant')), ...shape)));
    return bound(prepared, { ...values, tenant: t.tenantId });
  };
}

/** Placeholders named as the keys: an insert's values prepared once, bound per call to a row with those keys. */
export const placeholders = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, sql.placeholder(k)])) as unknown as Record<K, Placeholder>;

type Statement = BatchStatement<unknown> | BatchItem<'sqlite'>;
type ResultOf<S> = S extends BatchStatement<infer R> ? R : unknown;

/**
 * Statements in one round trip and one implicit transaction, as drizzle's batch runs them (all
 * or nothing); each one's rows in order. A drizzle query among them is built here, as drizzle's
 * own batch builds it (`_prepare`).
 */
export async function runBatch<const T extends readonly Statement[]>(t: TenantDb, statements: T): Promise<{ -readonly [K in keyof T]: ResultOf<T[K]> }> {
  const parts = statements.map((s) => ('statement' in s ? s : bound((s as unknown as { _prepare(): Prepared })._prepare(), {})));
  const results = await t.client.batch(parts.map((p) => p.statement));
  return results.map((rs, i) => parts[i]!.read(rs)) as { -readonly [K in keyof T]: ResultOf<T[K]> };
}
