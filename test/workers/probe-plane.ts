import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    probeDirectoryUrl: string;
    probeDatabases: string;
  }
}

/** The plane of test/workers/due-work.test.ts alone (test/global-setup.ts): a directory and two data databases. */
export const probePlane = {
  directoryUrl: inject('probeDirectoryUrl'),
  databases: JSON.parse(inject('probeDatabases')) as { id: string; url: string }[],
};
