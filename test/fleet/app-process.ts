/** One app instance for the fleet integration test and demo: a folder-sourced client judged fleet-wide, a /metrics endpoint in Prometheus text format (hand-rolled from an sdk-metrics reader). */
import { createServer } from 'node:http';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { PromptClient } from '../../src/node.js';

class PullReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

const [dir, port, seedText, prompt = 'support-agent', candidateRate = '0.05'] = process.argv.slice(2);
const reader = new PullReader();
const client = await PromptClient.create({ source: dir!, environment: 'production', meterProvider: new MeterProvider({ readers: [reader] }), guardJudge: 'fleet', onError: () => {} });
let seed = Number(seedText) >>> 0;
const rand = (): number => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
setInterval(() => {
  for (let i = 0; i < 400; i++) {
    const p = client.get(prompt, `u-${Math.floor(rand() * 1e9)}`);
    p.record({ refusal: rand() < (p.slice === 'candidate' ? Number(candidateRate) : 0.004) });
  }
}, 50);

const esc = (v: unknown): string => String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
createServer(async (req, res) => {
  if (req.url === '/serving') {
    let candidate = 0;
    for (let i = 0; i < 500; i++) if (client.get(prompt, `probe-${i}`).slice === 'candidate') candidate++;
    res.end(JSON.stringify({ candidate, revision: client.status().revision }));
    return;
  }
  const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics };
  const lines: string[] = [];
  for (const m of resourceMetrics.scopeMetrics.flatMap((s) => s.metrics)) {
    const name = m.descriptor.name.replace(/\./g, '_') + (m.descriptor.name === 'promptpin.guard.evidence' ? '_total' : '');
    if (!name.startsWith('promptpin_guard') && !name.startsWith('promptpin_registry')) continue;
    for (const dp of m.dataPoints as { attributes: Record<string, unknown>; value: number }[]) {
      const labels = Object.entries(dp.attributes).map(([k, v]) => `${k.replace(/\./g, '_')}="${esc(v)}"`).join(',');
      lines.push(`${name}{${labels}} ${dp.value}`);
    }
  }
  res.setHeader('content-type', 'text/plain; version=0.0.4');
  res.end(`${lines.join('\n')}\n`);
}).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
