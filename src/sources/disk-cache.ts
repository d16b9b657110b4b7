import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ErrorCode, PromptError } from '../errors.js';
import { LIMITS, parseJsonSafely } from '../internal/safe-data.js';
import { parseCompiledRegistry } from '../registry/registry.js';
import type { Registry } from '../registry/types.js';

/** Version of the on-disk cache wrapper written by {@link writeRegistryCache}. */
export const REGISTRY_CACHE_VERSION = 1;

/** The HTTP validators and timing stored next to a cached registry. */
export interface RegistryCacheMeta {
  /** The URL the registry was fetched from (the full URL: the cache file is keyed by it). */
  readonly url: string;
  /** `ETag` of the response, or null. */
  readonly etag: string | null;
  /** `Last-Modified` of the response, or null. */
  readonly lastModified: string | null;
  /** When the registry was downloaded, in epoch ms. */
  readonly fetchedAt: number;
  /** Hex SHA-256 of the response body, or null. */
  readonly bodySha256: string | null;
}

/** A cached registry, validated whole, with its {@link RegistryCacheMeta}. */
export interface RegistryCacheEntry {
  readonly meta: RegistryCacheMeta;
  readonly registry: Registry;
}

/**
 * The cache file for `url` inside `dir`: `promptpin-registry-<first 32 hex of sha256(url)>.json`.
 * Hashing keeps secrets in the URL (signed query strings) out of file names, and lets several
 * URLs share one directory.
 */
export function registryCacheFile(dir: string, url: string): string {
  return join(dir, `promptpin-registry-${createHash('sha256').update(url, 'utf8').digest('hex').slice(0, 32)}.json`);
}

/**
 * Writes `registryText` (compiled-registry JSON, already validated) and `meta` to `file`
 * atomically: a temp file in the same directory, fsync, then rename over `file`. Readers see the
 * old file or the new one, never a partial one.
 *
 * @throws {PromptError} SOURCE_LOAD_FAILED when the directory or file cannot be written.
 */
export async function writeRegistryCache(file: string, meta: RegistryCacheMeta, registryText: string): Promise<void> {
  // The body is spliced in as is: it was parsed and validated already, so the whole is valid JSON
  // and a 10 MB registry is not serialized a second time.
  const head = JSON.stringify({ promptpinRegistryCache: REGISTRY_CACHE_VERSION, ...meta });
  const text = `${head.slice(0, -1)},"registry":${registryText}}`;
  const dir = dirname(file);
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    const handle = await open(tmp, 'w', 0o644);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw new PromptError(
      ErrorCode.SOURCE_LOAD_FAILED,
      `Cannot write the registry cache ${file}: ${(err as Error).message}. Check that cacheDir is writable; the registry in memory keeps serving.`,
      { cause: err },
    );
  }
}

/**
 * Reads the cache file's text, refusing files larger than `maxBytes` plus room for the wrapper.
 *
 * @throws {PromptError} SOURCE_LOAD_FAILED when the file is missing, unreadable or too large.
 */
export async function readRegistryCacheText(file: string, maxBytes: number): Promise<string> {
  try {
    const { size } = await stat(file);
    if (size > maxBytes + 64 * 1024) {
      throw new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `Registry cache ${file} is ${size} bytes, more than maxBytes ${maxBytes}. Delete it or raise maxBytes.`);
    }
    return await readFile(file, 'utf8');
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
 * that it was written for `url`.
 *
 * @throws {RegistryError} when the cached registry is invalid; {PromptError} SOURCE_LOAD_FAILED
 * when the wrapper is not a promptpin cache for `url`.
 */
export function parseRegistryCache(text: string, file: string, url: string): RegistryCacheEntry {
  const bad = (why: string, cause?: unknown): PromptError =>
    new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `Registry cache ${file} is unusable: ${why}. Delete it; it is rewritten after the next successful fetch.`, cause === undefined ? undefined : { cause });
  let value: unknown;
  try {
    value = parseJsonSafely(text, LIMITS.registryChars);
  } catch (err) {
    throw bad(`not valid JSON (${(err as Error).message})`, err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('not a JSON object');
  const v = value as Record<string, unknown>;
  if (v['promptpinRegistryCache'] !== REGISTRY_CACHE_VERSION) throw bad(`cache format ${JSON.stringify(v['promptpinRegistryCache'])} is not ${REGISTRY_CACHE_VERSION}`);
  if (v['url'] !== url) throw bad('it was written for another URL');
  if (typeof v['fetchedAt'] !== 'number' || !Number.isFinite(v['fetchedAt'])) throw bad('fetchedAt is missing');
  const str = (key: string): string | null => (typeof v[key] === 'string' ? (v[key] as string) : null);
  const registry = parseCompiledRegistry(v['registry'], file);
  return {
    meta: Object.freeze({ url, etag: str('etag'), lastModified: str('lastModified'), fetchedAt: v['fetchedAt'] as number, bodySha256: str('bodySha256') }),
    registry,
  };
}
