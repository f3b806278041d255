import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { configDefaults, defineConfig } from 'vitest/config';

// Two layers (docs/architecture.md, "Tests"): Node tests for the scripts (the local libSQL server, seeding, the
// local stack), and integration tests inside workerd against a local libSQL server that the
// global setup starts in memory.
export const TEST_JWT_KEYS = 'test-2:test-signing-key-two-000000000000000000,test-1:test-signing-key-one-000000000000000000';

/** The suites run a second time with their tenants in different data databases (issue 11). */
const PLANE_SUITES = ['test/workers/isolation.test.ts', 'test/workers/sign-in-counters.test.ts', 'test/workers/tenant-db.test.ts'];
/** Suites about the data plane itself (a directory and several databases): run on the plane only. */
const PLANE_ONLY = ['test/workers/respondent-plane.test.ts'];

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
              // A storage deadline well above any healthy call of the suites on a busy machine (the outage suite sets its own).
              bindings: { LIBSQL_URL: inject('libsqlUrl'), ENVIRONMENT: 'test', JWT_KEYS: TEST_JWT_KEYS, OUTBOUND_ALLOW: inject('providerUrl'), STORAGE_DEADLINE_MS: '10000' },
            },
          })),
        ],
        test: {
          name: 'workers',
          include: ['test/workers/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...PLANE_ONLY],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 30_000,
        },
      },
      {
        // The same Worker on the data plane: a directory and one data database per region, the
        // tenants of a suite placed in turn in each (test/workers/support.ts `makeTenant`). The
        // suites here run again with tenants in different databases; `workers` runs them with
        // every tenant in one shared database.
        plugins: [
          cloudflareTest(({ inject }) => ({
            main: './src/worker.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                DIRECTORY_URL: inject('directoryUrl'),
                PLANE_DATABASES: inject('planeDatabases'),
                ENVIRONMENT: 'test',
                JWT_KEYS: TEST_JWT_KEYS,
                OUTBOUND_ALLOW: inject('providerUrl'),
                STORAGE_DEADLINE_MS: '10000',
              },
            },
          })),
        ],
        test: {
          name: 'workers-plane',
          include: [...PLANE_SUITES, ...PLANE_ONLY],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
