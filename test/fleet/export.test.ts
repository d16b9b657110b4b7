/** Guard evidence export through a real sdk-metrics MeterProvider: the points are the monitor's sums; fleet mode only alerts. */
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemorySource, PromptClient, type GuardBreachEvent } from '../../src/index.js';
import { ATTR_PROMPTPIN_GUARD_STAT, ATTR_PROMPTPIN_INSTANCE_ID, METRIC_PROMPTPIN_GUARD_EVIDENCE, METRIC_PROMPTPIN_REGISTRY_INFO } from '../../src/semconv.js';
import { GREET_V1, GREET_V2, releaseYaml } from '../support/folders.js';
import { mulberry32 } from '../support/random.js';

class ManualReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

const yaml = releaseYaml(`  production:
    greet:
      stable: 1
      rollout:
        candidate: 2
        percent: 10
        started: 2026-11-20T15:00:00Z
        expected: Output length falls 10-20%; refusal rate unchanged.
        guards:
          - { signal: refusal, max_increase: 0.5pp }
        min_samples: 500
        on_breach: rollback
`);
const files = { 'greet/1.prompt': GREET_V1, 'greet/2.prompt': GREET_V2, 'promptpin.yaml': yaml };
const clients: PromptClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

async function points(reader: ManualReader, name: string) {
  const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics };
  return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints as { attributes: Record<string, unknown>; value: number }[]);
}

function drive(client: PromptClient, n: number, seed: number, rates = { stable: 0.004, candidate: 0.05 }) {
  const r = mulberry32(seed);
  for (let i = 0; i < n; i++) {
    const p = client.get('greet', `u-${Math.floor(r() * 1e9)}`);
    p.record({ refusal: r() < (p.slice === 'candidate' ? rates.candidate : rates.stable) });
  }
}

describe('guard evidence export', () => {
  it('should export n per arm equal to the client\'s samples, and the served revision', async () => {
    const reader = new ManualReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const client = await PromptClient.create({ source: createMemorySource({ files }), meterProvider, now: () => Date.parse('2026-11-20T16:00:00Z'), guardJudge: 'fleet' });
    clients.push(client);
    drive(client, 5_000, 3, { stable: 0.004, candidate: 0.004 });
    const pts = await points(reader, METRIC_PROMPTPIN_GUARD_EVIDENCE);
    const n = (arm: string) => pts.filter((p) => p.attributes['promptpin.guard.arm'] === arm && p.attributes[ATTR_PROMPTPIN_GUARD_STAT] === 'n').reduce((a, p) => a + p.value, 0);
    const s = client.status().guards[0]!.samples;
    expect(n('0')).toBe(s.stable);
    expect(n('1')).toBe(s.candidate);
    // A rate exports n and Σy per cluster only: at most 2 arms × 64 clusters × 2 stats per phase.
    expect(pts.length).toBeLessThanOrEqual(256);
    expect(new Set(pts.map((p) => p.attributes[ATTR_PROMPTPIN_INSTANCE_ID])).size).toBe(1);
    const info = await points(reader, METRIC_PROMPTPIN_REGISTRY_INFO);
    expect(info).toHaveLength(1);
    expect(info[0]!.attributes['promptpin.registry.revision']).toBe(client.status().revision);
  });

  it('should, judged fleet-wide, only alert on a local trip and keep counting; a restarted client is a new incarnation', async () => {
    const reader = new ManualReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const breaches: GuardBreachEvent[] = [];
    const client = await PromptClient.create({ source: createMemorySource({ files }), meterProvider, now: () => Date.parse('2026-11-20T16:00:00Z'), guardJudge: 'fleet', onBreach: (e) => breaches.push(e) });
    clients.push(client);
    drive(client, 60_000, 5);
    expect(breaches).toHaveLength(1);
    expect(breaches[0]!.action).toBe('alert');
    const before = client.status().guards[0]!.samples.candidate;
    drive(client, 10_000, 6);
    expect(client.status().guards[0]!.samples.candidate).toBeGreaterThan(before);
    // Still serving the candidate to its slice: the rollback is the judge's edit, not this process's.
    expect([...Array(200)].some((_, i) => client.get('greet', `v-${i}`).slice === 'candidate')).toBe(true);
    const restarted = await PromptClient.create({ source: createMemorySource({ files }), meterProvider, now: () => Date.parse('2026-11-20T16:00:00Z'), guardJudge: 'fleet' });
    clients.push(restarted);
    drive(restarted, 1_000, 7);
    const ids = new Set((await points(reader, METRIC_PROMPTPIN_GUARD_EVIDENCE)).map((p) => p.attributes[ATTR_PROMPTPIN_INSTANCE_ID]));
    expect(ids.size).toBe(2);
  });
});
