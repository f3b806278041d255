// Rows scanned per statement, as Turso bills "rows read": libSQL's own per-statement counter,
// read through a small loadable extension (./rows-scanned.c) compiled here with the system's C
// compiler on first use and kept by the hash of its source. Without a compiler the server runs on
// and counts what it can see (rows returned and changed); `scannedCounted` in its stats says which.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'libsql';

const SOURCE = join(import.meta.dirname, 'rows-scanned.c');

let built: string | null | undefined;

/** The compiled extension's path, or null when it cannot be built here (said once). */
function extension(log: (line: string) => void): string | null {
  if (built !== undefined) return built;
  const source = readFileSync(SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  // SQLite finds the entry point from the file's name (sqlite3_rowsscanned_init): the hash names the folder.
  const dir = join(tmpdir(), 'nps-libsql-ext', hash);
  const target = join(dir, 'rowsscanned.so');
  if (existsSync(target)) return (built = target);
  try {
    mkdirSync(dir, { recursive: true });
    // Built beside its final name, then renamed: servers starting side by side never load half a file.
    const partial = `${target}.${process.pid}.tmp`;
    execFileSync('cc', ['-O2', '-fPIC', '-shared', '-o', partial, SOURCE], { stdio: 'pipe' });
    renameSync(partial, target);
    return (built = target);
  } catch (error) {
    log(`libsql-server: rows scanned are not counted (the extension did not build: ${String(error).split('\n')[0]})`);
    return (built = null);
  }
}

/** A reader of the rows scanned since its last call, or undefined without the extension. */
export function rowsScannedReader(db: Database.Database, log: (line: string) => void): (() => number) | undefined {
  const path = extension(log);
  if (!path) return undefined;
  db.loadExtension(path);
  const read = db.prepare('SELECT rows_scanned()').raw(true);
  return () => Number((read.get([]) as [bigint | number])[0]);
}
