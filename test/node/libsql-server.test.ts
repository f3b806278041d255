// The local libSQL server, driven through @libsql/client/web (the Worker's client) over HTTP.
// Expected error codes are those sqld sends (tursodatabase/libsql libsql-server/src/hrana/stmt.rs).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client, type InStatement } from '@libsql/client/web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLibsqlServer, type LibsqlServer } from '../../scripts/libsql-server';

let server: LibsqlServer;
let db: Client;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A raw Hrana request, for what the client library cannot express.
async function pipeline(url: string, body: unknown, version = 2) {
  const res = await fetch(`${url}/v${version}/pipeline`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

async function expectCode(promise: Promise<unknown>, code: string, message?: RegExp) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as { code?: string; message: string },
  );
  expect(error, 'the statement should have failed').toBeDefined();
  expect(error!.code).toBe(code);
  if (message) expect(error!.message).toMatch(message);
}

beforeAll(async () => {
  server = await startLibsqlServer();
  db = createClient({ url: server.url });
});

afterAll(async () => {
  db.close();
  await server.close();
});

describe('statements', () => {
  it('executes statements and returns rows, columns and declared types', async () => {
    await db.execute('CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
    await db.execute({ sql: 'INSERT INTO person (name) VALUES (?), (?)', args: ['Ada', 'Grace'] });
    const rs = await db.execute('SELECT id, name, length(name) AS len FROM person ORDER BY id');
    expect(rs.columns).toEqual(['id', 'name', 'len']);
    expect(rs.columnTypes).toEqual(['INTEGER', 'TEXT', '']);
    expect(rs.rows.map((r) => [r.id, r.name, r.len])).toEqual([
      [1, 'Ada', 3],
      [2, 'Grace', 5],
    ]);
  });

  it('runs several statements with executeMultiple', async () => {
    await db.executeMultiple(`
      CREATE TABLE multi (x INTEGER);
      -- a comment; with a semicolon
      INSERT INTO multi VALUES (1);
      INSERT INTO multi VALUES (2);
      CREATE TRIGGER multi_double AFTER INSERT ON multi BEGIN
        INSERT INTO multi VALUES (NEW.x * 100) ; -- never recursive: triggers are not
      END;
      INSERT INTO multi VALUES (3);
    `);
    const rs = await db.execute('SELECT x FROM multi ORDER BY x');
    expect(rs.rows.map((r) => r.x)).toEqual([1, 2, 3, 300]);
  });

  it('keeps INTEGER and REAL apart, 1.0 staying a float', async () => {
    await db.execute('CREATE TABLE num (v)'); // no affinity: the bound type is kept
    await db.batch([
      { sql: 'INSERT INTO num VALUES (?)', args: [1] }, // a JS number travels as a float
      { sql: 'INSERT INTO num VALUES (?)', args: [1n] },
      { sql: 'INSERT INTO num VALUES (?)', args: [2.5] },
    ]);
    const rs = await db.execute('SELECT typeof(v) AS t FROM num ORDER BY rowid');
    expect(rs.rows.map((r) => r.t)).toEqual(['real', 'integer', 'real']);

    const big = createClient({ url: server.url, intMode: 'bigint' });
    const literal = await big.execute('SELECT 1.0 AS f, 1 AS i, typeof(1.0) AS t');
    expect(typeof literal.rows[0]!.f).toBe('number');
    expect(literal.rows[0]!.i).toBe(1n);
    expect(literal.rows[0]!.t).toBe('real');
    const stored = await big.execute('SELECT v FROM num ORDER BY rowid');
    expect(stored.rows.map((r) => r.v)).toEqual([1, 1n, 2.5]);
    big.close();
  });

  it('round-trips integers beyond 2^53 exactly', async () => {
    const values = [9007199254740993n, 9223372036854775807n, -9223372036854775808n];
    await db.execute('CREATE TABLE big (v INTEGER)');
    await db.batch(values.map((v) => ({ sql: 'INSERT INTO big VALUES (?)', args: [v] })));

    const asBigint = createClient({ url: server.url, intMode: 'bigint' });
    const rs = await asBigint.execute('SELECT v, v + 0 = ? AS same FROM big ORDER BY rowid', [9007199254740993n]);
    expect(rs.rows.map((r) => r.v)).toEqual(values);
    expect(rs.rows.map((r) => r.same)).toEqual([1n, 0n, 0n]);
    asBigint.close();

    const asString = createClient({ url: server.url, intMode: 'string' });
    const rs2 = await asString.execute('SELECT v FROM big ORDER BY rowid');
    expect(rs2.rows.map((r) => r.v)).toEqual(values.map(String));
    asString.close();
  });

  it('round-trips blobs given as Uint8Array or ArrayBuffer', async () => {
    await db.execute('CREATE TABLE bin (b BLOB)');
    const blobs = [new Uint8Array([0]), new Uint8Array([255, 0]), new Uint8Array([1, 2, 3]), new Uint8Array(0)];
    await db.batch([...blobs.map((b) => ({ sql: 'INSERT INTO bin VALUES (?)', args: [b] })), { sql: 'INSERT INTO bin VALUES (?)', args: [new Uint8Array([9, 8, 7, 6]).buffer] }]);
    const rs = await db.execute('SELECT b, typeof(b) AS t, hex(b) AS h FROM bin ORDER BY rowid');
    expect(rs.rows.map((r) => r.t)).toEqual(['blob', 'blob', 'blob', 'blob', 'blob']);
    expect(rs.rows.map((r) => r.h)).toEqual(['00', 'FF00', '010203', '', '09080706']);
    expect(rs.rows.map((r) => [...new Uint8Array(r.b as ArrayBuffer)])).toEqual([[0], [255, 0], [1, 2, 3], [], [9, 8, 7, 6]]);
  });

  it('round-trips NULL', async () => {
    const rs = await db.execute({ sql: 'SELECT ? AS v, typeof(?) AS t, NULL AS n', args: [null, null] });
    expect(rs.rows[0]!.v).toBeNull();
    expect(rs.rows[0]!.t).toBe('null');
    expect(rs.rows[0]!.n).toBeNull();
  });

  it('binds positional ? and ?NNN parameters', async () => {
    const rs = await db.execute({ sql: "SELECT ? || '-' || ? AS a, ?2 || ?1 || ?2 AS b", args: ['x', 'y'] });
    expect(rs.rows[0]!.a).toBe('x-y');
    expect(rs.rows[0]!.b).toBe('yxy');
  });

  it('binds named :a, @a and $a parameters, with or without the prefix', async () => {
    const sql = 'SELECT :a AS colon, @b AS at, $c AS dollar, :a || @b AS again';
    const bare = await db.execute({ sql, args: { a: 'A', b: 'B', c: 'C' } });
    expect([bare.rows[0]!.colon, bare.rows[0]!.at, bare.rows[0]!.dollar, bare.rows[0]!.again]).toEqual(['A', 'B', 'C', 'AB']);
    const prefixed = await db.execute({ sql, args: { ':a': 1, '@b': 2, $c: null } });
    expect([prefixed.rows[0]!.colon, prefixed.rows[0]!.at, prefixed.rows[0]!.dollar]).toEqual([1, 2, null]);
  });

  it('reports rowsAffected and lastInsertRowid as sqld computes them', async () => {
    await db.execute('CREATE TABLE counted (id INTEGER PRIMARY KEY, v TEXT)');
    const insert = await db.execute("INSERT INTO counted (v) VALUES ('a'), ('b'), ('c')");
    expect(insert.rowsAffected).toBe(3);
    expect(insert.lastInsertRowid).toBe(3n);

    const update = await db.execute("UPDATE counted SET v = 'z' WHERE id >= 2");
    expect(update.rowsAffected).toBe(2);
    expect(update.lastInsertRowid).toBeUndefined();

    // The driver's changes() still says 2 here: DDL and SELECT must report 0.
    const ddl = await db.execute('CREATE INDEX counted_v ON counted (v)');
    expect(ddl.rowsAffected).toBe(0);
    const select = await db.execute('SELECT * FROM counted');
    expect(select.rowsAffected).toBe(0);

    const returning = await db.execute("INSERT INTO counted (v) VALUES ('d'), ('e') RETURNING id, v");
    expect(returning.rowsAffected).toBe(2);
    expect(returning.lastInsertRowid).toBe(5n);
    expect(returning.rows.map((r) => [r.id, r.v])).toEqual([
      [4, 'd'],
      [5, 'e'],
    ]);

    const del = await db.execute('DELETE FROM counted WHERE id <= 4');
    expect(del.rowsAffected).toBe(4);
    const none = await db.execute('DELETE FROM counted WHERE id = 999');
    expect(none.rowsAffected).toBe(0);
  });
});

describe('errors', () => {
  beforeAll(async () => {
    await db.executeMultiple(`
      CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE child (
        id INTEGER PRIMARY KEY,
        parent_id INTEGER REFERENCES parent (id),
        email TEXT UNIQUE,
        name TEXT NOT NULL DEFAULT 'n',
        age INTEGER CHECK (age >= 0)
      );
      INSERT INTO parent VALUES (1);
      INSERT INTO child (parent_id, email) VALUES (1, 'taken@example.com');
    `);
  });

  it('reports constraint violations with the primary code SQLITE_CONSTRAINT', async () => {
    await expectCode(db.execute("INSERT INTO child (email) VALUES ('taken@example.com')"), 'SQLITE_CONSTRAINT', /SQLite error: UNIQUE constraint failed: child\.email/);
    await expectCode(db.execute('INSERT INTO child (name) VALUES (NULL)'), 'SQLITE_CONSTRAINT', /NOT NULL constraint failed: child\.name/);
    await expectCode(db.execute('INSERT INTO child (parent_id) VALUES (42)'), 'SQLITE_CONSTRAINT', /FOREIGN KEY constraint failed/);
    await expectCode(db.execute('INSERT INTO child (age) VALUES (-1)'), 'SQLITE_CONSTRAINT', /CHECK constraint failed: age >= 0/);
  });

  it('reports parse, input and SQLite errors with sqld codes', async () => {
    await expectCode(db.execute('SELEC 1'), 'SQL_PARSE_ERROR', /SQL string could not be parsed: syntax error around L1:\d+: `SELEC`/);
    await expectCode(db.execute('SELECT nope FROM child'), 'SQL_INPUT_ERROR', /no such column: nope \(at offset 7\)/);
    await expectCode(db.execute('SELECT * FROM missing'), 'SQLITE_UNKNOWN', /SQLite error: no such table: missing/);
    await expectCode(db.execute('SELECT 1; SELECT 2'), 'SQL_MANY_STATEMENTS');
    await expectCode(db.execute('  -- nothing\n'), 'SQL_NO_STATEMENT');
    await expectCode(db.execute('VACUUM'), 'SQL_PARSE_ERROR', /unsupported statement: VACUUM/);
  });

  it('rejects arguments that do not match the parameters, as sqld does', async () => {
    await expectCode(db.execute({ sql: 'SELECT ?, ?', args: [1] }), 'ARGS_INVALID', /value for parameter 2 not found/);
    await expectCode(db.execute({ sql: 'SELECT ?', args: [1, 2] }), 'ARGS_INVALID', /too many parameters, expected 1 found 2/);
    await expectCode(db.execute({ sql: 'SELECT :a', args: { b: 1 } }), 'ARGS_INVALID', /value for parameter :a not found/);
  });
});

describe('batches and transactions', () => {
  beforeAll(async () => {
    await db.execute('CREATE TABLE account (name TEXT PRIMARY KEY, balance INTEGER NOT NULL)');
  });

  it('applies a successful batch and returns each result', async () => {
    const results = await db.batch(["INSERT INTO account VALUES ('alice', 10)", "INSERT INTO account VALUES ('bob', 20)", 'SELECT sum(balance) AS total FROM account'], 'write');
    expect(results.map((r) => r.rowsAffected)).toEqual([1, 1, 0]);
    expect(results[2]!.rows[0]!.total).toBe(30);
  });

  it('rolls a failing batch back entirely', async () => {
    await expectCode(
      db.batch(
        [
          "INSERT INTO account VALUES ('carol', 5)",
          "INSERT INTO account VALUES ('alice', 1)", // duplicate primary key
          "INSERT INTO account VALUES ('dave', 5)",
        ],
        'write',
      ),
      'SQLITE_CONSTRAINT',
    );
    const rs = await db.execute('SELECT name FROM account ORDER BY name');
    expect(rs.rows.map((r) => r.name)).toEqual(['alice', 'bob']);
  });

  it('commits an interactive transaction', async () => {
    const tx = await db.transaction('write');
    await tx.execute("UPDATE account SET balance = balance - 3 WHERE name = 'alice'");
    const inside = await tx.execute("SELECT balance FROM account WHERE name = 'alice'");
    expect(inside.rows[0]!.balance).toBe(7);
    await tx.execute("UPDATE account SET balance = balance + 3 WHERE name = 'bob'");
    await tx.commit();
    const rs = await db.execute('SELECT name, balance FROM account ORDER BY name');
    expect(rs.rows.map((r) => [r.name, r.balance])).toEqual([
      ['alice', 7],
      ['bob', 23],
    ]);
  });

  it('rolls an interactive transaction back', async () => {
    const tx = await db.transaction('write');
    await tx.execute("DELETE FROM account WHERE name = 'bob'");
    expect((await tx.execute('SELECT count(*) AS n FROM account')).rows[0]!.n).toBe(1);
    await tx.rollback();
    expect((await db.execute('SELECT count(*) AS n FROM account')).rows[0]!.n).toBe(2);
  });

  it('serializes concurrent transactions from two clients, both succeeding', async () => {
    await db.execute("INSERT INTO account VALUES ('counter', 0)");
    const increment = async (client: Client) => {
      const tx = await client.transaction('write');
      const rs = await tx.execute("SELECT balance FROM account WHERE name = 'counter'");
      await sleep(50); // the other transaction must wait rather than interleave
      await tx.execute({ sql: "UPDATE account SET balance = ? WHERE name = 'counter'", args: [Number(rs.rows[0]!.balance) + 1] });
      await tx.commit();
    };
    const [a, b] = [createClient({ url: server.url }), createClient({ url: server.url })];
    await Promise.all([increment(a), increment(b)]);
    a.close();
    b.close();
    expect((await db.execute("SELECT balance FROM account WHERE name = 'counter'")).rows[0]!.balance).toBe(2);
  });

  it('rolls back a transaction held for 5 s while another stream waits (sqld TXN_TIMEOUT)', async () => {
    await db.execute('CREATE TABLE held (who TEXT)');
    const [a, b] = [createClient({ url: server.url }), createClient({ url: server.url })];
    const tx = await a.transaction('write');
    await tx.execute("INSERT INTO held VALUES ('a')");
    const started = Date.now();
    await b.execute("INSERT INTO held VALUES ('b')"); // waits for the lock, then takes it over
    expect(Date.now() - started).toBeGreaterThan(4_000);
    await expectCode(tx.execute('SELECT 1'), 'TRANSACTION_TIMEOUT');
    tx.close();
    expect((await db.execute('SELECT who FROM held')).rows.map((r) => r.who)).toEqual(['b']);
    a.close();
    b.close();
  });
});

describe('protocol', () => {
  it('answers the version probes and health check like sqld', async () => {
    const v2 = await fetch(`${server.url}/v2`);
    expect(v2.status).toBe(200);
    expect(await v2.text()).toBe('Hello, this is HTTP API v2 (Hrana over HTTP)');
    expect((await fetch(`${server.url}/v3`)).status).toBe(200);
    expect((await fetch(`${server.url}/v3-protobuf`)).status).toBe(404);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('ties requests together with batons and rejects bad ones', async () => {
    const first = await pipeline(server.url, { requests: [{ type: 'execute', stmt: { sql: 'BEGIN' } }] });
    const { baton } = JSON.parse(first.body) as { baton: string };
    expect(baton).toMatch(/^[A-Za-z0-9+/]{64}$/);
    const second = await pipeline(server.url, { baton, requests: [{ type: 'execute', stmt: { sql: 'SELECT 1' } }] });
    const next = (JSON.parse(second.body) as { baton: string }).baton;
    expect(next).not.toBe(baton);

    const reused = await pipeline(server.url, { baton, requests: [] });
    expect(reused).toMatchObject({ status: 400, type: 'text/plain', body: 'Received a baton that has already been used' });
    const last = await pipeline(server.url, { baton: next, requests: [{ type: 'close' }] });
    expect(JSON.parse(last.body)).toMatchObject({ baton: null, results: [{ type: 'ok', response: { type: 'close' } }] });
    const closed = await pipeline(server.url, { baton: next, requests: [] });
    expect(closed).toMatchObject({ status: 400, type: 'text/plain', body: 'Received an invalid baton' });
    const forged = await pipeline(server.url, { baton: 'A'.repeat(64), requests: [] });
    expect(forged.status).toBe(400);
  });

  it('supports v3 get_autocommit and is_autocommit, and not in v2', async () => {
    const res = await pipeline(
      server.url,
      {
        requests: [
          { type: 'get_autocommit' },
          {
            type: 'batch',
            batch: {
              steps: [
                { stmt: { sql: 'BEGIN' } },
                { stmt: { sql: 'SELECT 1' }, condition: { type: 'is_autocommit' } },
                { stmt: { sql: 'SELECT 2' }, condition: { type: 'not', cond: { type: 'is_autocommit' } } },
              ],
            },
          },
          { type: 'get_autocommit' },
          { type: 'close' },
        ],
      },
      3,
    );
    const body = JSON.parse(res.body) as { results: { response: Record<string, unknown> }[] };
    expect(body.results[0]!.response).toEqual({ type: 'get_autocommit', is_autocommit: true });
    expect(body.results[1]!.response).toMatchObject({ result: { step_results: [{}, null, {}] } });
    expect(body.results[2]!.response).toEqual({ type: 'get_autocommit', is_autocommit: false });
    const v2 = await pipeline(server.url, { requests: [{ type: 'get_autocommit' }] });
    expect(v2.status).toBe(400);
  });

  it('honours want_rows: false and reports describe', async () => {
    const res = await pipeline(server.url, {
      requests: [
        { type: 'execute', stmt: { sql: 'SELECT 1 AS one', want_rows: false } },
        { type: 'describe', sql: 'SELECT id, name FROM person WHERE id = :id' },
      ],
    });
    const [execute, describeResult] = (JSON.parse(res.body) as { results: { response: { result: unknown } }[] }).results;
    expect(execute!.response.result).toMatchObject({ cols: [{ name: 'one' }], rows: [] });
    expect(describeResult!.response.result).toEqual({
      params: [{ name: ':id' }],
      cols: [
        { name: 'id', decltype: 'INTEGER' },
        { name: 'name', decltype: 'TEXT' },
      ],
      is_explain: false,
      is_readonly: true,
    });
  });

  it('refuses bodies over 10 MiB with a JSON 413', async () => {
    const res = await fetch(`${server.url}/v2/pipeline`, { method: 'POST', body: 'x'.repeat(11 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(((await res.json()) as { code: string }).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('counts statements, rows and requests', async () => {
    await db.execute('CREATE TABLE tally (v INTEGER)');
    server.resetStats();
    await db.execute('INSERT INTO tally VALUES (1), (2), (3)');
    await db.execute('SELECT v FROM tally');
    await db.execute('UPDATE tally SET v = v + 1 WHERE v > 1');
    // Scanned: the SELECT visits the 3 rows, the UPDATE (no index) visits all 3 to find its 2.
    expect(server.stats()).toEqual({ rowsRead: 3 + 2, rowsScanned: 3 + 3, scannedCounted: true, rowsWritten: 3 + 2, statements: 3, requests: 3 });
    const viaHttp = (await (await fetch(`${server.url}/stats`)).json()) as { statements: number };
    expect(viaHttp.statements).toBe(3);
  });

  it("counts the rows a statement's triggers change as written and read, and reports its own affected rows alone", async () => {
    await db.executeMultiple(`CREATE TABLE box (id INTEGER PRIMARY KEY, n INTEGER);
      CREATE TABLE item (box INTEGER);
      INSERT INTO box VALUES (1, 0), (2, 0);
      CREATE TRIGGER item_counts AFTER INSERT ON item BEGIN UPDATE box SET n = n + 1 WHERE id = NEW.box; END;`);
    server.resetStats();
    const insert = await db.execute('INSERT INTO item VALUES (1), (2), (2)');
    // 3 items inserted; the trigger ran three times, changing one box row each time.
    expect(insert.rowsAffected).toBe(3);
    expect(server.stats()).toMatchObject({ rowsRead: 3, rowsWritten: 3 + 3, statements: 1, requests: 1 });
  });

  it('counts the rows a statement scans as libSQL does for billing, not the rows it returns', async () => {
    await db.executeMultiple(`CREATE TABLE visit (id INTEGER PRIMARY KEY, site INTEGER, score INTEGER);
      CREATE INDEX visit_site ON visit (site);`);
    // 1,000 visits over 10 sites: 100 a site.
    await db.execute('WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) INSERT INTO visit SELECT i, i % 10, i % 11 FROM n');
    const scanned = async (sql: string) => {
      server.resetStats();
      const rows = (await db.execute(sql)).rows.length;
      return { rows, scanned: server.stats().rowsScanned };
    };
    // An aggregate returns one row and reads every visit.
    expect(await scanned('SELECT sum(score) FROM visit')).toEqual({ rows: 1, scanned: 1000 });
    // A seek on the site index reads the site's 100 entries; the cursor's step past the last one
    // lands on the next site's first entry, which the counter also sees.
    expect(await scanned('SELECT count(*) FROM visit WHERE site = 3')).toEqual({ rows: 1, scanned: 101 });
    // The same filter without the index: every row.
    expect(await scanned('SELECT id FROM visit WHERE score = 3')).toEqual({ rows: 91, scanned: 1000 });
    // A primary-key lookup: one row.
    expect(await scanned('SELECT * FROM visit WHERE id = 500')).toEqual({ rows: 1, scanned: 1 });
  });
});

describe('stream expiry', () => {
  it('expires an idle stream, rolling its transaction back', async () => {
    const short = await startLibsqlServer({ streamIdleTimeoutMs: 200 });
    const client = createClient({ url: short.url });
    await client.execute('CREATE TABLE t (x)');
    const tx = await client.transaction('write');
    await tx.execute("INSERT INTO t VALUES ('lost')");
    await sleep(500);
    await expectCode(tx.execute('SELECT 1'), 'STREAM_EXPIRED');
    tx.close();
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(0);
    await client.execute("INSERT INTO t VALUES ('kept')");
    expect((await client.execute('SELECT x FROM t')).rows.map((r) => r.x)).toEqual(['kept']);
    client.close();
    await short.close();
  });
});

describe('file-backed database', () => {
  it('keeps data across restarts, creating the directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'libsql-server-'));
    const file = join(dir, 'nested', 'data.db');
    try {
      const first = await startLibsqlServer({ file });
      const c1 = createClient({ url: first.url });
      const statements: InStatement[] = ['CREATE TABLE kept (v TEXT)', "INSERT INTO kept VALUES ('persisted')"];
      await c1.batch(statements, 'write');
      expect((await c1.execute('PRAGMA journal_mode')).rows[0]![0]).toBe('wal');
      c1.close();
      await first.close();

      const second = await startLibsqlServer({ file });
      const c2 = createClient({ url: second.url });
      expect((await c2.execute('SELECT v FROM kept')).rows.map((r) => r.v)).toEqual(['persisted']);
      c2.close();
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('table scans (flagScans)', () => {
  it('reports statements whose plan scans a table, by table, and leaves index searches, CTEs, json_each and allowed tables alone', async () => {
    const watched = await startLibsqlServer({ flagScans: { allow: ['tiny'] } });
    const client = createClient({ url: watched.url });
    try {
      await client.batch(['create table t (id text primary key, tenant_id text, due integer)', 'create index t_tenant_due on t (tenant_id, due)', 'create table tiny (id text)'], 'write');
      // Writes explained inside a transaction: it still commits.
      await client.batch(
        [
          { sql: 'insert into t values (?, ?, ?)', args: ['a', 'ten', 1] },
          { sql: 'update t set due = ? where due < ?', args: [2, 5] },
          { sql: 'delete from t where tenant_id = ? and due < ?', args: ['x', 0] },
        ],
        'write',
      );
      await client.execute({ sql: 'select r.id from t r where r.due < ?', args: [3] });
      await client.execute({ sql: 'with c as (select id from t where tenant_id = ?) select c.id from c', args: ['ten'] });
      await client.execute({ sql: 'select value from json_each(?)', args: ['[1,2]'] });
      await client.execute('select id from tiny');
      const res = (await (await fetch(`${watched.url}/scans`)).json()) as { scans: { sql: string; tables: string[] }[] };
      expect(res.scans.map((s) => [s.tables, s.sql])).toEqual([
        [['t'], 'update t set due = ? where due < ?'],
        [['t'], 'select r.id from t r where r.due < ?'],
      ]);
      expect(watched.scans()).toEqual(res.scans);
      watched.resetStats();
      expect(watched.scans()).toEqual([]);
    } finally {
      client.close();
      await watched.close();
    }
  });
});

describe('fault injection (faults: true, development and tests only)', () => {
  const control = async (s: LibsqlServer, body: unknown) => {
    const res = await fetch(`${s.controlUrl}/fault`, { method: 'POST', body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { fault: { mode: string }; passed: number; faulted: number; held: number; error?: string } };
  };
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: { message: string; cause?: { code?: string } }) => `${e.message} ${e.cause?.code ?? ''}`,
    );

  it('a server started without faults has no control at all', () => {
    expect(server.controlUrl).toBeUndefined();
    expect(server.setFault).toBeUndefined();
  });

  it('refuses connections, fails with server errors, runs slowly, and serves again on the same URL', async () => {
    const s = await startLibsqlServer({ faults: true });
    const client = createClient({ url: s.url });
    try {
      await client.execute('create table t (x)');
      expect((await control(s, { mode: 'refuse' })).status).toBe(200);
      expect(await failure(client.execute('select 1'))).toMatch(/ECONNREFUSED/);
      expect((await control(s, { mode: 'error', status: 502 })).body.fault).toMatchObject({ mode: 'error', status: 502 });
      const raw = await fetch(`${s.url}/v2/pipeline`, { method: 'POST', body: JSON.stringify({ baton: null, requests: [{ type: 'execute', stmt: { sql: 'insert into t values (1)' } }] }) });
      expect(raw.status).toBe(502);
      await control(s, { mode: 'slow', delayMs: 300 });
      const started = Date.now();
      await client.execute('insert into t values (2)');
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      await control(s, { mode: 'off' });
      // The failed insert never ran; the slow one did.
      expect((await client.execute('select x from t')).rows.map((r) => r.x)).toEqual([2]);
      // The server's own counters are not subject to faults.
      await control(s, { mode: 'error' });
      expect((await fetch(`${s.url}/stats`)).status).toBe(200);
    } finally {
      client.close();
      await s.close();
    }
  });

  it('pause holds requests until the fault changes, then runs them: a write whose client gave up still lands', async () => {
    const s = await startLibsqlServer({ faults: true });
    const client = createClient({ url: s.url });
    try {
      await client.execute('create table t (x)');
      await control(s, { mode: 'pause' });
      const gaveUp = fetch(`${s.url}/v2/pipeline`, {
        method: 'POST',
        body: JSON.stringify({ baton: null, requests: [{ type: 'execute', stmt: { sql: 'insert into t values (7)' } }, { type: 'close' }] }),
        signal: AbortSignal.timeout(200),
      });
      expect(await failure(gaveUp)).toMatch(/aborted|timeout/i);
      expect(((await (await fetch(`${s.controlUrl}/fault`)).json()) as { held: number }).held).toBe(1);
      await control(s, { mode: 'off' });
      await sleep(50);
      expect((await client.execute('select x from t')).rows.map((r) => r.x)).toEqual([7]);
    } finally {
      client.close();
      await s.close();
    }
  });

  it('`after` lets that many requests through first: a failure in the middle of a batch', async () => {
    const s = await startLibsqlServer({ faults: true });
    const client = createClient({ url: s.url });
    try {
      await control(s, { mode: 'error', after: 2 });
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await failure(client.execute('select 1')));
      expect(results.map((r) => r === 'ok')).toEqual([true, true, false, false]);
      expect((await (await fetch(`${s.controlUrl}/fault`)).json()) as object).toMatchObject({ passed: 2, faulted: 2 });
      // Refusing after one request: the port closes once it is used up, and opens again when the fault ends.
      await control(s, { mode: 'refuse', after: 1 });
      expect(await failure(client.execute('select 1'))).toBe('ok');
      expect(await failure(client.execute('select 1'))).not.toBe('ok');
      expect(await failure(client.execute('select 1'))).toMatch(/ECONNREFUSED/);
      await control(s, { mode: 'off' });
      expect(await failure(client.execute('select 1'))).toBe('ok');
    } finally {
      client.close();
      await s.close();
    }
  });

  it('refuses a fault it does not know', async () => {
    const s = await startLibsqlServer({ faults: true });
    try {
      for (const bad of [{ mode: 'explode' }, { mode: 'slow', delayMs: -1 }, { mode: 'error', status: 404 }, { mode: 'error', after: 1.5 }]) {
        const res = await control(s, bad);
        expect(res.status, JSON.stringify(bad)).toBe(400);
      }
      expect(((await (await fetch(`${s.controlUrl}/fault`)).json()) as { fault: { mode: string } }).fault.mode).toBe('off');
    } finally {
      await s.close();
    }
  });
});
