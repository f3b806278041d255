/**
 * `wrangler dev` without its DevTools inspector, for the benchmark (bench/README.md).
 *
 * wrangler dev always enables the runtime's Network domain and relays every inspector event to
 * its Node process as an HTTP request (InspectorProxyWorker: `sendDebugLog` on each incoming
 * runtime message), and buffers the events while no DevTools window is attached. So each
 * outbound fetch of the Worker, a libSQL round trip above all, costs CPU in wrangler's proxy
 * workerd and in its Node process that production does not have. The command line cannot turn
 * the inspector off; wrangler's own API can (`dev.inspector: false`), and runs the same
 * Miniflare and workerd otherwise.
 *
 *   node --import tsx scripts/worker-dev.ts '{"ip":"127.0.0.1","port":8787,"vars":{…},"persistTo":"…"}'
 *
 * Run in the folder of wrangler.toml. Prints `ready on <url>` and stops on SIGTERM or SIGINT.
 */
import { unstable_startWorker } from 'wrangler';

/** What the bench stack passes (scripts/bench-stack.ts), here and to scripts/worker-miniflare.ts. */
export interface WorkerOptions {
  ip: string;
  port: number;
  vars: Record<string, string>;
  persistTo: string;
  /** The runtime's inspector on this port (a CPU profile of the Worker, its heap); none when absent. */
  inspectorPort?: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as WorkerOptions;
const worker = await unstable_startWorker({
  config: 'wrangler.toml',
  bindings: Object.fromEntries(Object.entries(options.vars).map(([name, value]) => [name, { type: 'plain_text' as const, value }])),
  dev: {
    inspector: options.inspectorPort ? { hostname: options.ip, port: options.inspectorPort } : false,
    server: { hostname: options.ip, port: options.port },
    persist: options.persistTo,
    testScheduled: true,
    watch: false,
    logLevel: 'warn',
  },
});
await worker.ready;
console.log(`ready on ${(await worker.url).href}`);

const stop = async () => {
  await worker.dispose().catch(() => undefined);
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
