import { and, eq, getTableName, is, SQL, type InferInsertModel, type Placeholder } from 'drizzle-orm';
import { SQLiteTable, type SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Db } from './client';

/*
 * The one tenant-scoped data layer (docs/architecture.md, "One tenant-scoped data layer").
 * Handlers and domain code never see the database itself: they get a TenantDb bound to
 * (database, tenant), and it adds the tenant to every statement they build through it:
 *   - select: `tenant_id = ?` on the table read and in the ON of every joined table;
 *   - update and delete: `tenant_id = ?` and-ed to whatever `where` the caller gives (and
 *     present when the caller gives none); an update never moves a row to another tenant;
 *   - insert: the tenant id on every row.
 * The unscoped handle is for the directory and named cross-tenant sweeps alone;
 * test/node/data-layer.test.ts fails when other code reaches it or writes a tenant
 * condition by hand.
 */

/** A table of tenant data: it has a tenant_id column (every table of the data database but `tenants`). */
export type TenantTable = SQLiteTable & { tenantId: SQLiteColumn };
type Tenant = string | Placeholder;

/** The column naming a row's tenant: tenant_id, or the id of the `tenants` row itself (its settings). */
function tenantColumn(table: unknown): SQLiteColumn | undefined {
  if (!is(table, SQLiteTable)) return undefined;
  const columns = table as unknown as Record<string, SQLiteColumn | undefined>;
  return columns.tenantId ?? (getTableName(table) === 'tenants' ? columns.id : undefined);
}

/** Insert values without the tenant: the handle adds it. */
export type TenantInsert<T extends TenantTable> = { [K in keyof InferInsertModel<T> as K extends 'tenantId' ? never : K]: InferInsertModel<T>[K] };

function ownColumn(table: SQLiteTable): SQLiteColumn {
  const column = tenantColumn(table);
  if (!column) throw new Error(`TenantDb: ${getTableName(table)} holds no tenant data`);
  return column;
}

// Drizzle's builders are mutable objects whose `where` and join methods are instance members
// (the joins are class fields); the handle wraps them on the builder it hands out.
type Wherever = { where: (w?: SQL) => unknown; config: { where?: SQL } };
type Joinable = Record<'innerJoin' | 'leftJoin', (table: unknown, on?: SQL) => unknown>;

function scopeWhere(builder: Wherever, own: SQL) {
  const where = builder.where.bind(builder);
  builder.config.where = builder.config.where ? and(builder.config.where, own) : own;
  builder.where = (w?: SQL) => {
    if (w !== undefined && !is(w, SQL)) throw new Error('TenantDb: give `where` an SQL condition, not a callback');
    return where(w ? and(own, w) : own);
  };
}

export class TenantDb {
  readonly #db: Db;

  /**
   * `tenantId` is the tenant's id, or a placeholder when the statement is prepared once per
   * isolate and bound per call (`tenantStatement` in src/db/prepared.ts).
   */
  constructor(
    db: Db,
    readonly tenantId: Tenant,
    /** The data database's catalog id, when bound through the data plane: links signed on this handle carry it. */
    readonly databaseId?: string,
  ) {
    this.#db = db;
  }

  /** `tenant_id = <this tenant>` on a table, for raw SQL and conflict targets built through the handle. */
  owns(table: TenantTable): SQL {
    return eq(table.tenantId, this.tenantId);
  }

  /** A select whose table and every joined table are restricted to this tenant. */
  readonly select: Db['select'] = ((fields?: never) => this.#scopeSelect(this.#db.select(fields as never))) as Db['select'];
  readonly selectDistinct: Db['selectDistinct'] = ((fields?: never) => this.#scopeSelect(this.#db.selectDistinct(fields as never))) as Db['selectDistinct'];

  #scopeSelect<B extends { from: (t: never) => unknown }>(builder: B): B {
    const from = builder.from.bind(builder);
    builder.from = ((table: never) => {
      const query = from(table) as Wherever & Joinable;
      const column = tenantColumn(table);
      if (column) scopeWhere(query, eq(column, this.tenantId));
      for (const join of ['innerJoin', 'leftJoin'] as const) {
        const original = query[join].bind(query);
        query[join] = (joined: unknown, on?: SQL) => {
          const own = tenantColumn(joined);
          return original(joined, own ? (on ? and(eq(own, this.tenantId), on) : eq(own, this.tenantId)) : on);
        };
      }
      // A cross join has no ON: its table's tenant condition goes to the where. (SQLite keeps a
      // cross join's tables in their order: a read that must start from one of them says so.)
      const crossJoin = (query as unknown as { crossJoin: (t: unknown) => unknown }).crossJoin.bind(query);
      (query as unknown as { crossJoin: (t: unknown) => unknown }).crossJoin = (joined: unknown) => {
        const own = tenantColumn(joined);
        if (!own) throw new Error('TenantDb: a cross join takes a table with tenant data');
        crossJoin(joined);
        scopeWhere(query, eq(own, this.tenantId));
        return query;
      };
      // A right or full join would bring rows in without a tenant condition of their own.
      for (const join of ['rightJoin', 'fullJoin'] as const) {
        (query as unknown as Record<string, unknown>)[join] = () => {
          throw new Error(`TenantDb: ${join} is not scoped; use innerJoin or leftJoin`);
        };
      }
      return query;
    }) as B['from'];
    return builder;
  }

  /**
   * An insert that puts this tenant's id on every row (a tenant id the caller gives is
   * overwritten). A table without tenant data (rate_limits: counters keyed by their own key) is
   * written as given.
   */
  insert<T extends SQLiteTable>(table: T) {
    type Row = T extends TenantTable ? TenantInsert<T> : InferInsertModel<T>;
    const builder = this.#db.insert(table);
    const ownsRows = 'tenantId' in table;
    const tenantId = this.tenantId;
    const own = (row: Row) => (ownsRows ? { ...row, tenantId } : row) as InferInsertModel<T>;
    return {
      values(rows: Row | Row[]) {
        // The array and single overloads of drizzle's `values` build the same statement.
        return builder.values((Array.isArray(rows) ? rows.map(own) : own(rows)) as InferInsertModel<T>);
      },
    };
  }

  /** An update restricted to this tenant's rows (its own `tenants` row included); `tenantId` in `set` is ignored. */
  update<T extends SQLiteTable>(table: T) {
    const builder = this.#db.update(table);
    const set = builder.set.bind(builder);
    const own = eq(ownColumn(table), this.tenantId);
    builder.set = ((values: Record<string, unknown>) => {
      const { tenantId: _ignored, ...rest } = values;
      const query = set(rest as never);
      scopeWhere(query as unknown as Wherever, own);
      return query;
    }) as typeof builder.set;
    return builder;
  }

  /** A delete restricted to this tenant's rows. */
  delete<T extends TenantTable>(table: T) {
    const query = this.#db.delete(table);
    scopeWhere(query as unknown as Wherever, eq(ownColumn(table), this.tenantId));
    return query;
  }

  /** Raw SQL through the handle: the caller scopes it with `owns(table)`. */
  all<R>(query: SQL) {
    return this.#db.all<R>(query);
  }
  get<R>(query: SQL) {
    return this.#db.get<R>(query);
  }
  run(query: SQL) {
    return this.#db.run(query);
  }

  /** The statements as one atomic batch in one round trip. */
  readonly batch: Db['batch'] = ((statements: never) => this.#db.batch(statements)) as Db['batch'];

  /** For `statement(...)` of src/db/prepared.ts: the request's client the prepared statement runs on. */
  get client() {
    return this.#db.$client;
  }
}
