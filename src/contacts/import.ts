import { parse } from 'csv-parse/sync';
import { audit } from '../audit/record';
import { commit } from '../db/client';
import type { Deps } from '../lib/deps';
import { ApiError } from '../lib/errors';
import { ImportRow, requireContactAdmin, upsertStatement, type ContactInput } from './contact';

/** At most this many rows a call; more is refused whole (413) before anything is written. */
export const MAX_IMPORT_ROWS = 10_000;

/** Upserts per commit of an import: each commit is one transaction with its audit row. */
const IMPORT_CHUNK = 500;

export const IMPORT_TYPES = ['text/csv', 'application/x-ndjson'] as const;
export type ImportType = (typeof IMPORT_TYPES)[number];

/** A rejected row: its 1-based line in the upload (a CSV record: the line it starts on). */
export interface Rejection {
  row: number;
  externalId?: string;
  reason: string;
}

export interface ImportCandidate {
  row: number;
  externalId: string;
  input: ContactInput;
}

/** A row read as an object, or why it could not be. */
type RawRow = { row: number; data: Record<string, unknown> } | { row: number; unreadable: string; externalId?: string };

const COLUMNS = Object.keys(ImportRow.shape);
const NUMBER_COLUMNS = new Set(['lifetimeValue', 'tenureMonths']);
const BOOLEAN_COLUMNS = new Set(['isEmployee', 'isTest', 'optedOut']);
const BOOLEANS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, yes: true, no: false };

/** A CSV cell as the JSON value it stands for; anything unexpected is kept for the schema to refuse. */
function cellValue(column: string, cell: string): unknown {
  if (NUMBER_COLUMNS.has(column) && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(cell.trim())) return Number(cell);
  if (BOOLEAN_COLUMNS.has(column)) return BOOLEANS[cell.trim().toLowerCase()] ?? cell;
  return cell;
}

/**
 * Line numbers of an upload read front to back: CRLF, LF and a lone CR each end a line.
 * (csv-parse's own line count counts a quoted CRLF twice, so records are placed by bytes.)
 */
class Lines {
  private pos = 0;
  line = 1;
  constructor(private readonly bytes: Uint8Array) {}
  /** Moves to byte offset `to`, counting the line breaks passed. */
  advance(to: number) {
    while (this.pos < to) {
      const b = this.bytes[this.pos]!;
      if (b === 0x0d) {
        this.line++;
        if (this.bytes[this.pos + 1] === 0x0a) this.pos++;
      } else if (b === 0x0a) this.line++;
      this.pos++;
    }
  }
  /** Moves past blank lines: the line a record starts on. */
  skipBreaks() {
    while (this.bytes[this.pos] === 0x0d || this.bytes[this.pos] === 0x0a) this.advance(this.pos + 1);
    return this.line;
  }
}

/**
 * CSV (RFC 4180) with a header row naming the same fields as the upsert; an empty cell leaves
 * the field as it is, `attributes` holds a JSON object, booleans are true/false/1/0/yes/no.
 * Parsed with csv-parse (quoted commas, doubled quotes and line breaks inside quotes).
 */
function csvRows(body: string): RawRow[] {
  const text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  let records: { record: string[]; info: { bytes: number } }[];
  try {
    // With `info`, each record comes as { record, info } (the typings do not follow the option).
    records = parse(text, { info: true, relax_column_count: true, skip_empty_lines: true }) as unknown as typeof records;
  } catch (err) {
    throw new ApiError('VALIDATION_FAILED', 'the CSV cannot be read', [{ path: 'body', message: (err as Error).message }]);
  }
  const [header, ...rest] = records;
  if (!header) return [];
  const columns = header.record.map((c) => c.trim());
  const problems = columns.flatMap((c, i) => (!COLUMNS.includes(c) ? [`unknown column "${c}"`] : columns.indexOf(c) !== i ? [`column "${c}" appears twice`] : []));
  if (!columns.includes('externalId')) problems.push('the header needs an externalId column');
  if (problems.length) {
    throw new ApiError(
      'VALIDATION_FAILED',
      'the CSV header is not valid',
      problems.map((message) => ({ path: 'body.header', message })),
    );
  }
  // info.bytes: where the record ends (UTF-8 bytes of the input).
  const lines = new Lines(new TextEncoder().encode(text));
  lines.advance(header.info.bytes);
  return rest.map(({ record, info }) => {
    const row = lines.skipBreaks();
    lines.advance(info.bytes);
    if (record.length !== columns.length) {
      const at = columns.indexOf('externalId');
      return { row, unreadable: `${record.length} fields where the header has ${columns.length}`, externalId: record[at] || undefined };
    }
    const data: Record<string, unknown> = {};
    for (const [i, column] of columns.entries()) {
      const cell = record[i]!;
      if (cell === '') continue;
      if (column === 'attributes') {
        try {
          data[column] = JSON.parse(cell);
        } catch {
          return { row, unreadable: 'attributes: not valid JSON', externalId: record[columns.indexOf('externalId')] || undefined };
        }
      } else data[column] = cellValue(column, cell);
    }
    return { row, data };
  });
}

/** JSON lines: one object per line; blank lines are skipped but counted. */
function ndjsonRows(body: string): RawRow[] {
  const rows: RawRow[] = [];
  body.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      rows.push({ row: i + 1, unreadable: 'not valid JSON' });
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) rows.push({ row: i + 1, unreadable: 'not a JSON object' });
    else rows.push({ row: i + 1, data: value as Record<string, unknown> });
  });
  return rows;
}

/**
 * Reads an upload into the rows to upsert and the rows refused with their reason. Throws 400
 * for an upload that cannot be read at all (broken CSV quoting, a bad header) and 413 for one
 * over MAX_IMPORT_ROWS rows: then nothing is written.
 */
export function readImport(body: string, type: ImportType): { candidates: ImportCandidate[]; rejected: Rejection[] } {
  const raw = type === 'text/csv' ? csvRows(body) : ndjsonRows(body);
  if (raw.length > MAX_IMPORT_ROWS) {
    throw new ApiError('PAYLOAD_TOO_LARGE', `at most ${MAX_IMPORT_ROWS} rows a call; this upload has ${raw.length}: split it`);
  }
  const candidates: ImportCandidate[] = [];
  const rejected: Rejection[] = [];
  for (const r of raw) {
    const { row } = r;
    if ('unreadable' in r) {
      rejected.push({ row, ...(r.externalId ? { externalId: r.externalId } : {}), reason: r.unreadable });
      continue;
    }
    const { data } = r;
    const parsed = ImportRow.safeParse(data);
    if (parsed.success) {
      const { externalId, ...input } = parsed.data;
      candidates.push({ row, externalId, input });
    } else {
      const externalId = typeof data.externalId === 'string' && data.externalId ? data.externalId : undefined;
      const reason = parsed.error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
      rejected.push({ row, ...(externalId ? { externalId } : {}), reason });
    }
  }
  return { candidates, rejected };
}

/**
 * Upserts the valid rows of an upload in commits of IMPORT_CHUNK, each with its audit row, and
 * lists every other row with its line and reason. A commit the database refuses ends the
 * import: the committed chunks stay, that chunk and the rest are reported, not guessed at.
 */
export async function importContacts(d: Deps, type: ImportType, body: string) {
  await requireContactAdmin(d);
  const { t } = d;
  const { candidates, rejected } = readImport(body, type);
  let accepted = 0;
  for (let start = 0; start < candidates.length; start += IMPORT_CHUNK) {
    const chunk = candidates.slice(start, start + IMPORT_CHUNK);
    const now = Date.now();
    try {
      await commit(t, [
        ...chunk.map((r) => upsertStatement(t, r.externalId, r.input, now)),
        ...(await audit(d, {
          action: 'contact.import',
          targetType: 'contact_import',
          targetId: d.requestId ?? 'unknown',
          details: { type, rows: chunk.length, firstRow: chunk[0]!.row, lastRow: chunk.at(-1)!.row },
        })),
      ]);
      accepted += chunk.length;
    } catch (err) {
      console.error(JSON.stringify({ level: 'error', requestId: d.requestId, message: 'contact import chunk failed', error: String(err) }));
      for (const r of candidates.slice(start)) rejected.push({ row: r.row, externalId: r.externalId, reason: 'not stored: the database refused the write; send this row again' });
      break;
    }
  }
  rejected.sort((a, b) => a.row - b.row);
  return { accepted, rejected };
}
