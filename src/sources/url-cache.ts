import type { Registry } from '../registry/types.js';

// What a URL source needs of a registry cache, without any I/O of its own: the Node entry
// plugs in the disk cache (disk-cache.ts); edge runtimes and browsers run without one.

/**
 * The URL as shown in messages and stored on disk: scheme, host and path, with any query string
 * replaced by `?…` (signed-URL tokens) and the fragment dropped.
 * @internal
 */
export function redactUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}${url.search ? '?…' : ''}`;
}

/** What a fetch knows about the registry it is caching: validators and timing. */
export interface RegistryCacheRecord {
  /** `ETag` of the response, or null. */
  readonly etag: string | null;
  /** `Last-Modified` of the response, or null. */
  readonly lastModified: string | null;
  /** When the registry was downloaded, in epoch ms. */
  readonly fetchedAt: number;
  /** Hex SHA-256 of the response body, or null. */
  readonly bodySha256: string | null;
}

/**
 * A {@link RegistryCacheRecord} plus the URL it belongs to, as stored in the cache file. The full
 * URL never reaches the disk: a signed URL's query string is a credential.
 */
export interface RegistryCacheMeta extends RegistryCacheRecord {
  /** The URL, with any query string replaced by `?…` (for people reading the file). */
  readonly url: string;
  /** Hex SHA-256 of the full URL (query string included); the cache serves only that URL. */
  readonly urlSha256: string;
  /**
   * Hex SHA-256 of the registry text exactly as written after the wrapper: a registry planted or
   * swapped in (another URL's cache, a `registry.json` copied over it) does not match it.
   */
  readonly registrySha256: string;
}

/** A cached registry, validated whole, with its {@link RegistryCacheMeta}. */
export interface RegistryCacheEntry {
  readonly meta: RegistryCacheMeta;
  readonly registry: Registry;
}

/** Where a URL source keeps its last good registry for cold starts (the Node entry's disk cache). */
export interface UrlCacheStore {
  /** The cache file, for messages. */
  readonly file: string;
  /** Reads the cached text (bounded by `maxBytes` plus the wrapper). */
  readText(maxBytes: number): Promise<string>;
  /** Validates cached text for `url`, whole. @throws {PromptError} */
  parse(text: string, url: URL): RegistryCacheEntry;
  /** Stores a validated registry's text for `url`. */
  write(url: URL, record: RegistryCacheRecord, text: string): Promise<void>;
  /** The cached text of an archived version file (content-addressed by `hash`), or undefined. */
  readVersion?(hash: string): Promise<string | undefined>;
  /** Stores a verified archived version file's text under its hash. */
  writeVersion?(hash: string, text: string): Promise<void>;
}
