/** Shared by the fleet judge tests: a seeded PRNG and the fleet sums Prometheus would return. */
import { evidencePoints } from '../../src/guards/evidence-points.js';
import type { GuardMonitor } from '../../src/guards/monitor.js';

/** Seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Row = { metric: Record<string, string>; value: [number, string] };

/** Instances' exported evidence, summed by the labels the judge groups by (what Prometheus returns). */
export function fleetRows(id: string, instances: GuardMonitor[]): Row[] {
  const sums = new Map<string, { metric: Record<string, string>; v: number }>();
  for (const m of instances) {
    for (const item of m.evidence()) {
      for (const p of evidencePoints(item.evidence, item.kind)) {
        const metric: Record<string, string> = {
          promptpin_guard_signal: item.signal,
          promptpin_guard_arm: String(p.arm),
          promptpin_guard_phase: String(p.phase),
          promptpin_guard_cluster: String(p.cluster),
          promptpin_guard_stat: p.stat,
          ...(item.segment !== undefined ? { promptpin_guard_segment: item.segment } : {}),
        };
        const key = JSON.stringify(metric);
        const s = sums.get(key) ?? { metric, v: 0 };
        s.v += p.value;
        sums.set(key, s);
      }
    }
  }
  void id;
  return [...sums.values()].map((s) => ({ metric: s.metric, value: [0, String(s.v)] }));
}

