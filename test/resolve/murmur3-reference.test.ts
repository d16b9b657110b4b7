// Cross-checks the TypeScript murmur3 and bucketing against the independent C reference
// (test/fixtures/reference/murmur3.c, transcribed from Austin Appleby's MurmurHash3_x86_32) on
// thousands of random strings. Bytes are produced by Node's Buffer, not by our encoder.
// Needs a C compiler (`gcc`, or $CC); skipped with a message when there is none.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKET_COUNT, bucketOf, createBucketer } from '../../src/resolve/bucket.js';
import { murmur3_32, murmur3_32_bytes } from '../../src/resolve/murmur3.js';
import { SEED } from '../support/property.js';

const CC = process.env['CC'] ?? 'gcc';
const hasCompiler = spawnSync(CC, ['--version'], { stdio: 'ignore' }).status === 0;
const SOURCE = fileURLToPath(new URL('../fixtures/reference/murmur3.c', import.meta.url));
const SAMPLES = 2000;

if (!hasCompiler) {
  console.warn(`[murmur3-reference] '${CC}' not found: skipping the C reference cross-check (set CC to a C compiler to run it)`);
}

/** Any UTF-16 string: well-formed full Unicode, arbitrary code units (lone surrogates), or a mix. */
const anyString = (maxLength: number): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength }) },
    { weight: 3, arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength }) },
    { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom('a', '\u00e9', '\u4e2d', '\u{1f600}', '\ud800', '\udfff', '\u0000'), maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 100, maxLength: 400 }) },
  );

describe.skipIf(!hasCompiler)(`TypeScript vs the C reference (${SAMPLES} random strings)`, () => {
  let dir = '';
  let exe = '';
  const seed = SEED; // fixed; FC_SEED=<n> explores (and replays) another sample
  const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');
  const reference = (messages: string[], hashSeed = 0): number[] => {
    const out = execFileSync(exe, [String(hashSeed)], {
      input: messages.map(hex).join('\n') + '\n',
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    const hashes = out.trimEnd().split('\n').map(Number);
    expect(hashes).toHaveLength(messages.length);
    return hashes;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'promptpin-murmur3-ref-'));
    exe = join(dir, 'murmur3');
    execFileSync(CC, ['-O2', '-std=c11', '-Wall', '-Wextra', '-o', exe, SOURCE], { stdio: 'pipe' });
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const samples = fc.sample(fc.tuple(anyString(16), anyString(48)), { numRuns: SAMPLES, seed });
  const info = `fast-check seed ${seed} (rerun with FC_SEED=${seed})`;

  it('murmur3_32(s) and murmur3_32_bytes(utf8(s)) match the C program, seed 0', () => {
    const strings = samples.flatMap(([salt, id]) => [salt, id]);
    const expected = reference(strings);
    strings.forEach((s, i) => {
      const ctx = `${info}; input ${JSON.stringify(s)}`;
      expect(murmur3_32(s), ctx).toBe(expected[i]);
      expect(murmur3_32_bytes(new Uint8Array(Buffer.from(s, 'utf8'))), ctx).toBe(expected[i]);
    });
  });

  it('murmur3_32 matches the C program with a non-zero seed', () => {
    const hashSeed = (seed * 2654435761) >>> 0;
    const strings = samples.map(([, id]) => id);
    const expected = reference(strings, hashSeed);
    strings.forEach((s, i) => {
      expect(murmur3_32(s, hashSeed), `${info}; hash seed ${hashSeed}; input ${JSON.stringify(s)}`).toBe(expected[i]);
    });
  });

  it('bucketOf and createBucketer match the C program on utf8(salt + ":" + unitId) % 10000', () => {
    const expected = reference(samples.map(([salt, id]) => `${salt}:${id}`));
    samples.forEach(([salt, id], i) => {
      const ctx = `${info}; salt ${JSON.stringify(salt)} unitId ${JSON.stringify(id)}`;
      const bucket = (expected[i] as number) % BUCKET_COUNT;
      expect(bucketOf(salt, id), ctx).toBe(bucket);
      expect(createBucketer(salt)(id), ctx).toBe(bucket);
    });
  });
});

if (!hasCompiler) {
  describe('C reference cross-check', () => {
    it.skip(`skipped: no C compiler ('${CC}') on this machine`, () => {});
  });
}
