// Hrana over HTTP, JSON encoding: decoding of pipeline requests and encoding of values.
// Shapes follow tursodatabase/libsql libsql-hrana/src/proto.rs (serde) and the client in
// node_modules/@libsql/hrana-client/lib-esm/shared/json_encode.js.

/** A request the protocol forbids: sqld answers HTTP 400 with the message as text/plain. */
export class ProtocolError extends Error {}

/** A value as bound to or read from the `libsql` driver. */
export type SqlValue = null | bigint | number | string | Buffer;

export type ProtoValue = { type: 'null' } | { type: 'integer'; value: string } | { type: 'float'; value: number } | { type: 'text'; value: string } | { type: 'blob'; base64: string };

export interface Stmt {
  sql: string | null;
  sqlId: number | null;
  args: SqlValue[];
  namedArgs: Map<string, SqlValue>;
  wantRows: boolean;
}

export type BatchCond = { type: 'ok' | 'error'; step: number } | { type: 'not'; cond: BatchCond } | { type: 'and' | 'or'; conds: BatchCond[] } | { type: 'is_autocommit' };

export interface BatchStep {
  condition: BatchCond | null;
  stmt: Stmt;
}

export type StreamRequest =
  | { type: 'close' }
  | { type: 'execute'; stmt: Stmt }
  | { type: 'batch'; steps: BatchStep[] }
  | { type: 'sequence' | 'describe'; sql: string | null; sqlId: number | null }
  | { type: 'store_sql'; sqlId: number; sql: string }
  | { type: 'close_sql'; sqlId: number }
  | { type: 'get_autocommit' };

export interface PipelineRequest {
  baton: string | null;
  requests: StreamRequest[];
}

type Json = Record<string, unknown>;

function fail(detail: string): never {
  throw new ProtocolError(`Cannot deserialize client message from JSON: ${detail}`);
}

function object(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`invalid type: expected ${what} to be an object`);
  }
  return value as Json;
}

function array(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) fail(`invalid type: expected ${what} to be a sequence`);
  return value;
}

function string(value: unknown, what: string): string {
  if (typeof value !== 'string') fail(`invalid type: expected ${what} to be a string`);
  return value;
}

function optString(value: unknown, what: string): string | null {
  return value === undefined || value === null ? null : string(value, what);
}

function int32(value: unknown, what: string): number {
  if (!Number.isInteger(value) || (value as number) < -(2 ** 31) || (value as number) >= 2 ** 31) {
    fail(`invalid value: expected ${what} to be an i32`);
  }
  return value as number;
}

function optInt32(value: unknown, what: string): number | null {
  return value === undefined || value === null ? null : int32(value, what);
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

function decodeValue(value: unknown): SqlValue {
  const v = object(value, 'value');
  switch (v.type) {
    case 'null':
      return null;
    case 'integer': {
      const text = string(v.value, 'integer value');
      const n = /^[+-]?\d+$/.test(text) ? BigInt(text) : null;
      if (n === null || n < I64_MIN || n > I64_MAX) {
        fail(`invalid value: string ${JSON.stringify(text)}, expected decimal integer as a string`);
      }
      return n;
    }
    case 'float':
      if (typeof v.value !== 'number') fail('invalid type: expected float value to be a number');
      return v.value;
    case 'text':
      return string(v.value, 'text value');
    case 'blob': {
      // sqld decodes standard base64 with or without padding.
      const text = string(v.base64, 'base64').replace(/=+$/, '');
      if (!/^[A-Za-z0-9+/]*$/.test(text) || text.length % 4 === 1) {
        fail(`invalid value: string ${JSON.stringify(text)}, expected binary data encoded as base64`);
      }
      return Buffer.from(text, 'base64');
    }
    default:
      return fail(`unknown variant \`${String(v.type)}\` of Value`);
  }
}

function decodeStmt(value: unknown): Stmt {
  const s = object(value, 'stmt');
  const namedArgs = new Map<string, SqlValue>();
  for (const arg of s.named_args === undefined ? [] : array(s.named_args, 'named_args')) {
    const a = object(arg, 'named argument');
    namedArgs.set(string(a.name, 'argument name'), decodeValue(a.value));
  }
  if (s.want_rows !== undefined && s.want_rows !== null && typeof s.want_rows !== 'boolean') {
    fail('invalid type: expected want_rows to be a boolean');
  }
  return {
    sql: optString(s.sql, 'sql'),
    sqlId: optInt32(s.sql_id, 'sql_id'),
    args: (s.args === undefined ? [] : array(s.args, 'args')).map(decodeValue),
    namedArgs,
    wantRows: s.want_rows !== false,
  };
}

function decodeCond(value: unknown): BatchCond {
  const c = object(value, 'condition');
  switch (c.type) {
    case 'ok':
    case 'error': {
      const step = c.step;
      if (!Number.isInteger(step) || (step as number) < 0) fail('invalid value: expected step to be a u32');
      return { type: c.type, step: step as number };
    }
    case 'not':
      return { type: 'not', cond: decodeCond(c.cond) };
    case 'and':
    case 'or':
      return { type: c.type, conds: array(c.conds, 'conds').map(decodeCond) };
    case 'is_autocommit':
      return { type: 'is_autocommit' };
    default:
      return fail(`unknown variant \`${String(c.type)}\` of BatchCond`);
  }
}

function decodeRequest(value: unknown): StreamRequest {
  const r = object(value, 'request');
  switch (r.type) {
    case 'close':
    case 'get_autocommit':
      return { type: r.type };
    case 'execute':
      return { type: 'execute', stmt: decodeStmt(r.stmt) };
    case 'batch': {
      const batch = object(r.batch, 'batch');
      const steps = array(batch.steps, 'steps').map((step) => {
        const s = object(step, 'batch step');
        const condition = s.condition === undefined || s.condition === null ? null : decodeCond(s.condition);
        return { condition, stmt: decodeStmt(s.stmt) };
      });
      return { type: 'batch', steps };
    }
    case 'sequence':
    case 'describe':
      return { type: r.type, sql: optString(r.sql, 'sql'), sqlId: optInt32(r.sql_id, 'sql_id') };
    case 'store_sql':
      return { type: 'store_sql', sqlId: int32(r.sql_id, 'sql_id'), sql: string(r.sql, 'sql') };
    case 'close_sql':
      return { type: 'close_sql', sqlId: int32(r.sql_id, 'sql_id') };
    default:
      return fail(`unknown variant \`${String(r.type)}\` of StreamRequest`);
  }
}

/** Decodes a whole pipeline body up front, as sqld does before executing anything. */
export function decodePipeline(body: string): PipelineRequest {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    fail((error as Error).message);
  }
  const b = object(json, 'request body');
  if (b.requests === undefined) fail('missing field `requests`');
  return {
    baton: optString(b.baton, 'baton'),
    requests: array(b.requests, 'requests').map(decodeRequest),
  };
}

export function encodeValue(value: unknown): ProtoValue {
  switch (typeof value) {
    case 'bigint':
      return { type: 'integer', value: value.toString() };
    case 'number':
      return { type: 'float', value };
    case 'string':
      return { type: 'text', value };
    default:
      if (value === null) return { type: 'null' };
      // sqld encodes blobs as standard base64 without padding.
      return { type: 'blob', base64: (value as Buffer).toString('base64').replace(/=+$/, '') };
  }
}
