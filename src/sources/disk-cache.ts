import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ErrorCode, PromptError } from '../errors.js';
import { writeFileAtomic } from '../internal/fs/atomic-write.js';
import { readFileBounded } from '../internal/fs/read-file.js';
import { LIMITS, parseJsonSafely } from '../internal/safe-data.js';
import { parseCompiledRegistry } from '../registry/compiled.js';
import { redactUrl, type RegistryCacheEntry, type RegistryCacheMeta, type RegistryCacheRecord, type UrlCacheStore } from './url-cache.js';

export { redactUrl, type RegistryCacheEntry, type RegistryCacheMeta, type RegistryCacheRecord } from './url-cache.js';

/**
 * Version of the on-disk cache wrapper written by {@link writeRegistryCache}. Version 1 stored the
 * full URL (query string included); version 2 had no digest of the registry it holds. Files of an
 * older version are refused and replaced after the next fetch.
 */
export const REGISTRY_CACHE_VERSION = 3;

/** What separates the wrapper's fields from the registry text spliced in after them. */
const REGISTRY_SPLICE = ',"registry":';

/**
 * Room for the wrapper (URL, validators, times) around a registry of `maxBytes`: a cache file
 * larger than `maxBytes` plus this is refused before it is read.
 */
export const REGISTRY_CACHE_OVERHEAD_BYTES = 64 * 1024;

/** Hex SHA-256 of the full URL: what a cache file records to say which URL it was written for. */
function urlSha256(href: string): string {
  return createHash('sha256').update(href, 'utf8').digest('hex');
}

/**
 * The cache file for `url` inside `dir`: `promptpin-registry-<first 32 hex of sha256(url)>.json`.
 * Hashing keeps secrets in the URL (signed query strings) out of file names, and lets several
 * URLs share one directory.
 */
export function registryCacheFile(dir: string, url: string): string {
  return join(dir, `promptpin-registry-${urlSha256(url).slice(0, 32)}.json`);
}

/**
 * Writes `registryText` (compiled-registry JSON, already validated) and `record` for `url` to
 * `file` atomically: a temp file in the same directory, fsync, then rename over `file`. Readers see
 * the old file or the new one, never a partial one. The file is private to its owner (mode 0600)
 * and holds the URL redacted plus a hash of the full URL, never the query string itself.
 *
 * @throws {PromptError} SOURCE_LOAD_FAILED when the directory or file cannot be written.
 */
export async function writeRegistryCache(file: string, url: URL, record: RegistryCacheRecord, registryText: string): Promise<void> {
  const meta: RegistryCacheMeta = {
    url: redactUrl(url),
    urlSha256: urlSha256(url.href),
    etag: record.etag,
    lastModified: record.lastModified,
    fetchedAt: record.fetchedAt,
    bodySha256: record.bodySha256,
    registrySha256: createHash('sha256').update(registryText, 'utf8').digest('hex'),
  };
  // The body is spliced in as is: it was parsed and validated already, so the whole is valid JSON
  // and a 10 MB registry is not serialized a second time.
  const head = JSON.stringify({ promptpinRegistryCache: REGISTRY_CACHE_VERSION, ...meta });
  const text = `${head.slice(0, -1)}${REGISTRY_SPLICE}${registryText}}`;
  try {
    await mkdir(dirname(file), { recursive: true });
    // 0600: the registry may be private, and nobody else on the machine needs to read it. The temp
    // file is created with O_EXCL (never follows a link planted at its name), fsynced, renamed over
    // `file` (rename keeps its mode), and the directory fsynced; a failure leaves no temp file.
    await writeFileAtomic(file, text, { mode: 0o600 });
  } catch (err) {
    throw new PromptError(
      ErrorCode.SOURCE_LOAD_FAILED,
      `Cannot write the registry cache ${file}: ${(err as Error).message}. Check that cacheDir is writable; the registry in memory keeps serving.`,
      { cause: err },
    );
  }
}

/**
 * Reads the cache file's text, refusing anything but a regular file and files larger than
 * `maxBytes` plus {@link REGISTRY_CACHE_OVERHEAD_BYTES}. The size is checked on the open handle
 * before reading, and the read stops at the limit even if the file grows meanwhile.
 *
 * @throws {PromptError} SOURCE_LOAD_FAILED when the file is missing, unreadable, not a regular
 * file, or too large.
 */
export async function readRegistryCacheText(file: string, maxBytes: number): Promise<string> {
  const limit = maxBytes + REGISTRY_CACHE_OVERHEAD_BYTES;
  const tooLarge = (what: string): PromptError =>
    new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `Registry cache ${file} ${what}, more than maxBytes ${maxBytes} (plus ${REGISTRY_CACHE_OVERHEAD_BYTES} for the wrapper). Delete it or raise maxBytes.`);
  try {
    // Regular files only, opened non-blocking (a FIFO planted at the cache path never waits for a
    // writer), at most limit + 1 bytes read whatever the size said (the file may grow meanwhile).
    return await readFileBounded(file, {
      maxBytes: limit,
      tooLarge,
      notRegular: () => new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `Registry cache ${file} is not a regular file. Remove it; the cache is rewritten after the next successful fetch.`),
    });
  } catch (err) {
    if (err instanceof PromptError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new PromptError(
      ErrorCode.SOURCE_LOAD_FAILED,
      code === 'ENOENT'
        ? `No registry cache at ${file} yet: it is written after the first successful fetch.`
        : `Cannot read the registry cache ${file}: ${(err as Error).message}.`,
      { cause: err },
    );
  }
}

/**
 * Parses and validates a cache file's text whole (the registry exactly as a fetched one), checking
 * that the source wrote it for `url`: the wrapper must name the full URL (by its hash) and carry the
 * SHA-256 of the registry text that follows it, byte for byte. A valid registry planted in the
 * cache directory, another URL's cache file, or a wrapper edited by hand is refused.
 *
 * @throws {RegistryError} when the cached registry is invalid; {PromptError} SOURCE_LOAD_FAILED
 * when the wrapper is not a promptpin cache for `url` or does not match the registry it holds.
 */
export function parseRegistryCache(text: string, file: string, url: URL): RegistryCacheEntry {
  const bad = (why: string, cause?: unknown): PromptError =>
    new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `Registry cache ${file} is unusable: ${why}. Delete it; it is rewritten after the next successful fetch.`, cause === undefined ? undefined : { cause });
  // The wrapper is written as one JSON object whose last field, "registry", holds the registry text
  // spliced in as is. JSON.stringify escapes every quote inside strings, so the first `,"registry":`
  // is where the source put it.
  const at = text.indexOf(REGISTRY_SPLICE);
  if (!text.startsWith('{') || at < 0 || !text.endsWith('}')) throw bad('not a promptpin registry cache (no wrapper around the registry)');
  let value: unknown;
  try {
    value = parseJsonSafely(`${text.slice(0, at)}}`, LIMITS.registryChars);
  } catch (err) {
    throw bad(`the wrapper is not valid JSON (${(err as Error).message})`, err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('not a JSON object');
  const v = value as Record<string, unknown>;
  if (v['promptpinRegistryCache'] !== REGISTRY_CACHE_VERSION) throw bad(`cache format ${JSON.stringify(v['promptpinRegistryCache'])} is not ${REGISTRY_CACHE_VERSION}`);
  if (v['urlSha256'] !== urlSha256(url.href)) throw bad('it was written for another URL');
  if (typeof v['fetchedAt'] !== 'number' || !Number.isFinite(v['fetchedAt'])) throw bad('fetchedAt is missing');
  const registryText = text.slice(at + REGISTRY_SPLICE.length, -1);
  const digest = createHash('sha256').update(registryText, 'utf8').digest('hex');
  if (typeof v['registrySha256'] !== 'string' || v['registrySha256'] !== digest) throw bad('the registry it holds is not the one the source wrote (digest mismatch)');
  let registryValue: unknown;
  try {
    registryValue = parseJsonSafely(registryText, LIMITS.registryChars);
  } catch (err) {
    throw bad(`the registry is not valid JSON (${(err as Error).message})`, err);
  }
  const str = (key: string): string | null => (typeof v[key] === 'string' ? (v[key]) : null);
  const registry = parseCompiledRegistry(registryValue, file);
  return {
    meta: Object.freeze({
      url: redactUrl(url),
      urlSha256: urlSha256(url.href),
      etag: str('etag'),
      lastModified: str('lastModified'),
      fetchedAt: v['fetchedAt'],
      bodySha256: str('bodySha256'),
      registrySha256: digest,
    }),
    registry,
  };
}

/** The disk cache of a URL source with `cacheDir` (Node entry): one file per URL inside `dir`. */
export function diskCacheStore(dir: string, href: string): UrlCacheStore {
  const file = registryCacheFile(dir, href);
  return {
    file,
    readText: (maxBytes) => readRegistryCacheText(file, maxBytes),
    parse: (text, url) => parseRegistryCache(text, file, url),
    write: (url, record, text) => writeRegistryCache(file, url, record, text),
    // Archived versions are content-addressed and verified against their hash when read, so one
    // folder serves every URL: a planted or damaged file is refused and fetched again.
    readVersion: async (hash) => {
      if (!/^sha256:[0-9a-f]{64}$/.test(hash)) return undefined;
      try {
        return await readFileBounded(join(dir, 'promptpin-versions', `${hash.slice(7)}.json`), { maxBytes: LIMITS.promptFileChars * 8 });
      } catch {
        return undefined;
      }
    },
    writeVersion: async (hash, text) => {
      if (!/^sha256:[0-9a-f]{64}$/.test(hash)) return;
      const target = join(dir, 'promptpin-versions', `${hash.slice(7)}.json`);
      await mkdir(dirname(target), { recursive: true });
      await writeFileAtomic(target, text, { mode: 0o600 });
    },
  };
}
