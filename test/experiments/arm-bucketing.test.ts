// The n-arm bucketing contract (docs/bucketing.md, "Experiments with n arms"): the vectors in
// test/fixtures/arm-bucketing-cases.json come from an independent pure-Python implementation
// (test/fixtures/reference/arm_vectors.py); this file checks the TypeScript against them and,
// where python3 exists, against the Python on seeded random inputs.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { armOf, armRanges, bucketOf, candidateThreshold, createBucketer } from '../../src/resolve/bucket.js';

const FIX = join(__dirname, '..', 'fixtures');
const data = JSON.parse(readFileSync(join(FIX, 'arm-bucketing-cases.json'), 'utf8')) as {
  layouts: { percents: number[]; ranges: { start: number; end: number; capacity: number }[]; note: string }[];
  bucketCases: { percents: number[]; bucket: number; arm: number }[];
  cases: { salt: string; unitId: string; hash: number; bucket: number; percents: number[]; arm: number; note: string }[];
  ramps: { salt: string; unitId: string; bucket: number; steps: number[][]; arms: number[] }[];
};
const PY = join(FIX, 'reference', 'arm_vectors.py');
const hasPython = spawnSync('python3', ['--version']).status === 0;

describe('n-arm bucketing vectors (HASH_VERSION 1)', () => {
  it.each(data.layouts.map((l) => [l.note, l] as const))('should lay out the lanes of %s', (_n, l) => {
    expect(armRanges(l.percents).map((r) => ({ ...r }))).toEqual(l.ranges);
  });
  it('should assign every edge bucket to the arm the vectors say', () => {
    for (const c of data.bucketCases) expect([c.percents, c.bucket, armOf(armRanges(c.percents), c.bucket)]).toEqual([c.percents, c.bucket, c.arm]);
  });
  it(`should reproduce all ${data.cases.length} unit cases (bucket and arm)`, () => {
    for (const c of data.cases) {
      const b = bucketOf(c.salt, c.unitId);
      expect({ u: c.unitId, b, arm: armOf(armRanges(c.percents), b) }).toEqual({ u: c.unitId, b: c.bucket, arm: c.arm });
      expect(createBucketer(c.salt)(c.unitId)).toBe(c.bucket);
    }
  });
  it('should keep a unit in its arm while every arm ramps up (sticky)', () => {
    for (const r of data.ramps) {
      const arms = r.steps.map((p) => armOf(armRanges(p), bucketOf(r.salt, r.unitId)));
      expect(arms).toEqual(r.arms);
      const first = arms.findIndex((a) => a !== 0);
      if (first >= 0) expect(new Set(arms.slice(first))).toEqual(new Set([arms[first]]));
    }
  });
  it('should make one candidate exactly the two-arm rule', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 10000 }), (b, bp) => {
        expect(armOf(armRanges([bp / 100]), b) === 1).toBe(b < candidateThreshold(bp / 100));
      }),
      { seed: 15, numRuns: 2000 },
    );
  });
  it('should refuse an arm wider than its lane and more than 8 arms', () => {
    expect(() => armRanges([50.01, 10])).toThrowErrorMatchingInlineSnapshot(`[RangeError: arm 1 at 50.01% exceeds its lane of 50% (with 2 candidates each arm may take at most 50%)]`);
    expect(() => armRanges(Array(9).fill(1))).toThrow(RangeError);
    expect(() => armRanges([])).toThrow(RangeError);
  });
  it('should land 100k ids within ±1% of each arm weight', () => {
    const rs = armRanges([10, 20, 5]);
    const counts = [0, 0, 0, 0];
    const bucket = createBucketer('dist@2+3+4');
    for (let i = 0; i < 100_000; i++) counts[armOf(rs, bucket(`u${i}`))]!++;
    expect(counts.map((c) => Math.round(c / 1000))).toEqual([65, 10, 20, 5]);
  });
});

describe.skipIf(!hasPython)('n-arm bucketing against the Python reference', () => {
  it('should find the vector file up to date with its generator', () => {
    const r = spawnSync('python3', [PY, '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
  it('should agree with the Python on 500 seeded random units and layouts', () => {
    const inputs = fc.sample(
      fc.tuple(
        fc.string({ unit: 'grapheme', maxLength: 12 }),
        fc.string({ unit: 'binary', maxLength: 20 }),
        fc.integer({ min: 1, max: 8 }).chain((k) => fc.array(fc.integer({ min: 0, max: Math.floor(10000 / k) }), { minLength: k, maxLength: k })),
      ),
      { seed: 1515, numRuns: 500 },
    ).map(([salt, id, bps]) => [salt, id, bps.map((b) => b / 100)] as const);
    const r = spawnSync('python3', [PY, '--eval'], { input: inputs.map((x) => JSON.stringify(x)).join('\n'), encoding: 'utf8' });
    expect(r.status).toBe(0);
    const py = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as [number, number]);
    const ts = inputs.map(([salt, id, p]) => {
      const b = bucketOf(salt, id);
      return [b, armOf(armRanges(p), b)];
    });
    expect(ts).toEqual(py);
  });
});
if (!hasPython) it.skip('skipped: no python3 for the independent n-arm reference', () => {});
