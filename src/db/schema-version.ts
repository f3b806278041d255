import journal from '../../migrations/meta/_journal.json';

/**
 * The data-database schema this code expects: the number of committed data migrations. The
 * migration runner records each database's version in the directory's catalog; a database
 * behind this number is not served (503 with Retry-After for its tenants only).
 */
export const DATA_SCHEMA_VERSION: number = journal.entries.length;
