/**
 * Reduced, seeded runs of the operating table (bench/guards/operating-table.ts prints the full
 * one for docs/guards-method.md). Pure statistics: Evidence + stratifiedTripped judged after every
 * outcome, no client. Fixed seeds make them deterministic; the bounds below are the issue's.
 */
import { describe, expect, it } from 'vitest';
import { scenarios, simulate, wilson, type Scenario } from '../../bench/guards/simulate.js';

const byId = (scale: number): Map<string, Scenario> => new Map(scenarios(scale).map((s) => [s.id, s]));
const rows = byId(0.5);
const full = byId(1);
const seedOf = (id: string): number => [...id].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0, 0x811c9dc5);

describe('operating table (reduced): false trips at or below the allowed rate', () => {
  it.each([
    ['ramp-aa', 60],
    ['ramp-better', 40],
    ['rare-dec-aa', 60],
    ['rare-dec-at', 40],
    ['big-inc-aa', 40],
    ['big-inc-at', 40],
    ['sticky-aa', 40],
    ['mean-dec-at', 40],
    ['aa-1', 40],
    ['aa-50', 40],
    ['at-threshold', 40],
  ] as const)('should keep %s at or below its allowed rate (%i rollouts)', (id, runs) => {
    const s = rows.get(id)!;
    const r = simulate(s, runs, seedOf(id));
    console.log(`[guards] ${id}: ${r.trips}/${r.runs} [${r.interval.map((x) => (100 * x).toFixed(1)).join(', ')}]%`);
    expect(r.rate).toBeLessThanOrEqual(s.allowed);
    // Not significantly above the bound either (the Wilson interval reaches below it).
    expect(r.interval[0]).toBeLessThan(s.allowed);
  });

  it('should show the old pooled counting failing the ramp (the condition the stratification fixes)', () => {
    const r = simulate(rows.get('ramp-aa-pooled')!, 30, seedOf('ramp-aa'));
    expect(wilson(r.trips, r.runs)[0]).toBeGreaterThan(0.3);
  });
});

describe('operating table (reduced): power', () => {
  it('should trip the seed regression (0.4% → 1.3% at 10%, max_increase 0.5pp, α 0.05) in ≥ 95% with a median < 5,000 candidate samples; 10 segments within 1.5x', () => {
    const seed = simulate(full.get('seed')!, 60, seedOf('seed'));
    const seg = simulate(full.get('seed-segments')!, 60, seedOf('seed'));
    console.log(`[guards] seed: ${seed.trips}/${seed.runs}, median ${seed.medianSamples}; 10 segments: ${seg.trips}/${seg.runs}, median ${seg.medianSamples}`);
    expect(seed.rate).toBeGreaterThanOrEqual(0.95);
    expect(seed.medianSamples!).toBeLessThan(5_000);
    expect(seg.rate).toBeGreaterThanOrEqual(0.95);
    expect(seg.medianSamples!).toBeLessThanOrEqual(1.5 * seed.medianSamples!);
  });
});
