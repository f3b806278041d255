import { env } from 'cloudflare:workers';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    libsqlFaultUrl: string;
    libsqlFaultControl: string;
  }
}

/** The request deadline of the outage suite (STORAGE_DEADLINE_MS): short, so paused calls fail soon. */
export const DEADLINE_MS = 1000;

// Imported first by outage.test.ts: this file's Worker, fixtures and jobs use the libSQL server
// whose faults the tests cause (test/global-setup.ts), with short deadlines, before any of them
// reads `env`.
const e = env as Record<string, unknown>;
e.LIBSQL_URL = inject('libsqlFaultUrl');
e.STORAGE_DEADLINE_MS = String(DEADLINE_MS);
e.JOB_STORAGE_DEADLINE_MS = '2000';
