import { defineConfig } from 'drizzle-kit';

// The directory (control plane) has its own schema and migrations; data databases use drizzle.config.ts.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/directory-schema.ts',
  out: './migrations/directory',
});
