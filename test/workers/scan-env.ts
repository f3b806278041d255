import { env } from 'cloudflare:workers';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    libsqlScanUrl: string;
  }
}

// Imported first by scans.test.ts: this file's Worker, fixtures and cron ticks use the libSQL
// server that reports table scans (test/global-setup.ts), before any of them reads `env`.
(env as { LIBSQL_URL?: string }).LIBSQL_URL = inject('libsqlScanUrl');
