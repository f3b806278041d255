import { AsyncLocalStorage } from 'node:async_hooks';
import type { Client, InValue } from '@libsql/client/web';
import { drizzle } from 'drizzle-orm/libsql/web';
import { fillPlaceholders, sql, type SQL } from 'drizzle-orm';
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

/**
 * Raw SQL of tenant data whose text is built once per isolate, placeholders (and the tenant)
 * bound per call, run on the calling handle's client: for a statement drizzle's builders cannot
 * say, such as capture's insert from a select with subqueries in RETURNING. Rows come back as the
 * driver gives them, by column name.
 */
export function tenantSqlStatement<R>(build: (t: TenantDb) => SQL): (t: TenantDb, values: Record<string, unknown>) => Promise<R[]> {
  let query: { sql: string; params: unknown[] } | undefined;
  return async (t, values) => {
    query ??= new SQLiteSyncDialect().sqlToQuery(build(new TenantDb((shared ??= drizzle(forwarding)), sql.placeholder('tenant'))));
    const rs = await t.client.execute({ sql: query.sql, args: fillPlaceholders(query.params, { ...values, tenant: t.tenantId }) as InValue[] });
    return rs.rows as unknown as R[];
  };
}
