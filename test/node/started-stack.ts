import { freePort } from '../../scripts/bench-stack';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../scripts/local-stack';

export interface StartedStack {
  /** The Worker, e.g. http://127.0.0.1:19123. */
  base: string;
  /** The demo tenant's data database (eu) of this stack. */
  libsqlUrl: string;
  /** Its directory database. */
  directoryUrl: string;
  /** Its data folder (NPS_DATA_DIR): scripts run with it reach this stack. */
  dataDir: string;
  /** Everything `npm start` printed so far. */
  output: () => string;
  /** Ctrl-C, as a person would; resolves with the exit code once every process is gone. */
  stop: () => Promise<number | null>;
}

/**
 * `npm start` (scripts/start.ts) on a temporary data folder and a free port, as a fresh
 * machine would run it; resolves once it prints that it is ready. `env`: more of its
 * environment, e.g. OUTBOUND_ALLOW for a test's own receiver on 127.0.0.1.
 */
export async function startStack(env: Record<string, string> = {}): Promise<StartedStack> {
  // A port found free can be taken by another test file's process before wrangler binds it;
  // then wrangler exits at once, and another free port is tried.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(env);
    } catch (err) {
      if (attempt === 3 || !String(err).includes('Address already in use')) throw err;
    }
  }
}

async function startOnce(env: Record<string, string>): Promise<StartedStack> {
  const data = mkdtempSync(join(tmpdir(), 'nps-stack-'));
  const port = await freePort();
  const child: ChildProcess = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['scripts/start.ts'], {
    cwd: ROOT,
    // Its own debugger port: stacks of test files running side by side would all want 9229.
    env: { ...process.env, DEMO_HISTORY: '0', ...env, PORT: String(port), LIBSQL_PORT: '0', NPS_DATA_DIR: data, INSPECTOR_PORT: String(await freePort()) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGINT');
    const code = await exited;
    rmSync(data, { recursive: true, force: true });
    return code;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready in time:\n${output}`)), 100_000);
      child.stdout!.on('data', () => {
        if (output.includes('Ctrl-C stops everything')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code) => reject(new Error(`npm start exited early (${code}):\n${output}`)));
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const state = JSON.parse(readFileSync(join(data, 'local-stack.json'), 'utf8')) as { libsqlUrl: string; directoryUrl: string };
  return { base: `http://127.0.0.1:${port}`, libsqlUrl: state.libsqlUrl, directoryUrl: state.directoryUrl, dataDir: data, output: () => output, stop };
}
