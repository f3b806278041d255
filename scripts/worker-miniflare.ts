/**
 * The Worker in workerd through Miniflare's API alone, without `wrangler dev` (bench/README.md,
 * "bench:memory"): the same bundle `wrangler deploy` uploads, the bindings wrangler.toml declares
 * (read by wrangler's own `unstable_getMiniflareWorkerOptions`, so there is one source of them),
 * the queues' producers and consumers in the same workerd. What `wrangler dev` adds in front of
 * the Worker is left out: its proxy workerd and inspector proxy, the static-assets router, service
 * and RPC proxy (the capture and bench routes never reach the assets; `/` and the admin UI answer
 * 404 here), its local explorer and observability collector. Miniflare still runs its own entry
 * worker and one queue broker per queue beside ours; bench:memory lists them.
 *
 *   node --import tsx scripts/worker-miniflare.ts '{"ip":"127.0.0.1","port":8787,"vars":{…},"persistTo":"…"}'
 *
 * Run in the folder of wrangler.toml. Prints `ready on <url>` and stops on SIGTERM or SIGINT.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import type { WorkerOptions } from './worker-dev';

const options = JSON.parse(process.argv[2] ?? '{}') as WorkerOptions;

// Miniflare as wrangler runs it: the copy wrangler depends on (the project has no Miniflare of its own).
const { Miniflare, convertV4MiniflareOptions } = createRequire(createRequire(import.meta.url).resolve('wrangler'))('miniflare') as typeof import('../node_modules/wrangler/node_modules/miniflare');

// The bundle `wrangler deploy` would upload (esbuild, nodejs_compat's polyfills), built once, beside the local storage.
const outdir = join(dirname(options.persistTo), 'bundle');
execFileSync(process.execPath, [join('node_modules', 'wrangler', 'bin', 'wrangler.js'), 'deploy', '--dry-run', '--outdir', outdir], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
});

// Assets dropped (see above); module rules too (the bundle is one module). The cron triggers stay listed and, as
// under `wrangler dev`, are never fired by the local runtime (the bench calls /__bench/cron).
const { assets: _assets, modulesRules: _rules, bindings, ...fromToml } = unstable_getMiniflareWorkerOptions('wrangler.toml').workerOptions;
// wrangler's options are Miniflare 4's shape, converted as wrangler itself does.
const mf = new Miniflare(
  convertV4MiniflareOptions({
    host: options.ip,
    port: options.port,
    inspectorPort: options.inspectorPort,
    resourcePersistencePath: options.persistTo,
    unsafeLocalExplorer: false,
    unsafeObservability: false,
    workers: [{ ...fromToml, name: 'nps-platform', modules: true, rootPath: outdir, scriptPath: 'worker.js', bindings: { ...(bindings ?? {}), ...options.vars } }],
  }),
);
console.log(`ready on ${(await mf.ready).href}`);

const stop = async () => {
  await mf.dispose().catch(() => undefined);
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
