/**
 * Fleet swap cost: a registry of 1,000 prompts × 10 versions, generated in memory, served by a
 * local node:http server.
 *
 * 1. mitata, against a floor measured in the same run (`JSON.parse` of the same text):
 *    validate (`parseRegistryText`), fetch + validate (`source.load()` with a 200 every time),
 *    fetch + validate + swap (`client.reload()` flipping between two releases), and a 304 poll.
 * 2. `get` latency during swaps (a new registry every ~300 ms): batches of 100 `get` calls timed
 *    with process.hrtime.bigint(), yielding between batches so reloads run; p50/p99/max per batch with and without swaps, plus
 *    the event-loop stall a swap causes (the longest gap between two batches).
 *
 * Run: npx tsx bench/swap.bench.ts   (or npm run bench -- swap)
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { bench, do_not_optimize, run, summary } from 'mitata';
import { PromptClient } from '../src/client.js';
import { compileFolder, registryToJson } from '../src/registry/registry.js';
import { parseRegistryText } from '../src/sources/file-source.js';
import { createUrlSource } from '../src/sources/url-source.js';

const PROMPTS = 1000;
const VERSIONS = 10;

function promptText(p: number, v: number): string {
  const words = Array.from({ length: 60 }, (_, k) => `word${(p * 31 + v * 7 + k) % 997}`).join(' ');
  return `---
model: gpt-4o-mini
provider: openai
params: { temperature: 0.${v % 10}, max_tokens: ${200 + v * 10} }
variables:
  customer_name: string
  plan: { enum: [free, pro, enterprise] }
  question: string
  history: { type: string, optional: true, default: "" }
author: bench
message: Version ${v} of prompt ${p}
---
{{#system}}
You are assistant ${p}, revision ${v}. ${words}
Answer in a friendly, thorough way and use the booking tool when needed.
{{/system}}
{{#user}}
{{history}}
Customer {{customer_name}} on the {{plan}} plan asks: {{question}}
{{/user}}
`;
}

function releaseText(flip: boolean): string {
  const lines = ['environments:', '  production:'];
  for (let p = 0; p < PROMPTS; p++) {
    const stable = flip && p === 0 ? VERSIONS - 2 : VERSIONS - 1;
    if (p % 10 === 0) {
      lines.push(
        `    team-${p % 50}/prompt-${p}:`,
        `      stable: ${stable}`,
        '      rollout:',
        `        candidate: ${VERSIONS}`,
        '        percent: 10',
        '        expected: Output length falls 10-20%; refusal rate unchanged.',
        '        guards:',
        '          - { signal: refusal, max_increase: 0.5pp }',
      );
    } else {
      lines.push(`    team-${p % 50}/prompt-${p}: { stable: ${stable} }`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const promptFiles: { path: string; text: string }[] = [];
for (let p = 0; p < PROMPTS; p++) for (let v = 1; v <= VERSIONS; v++) promptFiles.push({ path: `team-${p % 50}/prompt-${p}/${v}.prompt`, text: promptText(p, v) });
const registryA = compileFolder({ promptFiles, releaseText: releaseText(false) });
const registryB = compileFolder({ promptFiles, releaseText: releaseText(true) });
const textA = JSON.stringify(registryToJson(registryA));
const textB = JSON.stringify(registryToJson(registryB));
const bytes = Buffer.byteLength(textA);
const gzipBytes = gzipSync(textA).byteLength;

// A static host with ETag + 304 ('static'), or one whose registry changes before every request
// ('alternate': it serves the registry the client does not hold, so every request is a 200 and a swap).
let mode: 'static' | 'alternate' = 'static';
const etagOf = (t: string): string => `"${createHash('sha256').update(t).digest('hex').slice(0, 16)}"`;
const etagA = etagOf(textA);
const etagB = etagOf(textB);
const server = createServer((req, res) => {
  const held = req.headers['if-none-match'];
  if (mode === 'static' && (held === etagA || held === etagB)) {
    res.writeHead(304, { etag: held }).end();
    return;
  }
  const body = mode === 'alternate' && held === etagA ? textB : textA;
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), etag: body === textA ? etagA : etagB }).end(body);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/registry.json`;

console.log(`registry: ${PROMPTS} prompts × ${VERSIONS} versions = ${bytes.toLocaleString('en')} bytes (${(bytes / 2 ** 20).toFixed(1)} MiB), ${gzipBytes.toLocaleString('en')} bytes gzipped`);

const source = createUrlSource(url, { pollIntervalMs: 60_000 });
const loadOnly = createUrlSource(url, { pollIntervalMs: 60_000 });
const client = await PromptClient.create({ source, watch: false });
const names = [...registryA.prompts.keys()];

summary(() => {
  bench('floor: JSON.parse(registry text)', () => {
    do_not_optimize(JSON.parse(textA));
  })
    .baseline(true)
    .gc('inner');
  bench('validate: parseRegistryText (whole registry)', () => {
    do_not_optimize(parseRegistryText(textA, 'bench'));
  }).gc('inner');
  bench('fetch + validate: source.load() (200 each time)', async () => {
    mode = 'alternate';
    do_not_optimize(await loadOnly.load());
  }).gc('inner');
  bench('fetch + validate + swap: client.reload() (new release each time)', async () => {
    mode = 'alternate';
    const r = await client.reload();
    if (!r.success || !r.changed) throw new Error('expected a swap');
  }).gc('inner');
  bench('poll with no change: client.reload() (304)', async () => {
    mode = 'static';
    const r = await client.reload();
    if (!r.success || r.changed) throw new Error('expected a 304');
  }).gc('inner');
});

await run();

// --- get latency during swaps -------------------------------------------------------------------
const units = Array.from({ length: 4096 }, (_, k) => `user-${k * 7919}`);
let g = 0;
function batch(): bigint {
  const t = process.hrtime.bigint();
  for (let k = 0; k < 100; k++) {
    const n = g++;
    do_not_optimize(client.get(names[(n * 13) % PROMPTS]!, units[n & 4095]!));
  }
  return process.hrtime.bigint() - t;
}

async function measure(ms: number, swapping: boolean): Promise<{ batches: bigint[]; gaps: bigint[]; swaps: number }> {
  const batches: bigint[] = [];
  const gaps: bigint[] = [];
  let swaps = 0;
  let stop = false;
  // A new registry every ~300 ms: far more often than a fleet flips, rare enough that gets run between swaps.
  const swapper = (async () => {
    while (swapping && !stop) {
      mode = 'alternate';
      const r = await client.reload();
      if (r.success && r.changed) swaps++;
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  const end = performance.now() + ms;
  let last = process.hrtime.bigint();
  while (performance.now() < end) {
    batches.push(batch());
    await new Promise((r) => setImmediate(r));
    const now = process.hrtime.bigint();
    gaps.push(now - last);
    last = now;
  }
  stop = true;
  await swapper;
  return { batches, gaps, swaps };
}

function pct(values: bigint[], p: number): number {
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Number(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
}

const us = (ns: number): string => `${(ns / 1000).toFixed(1)} µs`;
await measure(500, false); // warm-up
const quiet = await measure(3000, false);
const busy = await measure(3000, true);
console.log('\nget latency per batch of 100 calls (process.hrtime.bigint), 3 s each:');
console.log(`  no swaps   : p50 ${us(pct(quiet.batches, 50))}  p99 ${us(pct(quiet.batches, 99))}  max ${us(pct(quiet.batches, 100))}  (${quiet.batches.length} batches)`);
console.log(`  with swaps : p50 ${us(pct(busy.batches, 50))}  p99 ${us(pct(busy.batches, 99))}  max ${us(pct(busy.batches, 100))}  (${busy.batches.length} batches, ${busy.swaps} swaps)`);
console.log(`  p99 ratio with/without swaps: ${(pct(busy.batches, 99) / pct(quiet.batches, 99)).toFixed(2)}×`);
console.log('event-loop gap between batches (the stall a fetch + validate + swap causes on this thread):');
console.log(`  no swaps   : p50 ${us(pct(quiet.gaps, 50))}  p99 ${us(pct(quiet.gaps, 99))}  max ${us(pct(quiet.gaps, 100))}`);
console.log(`  with swaps : p50 ${us(pct(busy.gaps, 50))}  p99 ${us(pct(busy.gaps, 99))}  max ${us(pct(busy.gaps, 100))}`);

await client.close();
await source.close();
await loadOnly.close();
server.closeAllConnections();
server.close();
