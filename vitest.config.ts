import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

// Two layers (STYLE.md): Node tests for the scripts (the local libSQL server, seeding, the
// local stack), and integration tests inside workerd against a local libSQL server that the
// global setup starts in memory.
export const TEST_JWT_KEYS = 'test-2:test-signing-key-two-000000000000000000,test-1:test-signing-key-one-000000000000000000';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/node/**/*.test.ts', 'src/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            main: './src/worker.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              // The provider stand-in is on 127.0.0.1: outbound calls may reach it (and nothing else internal).
              bindings: { LIBSQL_URL: inject('libsqlUrl'), ENVIRONMENT: 'test', JWT_KEYS: TEST_JWT_KEYS, OUTBOUND_ALLOW: inject('providerUrl') },
            },
          })),
        ],
        test: {
          name: 'workers',
          include: ['test/workers/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
