declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import('../../src/worker');
  }
  interface Env {
    LIBSQL_URL?: string;
    DIRECTORY_URL?: string;
    /** The data databases of the `workers-plane` project, JSON `[{id, region, url}]`. */
    PLANE_DATABASES?: string;
    ENVIRONMENT?: string;
    JWT_KEYS?: string;
    OUTBOUND_ALLOW?: string;
    STORAGE_DEADLINE_MS?: string;
  }
}
