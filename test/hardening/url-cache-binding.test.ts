/**
 * Issue 9, item 9e: the URL disk cache accepted any valid registry planted in it. Each cache file
 * is now bound to its URL (hash of the full URL) and to the SHA-256 of the registry text the
 * source wrote; a planted, swapped or hand-edited file is refused, whatever registry it holds.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRegistryCache, registryCacheFile, writeRegistryCache } from '../../src/sources/disk-cache.js';
import { exampleRegistries } from '../sources/url-helpers.js';

let A: string;
let B: string;
let revisionA: string;
beforeAll(async () => {
  ({ a: A, b: B, revisionA } = await exampleRegistries());
});
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const URL_A = new URL('https://prompts.example.com/registry.json?sig=secret');
const URL_B = new URL('https://prompts.example.com/other.json');
const record = { etag: '"e1"', lastModified: null, fetchedAt: Date.UTC(2026, 0, 1), bodySha256: null };

async function written(url: URL, text: string): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'promptpin-cache-bind-'));
  dirs.push(dir);
  const file = registryCacheFile(dir, url.href);
  await writeRegistryCache(file, url, record, text);
  return { dir, file };
}

function refusal(text: string, file: string, url: URL): string {
  try {
    parseRegistryCache(text, file, url);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the cache to be refused');
}

describe('URL disk cache: bound to its URL and to the digest the source wrote', () => {
  it('should load what the source wrote, for its URL', async () => {
    const { file } = await written(URL_A, A);
    const entry = parseRegistryCache(await readFile(file, 'utf8'), file, URL_A);
    expect(entry.registry.revision).toBe(revisionA);
    expect(entry.meta.registrySha256).toBe(createHash('sha256').update(A).digest('hex'));
  });

  it('should refuse a bare compiled registry planted at the cache path', async () => {
    const { file } = await written(URL_A, A);
    await writeFile(file, B);
    expect(refusal(await readFile(file, 'utf8'), file, URL_A)).toMatch(/is unusable: not a promptpin registry cache/);
  });

  it("should refuse another URL's cache file copied over this one", async () => {
    const a = await written(URL_A, A);
    const b = await written(URL_B, B);
    await copyFile(b.file, a.file);
    expect(refusal(await readFile(a.file, 'utf8'), a.file, URL_A)).toMatch(/written for another URL/);
  });

  it('should refuse a wrapper around a swapped-in valid registry (digest mismatch)', async () => {
    const { file } = await written(URL_A, A);
    const text = await readFile(file, 'utf8');
    const swapped = text.replace(A, B);
    expect(swapped).not.toBe(text);
    expect(refusal(swapped, file, URL_A)).toMatch(/the registry it holds is not the one the source wrote \(digest mismatch\)/);
  });

  it('should refuse a wrapper with the digest removed, or extra bytes after the registry', async () => {
    const { file } = await written(URL_A, A);
    const text = await readFile(file, 'utf8');
    expect(refusal(text.replace(/"registrySha256":"[0-9a-f]{64}",/, ''), file, URL_A)).toMatch(/digest mismatch/);
    expect(refusal(`${text.slice(0, -1)} }`, file, URL_A)).toMatch(/digest mismatch/);
    expect(refusal(`${text}\n`, file, URL_A)).toMatch(/not a promptpin registry cache/);
  });

  it('should still validate the registry whole when the digest was recomputed by hand', async () => {
    const { file } = await written(URL_A, A);
    const text = await readFile(file, 'utf8');
    const tampered = A.replace('support agent for Acme', 'support agent for Evil');
    expect(tampered).not.toBe(A);
    const digest = createHash('sha256').update(tampered).digest('hex');
    const forged = text.replace(A, tampered).replace(/"registrySha256":"[0-9a-f]{64}"/, `"registrySha256":"${digest}"`);
    expect(() => parseRegistryCache(forged, file, URL_A)).toThrow(/stated hash .* does not match the content/s);
  });
});
