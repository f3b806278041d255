declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import('../../src/worker');
  }
  interface Env {
    LIBSQL_URL?: string;
    ENVIRONMENT?: string;
    JWT_KEYS?: string;
    OUTBOUND_ALLOW?: string;
  }
}
