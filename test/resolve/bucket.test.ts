import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BUCKET_COUNT,
  HASH_VERSION,
  bucketOf,
  candidateThreshold,
  createBucketer,
} from '../../src/resolve/bucket.js';
import { murmur3_32, murmur3_32_bytes } from '../../src/resolve/murmur3.js';
import { fcParams } from '../support/property.js';

interface BucketingCase {
  salt: string;
  unitId: string;
  key: string;
  utf8Hex: string;
  hash: number;
  bucket: number;
  percent: number;
  candidate: boolean;
  note: string;
}
interface KnownVector {
  inputHex: string;
  seed: number;
  hash: number;
}
interface VectorFile {
  specVersion: number;
  algorithm: string;
  cases: BucketingCase[];
  knownVectors: KnownVector[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/bucketing-cases.json', import.meta.url), 'utf8'),
) as VectorFile;

const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const utf8 = new TextEncoder();

/** Any UTF-16 string, lone surrogates included (fc's 'binary' unit only makes well-formed ones). */
const anyUtf16 = (maxLength = 40): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength }),
    fc.string({ unit: fc.constantFrom('a', '\u00e9', '\u4e2d', '\u{1f600}', '\ud800', '\udc00'), maxLength }),
  );

const isCandidate = (bucket: number, percent: number): boolean => bucket < candidateThreshold(percent);

describe('published bucketing vectors (test/fixtures/bucketing-cases.json)', () => {
  it('is the current spec version with enough coverage', () => {
    expect(vectors.specVersion).toBe(HASH_VERSION);
    expect(vectors.algorithm).toBe("murmur3_x86_32, seed 0, utf8(salt + ':' + unitId), % 10000");
    expect(vectors.cases.length).toBeGreaterThanOrEqual(30);
    // every tail length of the key and of the id is exercised
    const tails = new Set(vectors.cases.map((c) => (c.utf8Hex.length / 2) % 4));
    expect([...tails].sort()).toEqual([0, 1, 2, 3]);
    const idLengths = new Set(vectors.cases.map((c) => c.unitId.length));
    for (let n = 0; n <= 9; n++) expect(idLengths.has(n)).toBe(true);
    // both decisions are represented
    expect(vectors.cases.some((c) => c.candidate)).toBe(true);
    expect(vectors.cases.some((c) => !c.candidate)).toBe(true);
  });

  it.each(vectors.cases)('$note: $salt : $unitId', (c) => {
    expect(c.key).toBe(`${c.salt}:${c.unitId}`);
    // the encoding: TextEncoder agrees with the Buffer-made hex in the file
    expect(toHex(utf8.encode(c.key))).toBe(c.utf8Hex);
    // the hash, both from the string (on-the-fly UTF-8) and from the bytes
    expect(murmur3_32(c.key)).toBe(c.hash);
    expect(murmur3_32(c.key, 0)).toBe(c.hash);
    expect(murmur3_32_bytes(fromHex(c.utf8Hex))).toBe(c.hash);
    // the bucket, spec-literal and pre-mixed
    expect(c.bucket).toBe(c.hash % BUCKET_COUNT);
    expect(bucketOf(c.salt, c.unitId)).toBe(c.bucket);
    expect(createBucketer(c.salt)(c.unitId)).toBe(c.bucket);
    // the decision
    expect(isCandidate(c.bucket, c.percent)).toBe(c.candidate);
  });

  it.each(vectors.knownVectors)('published murmur3 vector: hex "$inputHex" seed $seed', (v) => {
    const bytes = fromHex(v.inputHex);
    expect(murmur3_32_bytes(bytes, v.seed)).toBe(v.hash);
    const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    if (toHex(utf8.encode(text)) === v.inputHex) {
      // valid UTF-8: the string path must agree too
      expect(murmur3_32(text, v.seed)).toBe(v.hash);
    }
  });

  it('reproduces the classic values', () => {
    expect(murmur3_32('')).toBe(0);
    expect(murmur3_32('hello')).toBe(613153351);
    expect(murmur3_32('', 1)).toBe(0x514e28b7);
    expect(murmur3_32('', 0xffffffff)).toBe(0x81f16f39);
    expect(murmur3_32('', -1)).toBe(0x81f16f39);
  });
});

describe('murmur3_32', () => {
  it('hashes the UTF-8 bytes (equals murmur3_32_bytes of TextEncoder output) for any string and seed', () => {
    fc.assert(
      fc.property(anyUtf16(80), fc.integer({ min: 0, max: 0xffffffff }), (s, seed) => {
        const h = murmur3_32(s, seed);
        expect(h).toBe(murmur3_32_bytes(utf8.encode(s), seed));
        expect(Number.isInteger(h) && h >= 0 && h <= 0xffffffff).toBe(true);
      }),
      fcParams({ numRuns: 2000 }),
    );
  });

  it('encodes lone surrogates as U+FFFD, like TextEncoder', () => {
    const fffd = murmur3_32('\ufffd');
    expect(murmur3_32('\ud800')).toBe(fffd);
    expect(murmur3_32('\udfff')).toBe(fffd);
    expect(murmur3_32('\ud83d')).toBe(fffd);
    expect(murmur3_32('a\udc00b')).toBe(murmur3_32('a\ufffdb'));
    expect(murmur3_32('\ude00\ud83d')).toBe(murmur3_32('\ufffd\ufffd'));
    expect(murmur3_32('\ud83d\ude00')).toBe(murmur3_32_bytes(fromHex('f09f9880')));
  });

  it('differs from the low-byte-per-UTF-16-unit scheme (murmurhash3js) exactly when the input is not ASCII', () => {
    const lowBytes = (s: string): Uint8Array => Uint8Array.from(s, (ch) => ch.charCodeAt(0) & 0xff);
    expect(murmur3_32('user-1')).toBe(murmur3_32_bytes(lowBytes('user-1')));
    for (const s of ['jos\u00e9', '\u4e2d\u6587', '\u043f\u0440\u0438\u0432\u0435\u0442']) {
      expect(murmur3_32(s)).not.toBe(murmur3_32_bytes(lowBytes(s)));
    }
  });
});

describe('bucketOf / createBucketer', () => {
  it('constants', () => {
    expect(BUCKET_COUNT).toBe(10000);
    expect(HASH_VERSION).toBe(1);
  });

  it('createBucketer(salt)(id) === bucketOf(salt, id) === murmur3(utf8(salt:id)) % 10000 for arbitrary Unicode', () => {
    fc.assert(
      fc.property(anyUtf16(24), fc.array(anyUtf16(24), { minLength: 1, maxLength: 8 }), (salt, ids) => {
        const bucketer = createBucketer(salt);
        for (const id of ids) {
          const expected = murmur3_32_bytes(new Uint8Array(Buffer.from(`${salt}:${id}`, 'utf8'))) % BUCKET_COUNT;
          expect(bucketOf(salt, id)).toBe(expected);
          expect(bucketer(id)).toBe(expected);
        }
      }),
      fcParams({ numRuns: 2000 }),
    );
  });

  it('covers every prefix alignment and id length (ASCII)', () => {
    const chars = 'abcdefghijklmnop';
    for (let s = 0; s <= 8; s++) {
      const salt = chars.slice(0, s);
      const bucketer = createBucketer(salt);
      for (let n = 0; n <= 12; n++) {
        const id = chars.slice(16 - n);
        expect(bucketer(id)).toBe(bucketOf(salt, id));
      }
    }
  });

  it('is deterministic: the same unit always gets the same bucket', () => {
    fc.assert(
      fc.property(anyUtf16(), anyUtf16(), (salt, id) => {
        const b = bucketOf(salt, id);
        expect(Number.isInteger(b) && b >= 0 && b < BUCKET_COUNT).toBe(true);
        expect(bucketOf(salt, id)).toBe(b);
        const bucketer = createBucketer(salt);
        expect(bucketer(id)).toBe(b);
        expect(bucketer(id)).toBe(b);
        // a bucketer is stateless across calls with other ids in between
        bucketer(`${id}x`);
        bucketer('');
        expect(bucketer(id)).toBe(b);
        expect(createBucketer(salt)(id)).toBe(b);
      }),
      fcParams(),
    );
  });

  it('a salt ending in a high surrogate does not pair with the unit id (":" separates them)', () => {
    expect(createBucketer('s\ud83d')('\ude00')).toBe(bucketOf('s\ud83d', '\ude00'));
    expect(bucketOf('s\ud83d', '\ude00')).toBe(bucketOf('s\ufffd', '\ufffd'));
  });
});

describe('candidateThreshold', () => {
  it('is Math.round(percent * 100), exact for every two-decimal percent', () => {
    expect(candidateThreshold(0)).toBe(0);
    expect(candidateThreshold(0.01)).toBe(1);
    expect(candidateThreshold(10)).toBe(1000);
    expect(candidateThreshold(33.33)).toBe(3333);
    expect(candidateThreshold(99.99)).toBe(9999);
    expect(candidateThreshold(100)).toBe(10000);
    for (let bp = 0; bp <= BUCKET_COUNT; bp++) {
      expect(candidateThreshold(Number((bp / 100).toFixed(2)))).toBe(bp);
      expect(candidateThreshold(bp / 100)).toBe(bp);
    }
  });

  it('rejects percents outside 0–100 and non-finite numbers', () => {
    for (const bad of [-0.01, -1, 100.01, 1000, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => candidateThreshold(bad)).toThrow(RangeError);
    }
  });

  it('0% puts nobody and 100% everybody on the candidate', () => {
    fc.assert(
      fc.property(anyUtf16(), anyUtf16(), (salt, id) => {
        const b = bucketOf(salt, id);
        expect(isCandidate(b, 0)).toBe(false);
        expect(isCandidate(b, 100)).toBe(true);
      }),
      fcParams(),
    );
  });

  it('ramping up never moves a candidate unit back to stable (monotonic)', () => {
    const basisPoints = fc.integer({ min: 0, max: BUCKET_COUNT });
    fc.assert(
      fc.property(anyUtf16(), anyUtf16(), basisPoints, basisPoints, (salt, id, a, b) => {
        const [lo, hi] = a <= b ? [a / 100, b / 100] : [b / 100, a / 100];
        const bucket = bucketOf(salt, id);
        if (isCandidate(bucket, lo)) expect(isCandidate(bucket, hi)).toBe(true);
      }),
      fcParams({ numRuns: 2000 }),
    );
  });
});

describe('distribution over 100,000 unit ids', () => {
  const N = 100_000;
  const ids = Array.from({ length: N }, (_, i) => `user-${i}`);
  const bucketsA = Uint16Array.from(ids, createBucketer('support-agent@4'));
  const bucketsB = Uint16Array.from(ids, createBucketer('billing/refund-agent@2'));
  const bucketsNext = Uint16Array.from(ids, createBucketer('support-agent@5'));

  const share = (buckets: Uint16Array, percent: number): number => {
    const t = candidateThreshold(percent);
    let n = 0;
    for (const b of buckets) if (b < t) n++;
    return n / buckets.length;
  };

  // Binomial standard deviation of a share p over N draws; tolerances below are ~5 sigma, and
  // the ids are fixed, so these are deterministic checks of the hash's uniformity, not flaky ones.
  const sigma = (p: number): number => Math.sqrt((p * (1 - p)) / N);

  it.each([
    [1, 0.002],
    [10, 0.005],
    [33.33, 0.0075],
    [50, 0.008],
    [90, 0.005],
  ])('the candidate share at %s%% is within ±%s of it', (percent, tolerance) => {
    expect(tolerance).toBeGreaterThanOrEqual(4 * sigma(percent / 100));
    expect(Math.abs(share(bucketsA, percent) - percent / 100)).toBeLessThanOrEqual(tolerance);
    expect(Math.abs(share(bucketsB, percent) - percent / 100)).toBeLessThanOrEqual(tolerance);
  });

  it('buckets are uniform (chi-square over 100 groups of 100 buckets)', () => {
    for (const buckets of [bucketsA, bucketsB]) {
      const counts = new Array<number>(100).fill(0);
      for (const b of buckets) counts[Math.floor(b / 100)]! += 1;
      const expected = N / 100;
      const chi2 = counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
      // chi-square, 99 degrees of freedom: P(X > 148.23) = 0.001
      expect(chi2).toBeLessThan(148.23);
    }
  });

  it.each([
    ['a different prompt', bucketsB],
    ['the next candidate of the same prompt (new salt)', bucketsNext],
  ])('two 10%% rollouts with different salts are independent: %s', (_label, other) => {
    const t = candidateThreshold(10);
    let both = 0;
    let onlyA = 0;
    let onlyB = 0;
    let neither = 0;
    for (let i = 0; i < N; i++) {
      const a = bucketsA[i]! < t;
      const b = other[i]! < t;
      if (a && b) both++;
      else if (a) onlyA++;
      else if (b) onlyB++;
      else neither++;
    }
    // overlap ≈ 10% × 10% = 1% of units (σ ≈ 0.03pp)
    expect(Math.abs(both / N - 0.01)).toBeLessThanOrEqual(0.0015);
    // chi-square test of independence on the 2×2 table, 1 degree of freedom: P(X > 10.83) = 0.001
    const rowA = both + onlyA;
    const colB = both + onlyB;
    const cells: [number, number][] = [
      [both, (rowA * colB) / N],
      [onlyA, (rowA * (N - colB)) / N],
      [onlyB, ((N - rowA) * colB) / N],
      [neither, ((N - rowA) * (N - colB)) / N],
    ];
    const chi2 = cells.reduce((acc, [observed, expected]) => acc + (observed - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(10.83);
  });

  it('ramping 10% → 50% keeps the first 10% and adds ~40% more', () => {
    const t10 = candidateThreshold(10);
    const t50 = candidateThreshold(50);
    let kept = 0;
    let at10 = 0;
    let at50 = 0;
    for (const b of bucketsA) {
      if (b < t10) at10++;
      if (b < t50) at50++;
      if (b < t10 && b < t50) kept++;
    }
    expect(kept).toBe(at10);
    expect(Math.abs((at50 - at10) / N - 0.4)).toBeLessThanOrEqual(0.008);
  });
});

describe('docs/bucketing.md', () => {
  const doc = readFileSync(new URL('../../docs/bucketing.md', import.meta.url), 'utf8');

  it('its vector table agrees with the vector file', () => {
    const rows = doc
      .split('\n')
      .map((line) => /^\| (`[^`]*`|\(empty\)) \|.*\| (\d+) \| (\d+) \|$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null);
    expect(rows.length).toBeGreaterThanOrEqual(20);
    for (const [, saltCell, hash, bucket] of rows) {
      const salt = saltCell === '(empty)' ? '' : saltCell!.slice(1, -1);
      const match = vectors.cases.find((c) => c.salt === salt && c.hash === Number(hash));
      expect(match, `docs row: ${salt} ${hash}`).toBeDefined();
      expect(match!.bucket).toBe(Number(bucket));
    }
  });

  it('its TypeScript example is right', () => {
    expect(doc).toContain("bucketOf('support-agent@4', 'user-1');               // 4050");
    expect(bucketOf('support-agent@4', 'user-1')).toBe(4050);
    expect(createBucketer('support-agent@4')('user-1') < candidateThreshold(10)).toBe(false);
  });
});
