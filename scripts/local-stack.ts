import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Local data: the database file, wrangler's local state. NPS_DATA_DIR moves it (tests use a temporary one). */
export const DATA_DIR = process.env.NPS_DATA_DIR ?? join(ROOT, '.data');
const STATE_FILE = join(DATA_DIR, 'local-stack.json');

/** What a running `npm start` tells the other scripts: where its database server listens. */
export interface LocalStackState {
  /** The demo tenant's data database (the `eu` shared one). */
  libsqlUrl: string;
  /** The directory, and the local cluster's endpoint that creates databases. */
  directoryUrl?: string;
  adminUrl?: string;
  workerUrl: string;
  pid: number;
}

export function writeState(state: LocalStackState) {
  mkdirSync(dirname(STATE_FILE), { recursive: true });
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));
}

/** The state of a running `npm start`, or null when none runs. */
export function readState(): LocalStackState | null {
  if (!existsSync(STATE_FILE)) return null;
  try {
    const state = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as LocalStackState;
    process.kill(state.pid, 0); // throws when that process is gone
    return state;
  } catch {
    return null;
  }
}

/** The cron expressions of wrangler.toml's top-level triggers: the schedule `npm start` drives. */
export function wranglerCrons(): string[] {
  const config = parse(readFileSync(join(ROOT, 'wrangler.toml'), 'utf8')) as { triggers?: { crons?: string[] } };
  return config.triggers?.crons ?? [];
}

export function clearState() {
  rmSync(STATE_FILE, { force: true });
}

/** The URL that makes `wrangler dev --test-scheduled` run the scheduled handler for one cron expression. */
export const scheduledUrl = (workerUrl: string, cron: string) => `${workerUrl}/__scheduled?cron=${encodeURIComponent(cron)}`;
