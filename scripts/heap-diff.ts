// `npx tsx scripts/heap-diff.ts <before.heapsnapshot> <after.heapsnapshot> [--top 15]`: what a V8 heap gained
// between two snapshots (bench:memory --snapshots writes them for the Worker's isolate). Live objects are summed by
// constructor (objects, closures, native objects) or by kind (strings, arrays, code…): count and self size in each,
// the largest gains first. A diagnostic for bench/MEMORY.md, not a benchmark.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: args, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string' } } });
const TOP = Number(args.top ?? 15);

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Count and self size (bytes) by constructor or kind. */
function summary(file: string): Map<string, { count: number; bytes: number }> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const types = s.snapshot.meta.node_types[0];
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < s.nodes.length; i += fields.length) {
    const type = types[s.nodes[i + typeAt]!]!;
    const key = type === 'object' || type === 'closure' || type === 'native' ? `${s.strings[s.nodes[i + nameAt]!]} (${type})` : `(${type})`;
    const e = out.get(key) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += s.nodes[i + sizeAt]!;
    out.set(key, e);
  }
  return out;
}

const [beforeFile, afterFile] = positionals;
if (!beforeFile || !afterFile) throw new Error('usage: heap-diff.ts <before.heapsnapshot> <after.heapsnapshot>');
const before = summary(beforeFile);
const after = summary(afterFile);
const total = (m: typeof before) => [...m.values()].reduce((a, e) => ({ count: a.count + e.count, bytes: a.bytes + e.bytes }), { count: 0, bytes: 0 });
const mib = (b: number) => (b / 1024 / 1024).toFixed(2);
const [tb, ta] = [total(before), total(after)];
console.log(`live heap: ${mib(tb.bytes)} MiB in ${tb.count} objects, then ${mib(ta.bytes)} MiB in ${ta.count} (${ta.bytes >= tb.bytes ? '+' : ''}${mib(ta.bytes - tb.bytes)} MiB)`);
const rows = [...new Set([...before.keys(), ...after.keys()])]
  .map((k) => {
    const b = before.get(k) ?? { count: 0, bytes: 0 };
    const a = after.get(k) ?? { count: 0, bytes: 0 };
    return { k, dBytes: a.bytes - b.bytes, dCount: a.count - b.count, a };
  })
  .sort((x, y) => y.dBytes - x.dBytes);
console.log('| constructor or kind | objects after (change) | MiB after (change) |\n| --- | ---: | ---: |');
for (const r of rows.slice(0, TOP)) console.log(`| ${r.k} | ${r.a.count} (${r.dCount >= 0 ? '+' : ''}${r.dCount}) | ${mib(r.a.bytes)} (${r.dBytes >= 0 ? '+' : ''}${mib(r.dBytes)}) |`);
