/**
 * MurmurHash3, x86 32-bit variant (Austin Appleby, public domain), over UTF-8 bytes.
 *
 * This is the hash behind promptpin's public bucketing contract (see `docs/bucketing.md`), so its
 * output must match every other correct implementation byte for byte: `mmh3.hash(b, seed,
 * signed=False)` in Python, Guava's `murmur3_32_fixed`, the reference `MurmurHash3_x86_32` in C.
 *
 * Strings are hashed as their UTF-8 encoding, computed on the fly without allocating: each UTF-16
 * code unit (or surrogate pair) is encoded to 1–4 bytes that are fed into a 4-byte block
 * accumulator. A lone surrogate is encoded as U+FFFD (`EF BF BD`), exactly as `TextEncoder` and
 * `Buffer.from(s, 'utf8')` do. (The popular `murmurhash3js` port instead hashes the low byte of
 * each UTF-16 unit, which disagrees with every other language for non-ASCII input.)
 *
 * Pure: no I/O, no allocation on the hashing path.
 *
 * @module
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** The `k1` scramble applied to every 4-byte block (and to the zero-padded tail). */
function scramble(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

/** Mixes one full little-endian 4-byte block `k` into the running state `h`. */
function mixBlock(h: number, k: number): number {
  h ^= scramble(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * Finishes a hash: mixes in the pending tail bytes (`k`, `n` of them), the total byte length, and
 * applies the `fmix32` avalanche. Returns an unsigned 32-bit integer.
 */
function finish(h: number, k: number, n: number, len: number): number {
  if (n !== 0) h ^= scramble(k);
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// Result registers of `absorb` (it returns four numbers; module-level slots avoid allocating an
// object per call). Only ever read immediately after `absorb` returns, synchronously.
let outH = 0;
let outK = 0;
let outN = 0;
let outLen = 0;

/**
 * Feeds the UTF-8 encoding of `input` into a murmur3 state and leaves the new state in
 * `outH/outK/outN/outLen`.
 *
 * State: `h` is the running hash after all full blocks so far; `k` holds the `n` (0–3) pending
 * bytes of the current incomplete block, little-endian (byte i at bits 8i..8i+7); `len` is the
 * number of bytes fed so far.
 */
function absorb(input: string, h: number, k: number, n: number, len: number): void {
  const end = input.length;
  for (let i = 0; i < end; i++) {
    const c = input.charCodeAt(i);
    // enc: the code point's UTF-8 bytes packed little-endian (first byte lowest); cnt: how many.
    let enc: number;
    let cnt: number;
    if (c < 0x80) {
      enc = c;
      cnt = 1;
    } else if (c < 0x800) {
      enc = (0xc0 | (c >>> 6)) | ((0x80 | (c & 0x3f)) << 8);
      cnt = 2;
    } else if (c < 0xd800 || c > 0xdfff) {
      enc = (0xe0 | (c >>> 12)) | ((0x80 | ((c >>> 6) & 0x3f)) << 8) | ((0x80 | (c & 0x3f)) << 16);
      cnt = 3;
    } else {
      const d = i + 1 < end ? input.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        const cp = (((c - 0xd800) << 10) | (d - 0xdc00)) + 0x10000;
        enc =
          (0xf0 | (cp >>> 18)) |
          ((0x80 | ((cp >>> 12) & 0x3f)) << 8) |
          ((0x80 | ((cp >>> 6) & 0x3f)) << 16) |
          ((0x80 | (cp & 0x3f)) << 24);
        cnt = 4;
        i++;
      } else {
        // Lone surrogate: U+FFFD REPLACEMENT CHARACTER, as TextEncoder does.
        enc = 0xef | (0xbf << 8) | (0xbd << 16);
        cnt = 3;
      }
    }
    len += cnt;
    // Append the bytes after the n pending ones; bits shifted past 32 are the overflow.
    k |= enc << (n << 3);
    n += cnt;
    if (n >= 4) {
      h = mixBlock(h, k);
      n -= 4;
      // The bytes of `enc` that did not fit: its top n bytes. (When the block was empty before,
      // cnt was 4 and nothing overflows; guard that case since `>>> 32` would be `>>> 0`.)
      k = n === 0 ? 0 : enc >>> ((cnt - n) << 3);
    }
  }
  outH = h;
  outK = k;
  outN = n;
  outLen = len;
}

/**
 * MurmurHash3_x86_32 of the UTF-8 bytes of `input`.
 *
 * Equivalent to `murmur3_32_bytes(new TextEncoder().encode(input), seed)` (lone surrogates become
 * U+FFFD), but encodes on the fly and allocates nothing.
 *
 * @param input any JavaScript string; hashed as UTF-8.
 * @param seed  32-bit seed (default 0; taken modulo 2^32).
 * @returns the hash as an unsigned 32-bit integer (0 … 4294967295).
 * @example murmur3_32('') === 0; murmur3_32('hello') === 613153351
 */
export function murmur3_32(input: string, seed = 0): number {
  absorb(input, seed | 0, 0, 0, 0);
  return finish(outH, outK, outN, outLen);
}

/**
 * MurmurHash3_x86_32 of a byte array (blocks read little-endian, as the reference implementation
 * does on x86).
 *
 * @param bytes the bytes to hash.
 * @param seed  32-bit seed (default 0; taken modulo 2^32).
 * @returns the hash as an unsigned 32-bit integer.
 */
export function murmur3_32_bytes(bytes: Uint8Array, seed = 0): number {
  const len = bytes.length;
  const blockEnd = len & ~3;
  let h = seed | 0;
  let i = 0;
  for (; i < blockEnd; i += 4) {
    const k =
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    h = mixBlock(h, k);
  }
  let k = 0;
  const n = len & 3;
  for (let j = 0; j < n; j++) k |= (bytes[i + j] as number) << (j << 3);
  return finish(h, k, n, len);
}

/**
 * A murmur3 state part-way through a message: `h` after the full 4-byte blocks, the `n` (0–3)
 * pending bytes packed little-endian in `k`, and `len` bytes consumed in total.
 *
 * @internal
 */
export interface Murmur3Midstate {
  readonly h: number;
  readonly k: number;
  readonly n: number;
  readonly len: number;
}

/**
 * Runs murmur3 over the UTF-8 bytes of `prefix` and returns the intermediate state, so a message
 * that always starts with `prefix` can be finished with {@link murmur3_32_resume} without
 * re-hashing it. Allocates one small object; meant for setup, not the hot path.
 *
 * @internal
 */
export function murmur3_32_midstate(prefix: string, seed = 0): Murmur3Midstate {
  absorb(prefix, seed | 0, 0, 0, 0);
  return Object.freeze({ h: outH, k: outK, n: outN, len: outLen });
}

/**
 * Continues from a {@link murmur3_32_midstate} with the UTF-8 bytes of `rest` and returns the
 * final hash: `murmur3_32_resume(murmur3_32_midstate(a, s), b) === murmur3_32(a + b, s)` whenever
 * the concatenation does not join a high surrogate ending `a` with a low surrogate starting `b`
 * (the bucketing prefix always ends in `':'`, so it never does). Allocates nothing.
 *
 * The state is passed as four numbers so callers can keep them in closure constants.
 *
 * @internal
 */
export function murmur3_32_resume(h: number, k: number, n: number, len: number, rest: string): number {
  absorb(rest, h, k, n, len);
  return finish(outH, outK, outN, outLen);
}
