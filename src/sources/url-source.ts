import { sha256Stream } from '../internal/sha256.js';
import { ErrorCode, isPromptError, PromptError, toPromptError } from '../errors.js';
import type { PromptVersion, Registry } from '../registry/types.js';
import { missingArchived, parseVersionFile, versionFilePath } from '../registry/live.js';
import { nodeHook } from './node-hooks.js';
import { redactUrl as redact, type RegistryCacheEntry, type UrlCacheStore } from './url-cache.js';
import { parseRegistryText } from '../registry/compiled.js';
import type { Source } from './source.js';

/** Default of {@link UrlSourceOptions.pollIntervalMs}. */
export const DEFAULT_POLL_INTERVAL_MS = 30_000;
/** Default of {@link UrlSourceOptions.jitter}. */
export const DEFAULT_JITTER = 0.1;
/** Default of {@link UrlSourceOptions.requestTimeoutMs}. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Default of {@link UrlSourceOptions.maxBytes}: 32 MiB. */
export const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;
/** Upper bound of the default {@link UrlSourceOptions.maxBackoffMs}: 5 minutes. */
export const DEFAULT_MAX_BACKOFF_CAP_MS = 5 * 60_000;

/** Request headers, or a function returning them before each request (rotating tokens). */
export type UrlSourceHeaders =
  | Readonly<Record<string, string>>
  | (() => Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>>);

/** Options of {@link createUrlSource}. */
export interface UrlSourceOptions {
  /**
   * Time between polls after a successful fetch (200 or 304), in ms. Each delay is jittered by
   * ±{@link jitter} so a fleet started together does not poll in lockstep. A release flip reaches
   * every instance within `pollIntervalMs × (1 + jitter)` plus one request.
   * @defaultValue 30000
   */
  readonly pollIntervalMs?: number;
  /**
   * Jitter as a fraction of each delay, 0–0.5: a delay `d` becomes uniform in `d × (1 ± jitter)`.
   * @defaultValue 0.1 (±10%)
   */
  readonly jitter?: number;
  /**
   * Largest delay between polls after consecutive failures. The delay after `n` failures is
   * `min(maxBackoffMs, base × 2^n)` ± jitter, with `base = pollIntervalMs` while a registry is held
   * and `min(pollIntervalMs, 1000)` while none is (an instance serving fallbacks retries sooner).
   * One success resets it.
   * @defaultValue `pollIntervalMs × 10`, at most 5 minutes and at least `pollIntervalMs`
   */
  readonly maxBackoffMs?: number;
  /**
   * Budget for one whole request (connect, headers and body), in ms; past it the request is aborted.
   * @defaultValue 10000
   */
  readonly requestTimeoutMs?: number;
  /**
   * Largest accepted registry body, in bytes (after decompression). A larger `Content-Length` is
   * refused before reading; a body without one is cut off as soon as it passes the limit.
   * @defaultValue 33554432 (32 MiB)
   */
  readonly maxBytes?: number;
  /** Request headers (e.g. `authorization`), or a function returning them before each request. */
  readonly headers?: UrlSourceHeaders;
  /**
   * Directory for the last good registry (one file per URL, written atomically). When set, a load
   * with no registry in memory that cannot fetch (host down, error, slower than
   * {@link cacheFallbackAfterMs}) serves the cached registry, validated whole.
   * @defaultValue undefined (no disk cache)
   */
  readonly cacheDir?: string;
  /**
   * With a {@link cacheDir}, how long a load with no registry in memory waits for the network
   * before it serves the disk cache; the request keeps running and its registry is delivered
   * through `watch` when it arrives. Keep it below the client's `initTimeoutMs` (the client
   * passes half of it). Without a usable cache the load waits for the network.
   * @defaultValue `min(requestTimeoutMs, 2500)`
   */
  readonly cacheFallbackAfterMs?: number;
  /**
   * Allow `http:` to hosts other than loopback (127.0.0.0/8, ::1, localhost). Registries decide
   * what every instance serves: over plain HTTP anyone on the path can change them.
   * @defaultValue false
   */
  readonly allowInsecureHttp?: boolean;
  /** Called after every request and cache read, for metrics. Exceptions it throws are ignored. */
  readonly onFetch?: (result: UrlFetchResult) => void;
  /**
   * Called with failures that `load()` does not reject with: a network failure masked by the disk
   * cache, a background request that fails after the cache was served, a cache write failure.
   */
  readonly onError?: (err: PromptError) => void;
  /** The `fetch` implementation. @defaultValue globalThis.fetch (Node's built-in) */
  readonly fetch?: typeof globalThis.fetch;
  /** Clock for `fetchedAt` and friends, in epoch ms. @defaultValue Date.now */
  readonly now?: () => number;
}

/** What one request (or cache read) ended with; passed to {@link UrlSourceOptions.onFetch}. */
export interface UrlFetchResult {
  /** The URL, with any query string redacted. */
  readonly url: string;
  /**
   * `updated`: a 200 with a new registry; `unchanged`: a 200 with the registry already held;
   * `not-modified`: a 304; `failed`: no valid registry (see `error`); `cache`: the disk cache was
   * served after the network failed or was slow.
   */
  readonly outcome: 'updated' | 'unchanged' | 'not-modified' | 'failed' | 'cache';
  /** HTTP status, or null when no response arrived (network error, timeout) or for `cache`. */
  readonly status: number | null;
  /** Body bytes read (after decompression). */
  readonly bytes: number;
  /** Wall time of the request, including validation, in ms. */
  readonly durationMs: number;
  /** Revision of the registry held after this result, or null. */
  readonly revision: string | null;
  /** The failure for `failed`; for `cache`, why the network was not used. */
  readonly error: PromptError | null;
  /** Consecutive failed requests after this result (0 after a success). */
  readonly consecutiveFailures: number;
}

/** What {@link UrlSource.status} reports. */
export interface UrlSourceStatus {
  /** The URL, with any query string redacted. */
  readonly url: string;
  /** Revision of the registry held, or null. */
  readonly revision: string | null;
  /** `ETag` sent as `If-None-Match` on the next request, or null. */
  readonly etag: string | null;
  /** `Last-Modified` sent as `If-Modified-Since` on the next request, or null. */
  readonly lastModified: string | null;
  /** When the registry held was downloaded (epoch ms; from the cache's record when served from disk), or null. */
  readonly fetchedAt: number | null;
  /** When the host last confirmed the registry held is current (a 200 or 304), or null. */
  readonly checkedAt: number | null;
  /** True while the registry held came from the disk cache and the host has not confirmed it since. */
  readonly fromCache: boolean;
  /** Failed requests since the last success. */
  readonly consecutiveFailures: number;
  /** HTTP status of the last response, or null. */
  readonly lastStatus: number | null;
  /** The last request's failure, cleared by a success. */
  readonly lastError: PromptError | null;
  /** When the next poll is scheduled (epoch ms), or null when not polling. */
  readonly nextPollAt: number | null;
  /** Registry bodies parsed and validated so far (network and cache); a 304 parses nothing. */
  readonly parses: number;
}

/** A {@link Source} polling a compiled registry over HTTP(S). */
export interface UrlSource extends Source {
  /** The URL, with any query string redacted. */
  readonly url: string;
  /** Fetch state: revision, validators, fetch times, failures, cache use. */
  status(): UrlSourceStatus;
  /** Stops polling, aborts the request in flight and waits for a pending cache write. Idempotent. */
  close(): Promise<void>;
}

const MAX_TIMER_MS = 2 ** 31 - 1;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
const LOOPBACK_V4_MAPPED = /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/;

/** True for hosts that never leave the machine: `localhost`, 127.0.0.0/8, `::1`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost') return true;
  if (IPV4.test(host)) return host.startsWith('127.') && host.split('.').every((o) => Number(o) <= 255);
  // WHATWG URL hands IPv6 hosts over canonical (compressed, lower case, v4-mapped in hex).
  if (host.includes(':')) return host === '::1' || LOOPBACK_V4_MAPPED.test(host);
  return false;
}

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** UTF-8 byte length of a string, without Buffer. */
function utf8Length(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}

/** Joins byte chunks, without Buffer. */
function concatBytes(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new PromptError(ErrorCode.INVALID_OPTIONS, `URL source option "${name}" must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${String(value)}.`);
  }
  return value;
}

/** Parses and checks the URL: http(s) only, https unless loopback or allowed, no credentials. */
function checkUrl(raw: string, allowInsecureHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PromptError(ErrorCode.INVALID_OPTIONS, `URL source "${raw}" is not a valid URL. Pass an absolute https:// URL of a compiled registry (promptpin build).`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new PromptError(ErrorCode.INVALID_OPTIONS, `URL source ${redact(url)} uses ${url.protocol}; only https: (and http: to loopback) are supported.`);
  }
  if (url.username || url.password) {
    throw new PromptError(ErrorCode.INVALID_OPTIONS, `URL source ${redact(url)} has credentials in the URL. Pass them as a header instead: headers: { authorization: 'Bearer …' }.`);
  }
  if (url.protocol === 'http:' && !allowInsecureHttp && !isLoopbackHost(url.hostname)) {
    throw new PromptError(
      ErrorCode.INVALID_OPTIONS,
      `URL source ${redact(url)} uses plain http: to a non-loopback host: anyone on the network path could change what every instance serves. Use https:, or pass allowInsecureHttp: true if the network is trusted.`,
    );
  }
  return url;
}

class UrlSourceImpl implements UrlSource {
  readonly description: string;
  readonly url: string;
  readonly #href: string;
  readonly #pollIntervalMs: number;
  readonly #jitter: number;
  readonly #maxBackoffMs: number;
  readonly #requestTimeoutMs: number;
  readonly #maxBytes: number;
  readonly #cacheFallbackAfterMs: number;
  readonly #cache: UrlCacheStore | undefined;
  readonly #allowInsecureHttp: boolean;
  readonly #options: UrlSourceOptions;
  readonly #fetch: typeof globalThis.fetch;
  readonly #now: () => number;
  /** Controllers of the requests in flight, aborted by close(). */
  readonly #active = new Set<AbortController>();
  readonly #listeners = new Set<() => void>();

  #current: Registry | undefined;
  #etag: string | null = null;
  #lastModified: string | null = null;
  #bodySha256: string | null = null;
  #fetchedAt: number | null = null;
  #checkedAt: number | null = null;
  #fromCache = false;
  #failures = 0;
  #lastStatus: number | null = null;
  #lastError: PromptError | null = null;
  #parses = 0;
  #inflight: Promise<Registry> | undefined;
  /** A registry fetched in the background that no `load()` has returned yet. */
  #deliver = false;
  /**
   * Set while a request runs whose result no `load()` caller will receive: announce its registry
   * through `watch` unless it is this one (`null`: announce any).
   */
  #announceUnless: Registry | null | undefined;
  #timer: NodeJS.Timeout | undefined;
  #nextPollAt: number | null = null;
  #cacheWrite: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(raw: string, options: UrlSourceOptions) {
    if (typeof raw !== 'string') throw new PromptError(ErrorCode.INVALID_OPTIONS, 'createUrlSource needs the registry URL as a string.');
    this.#allowInsecureHttp = options.allowInsecureHttp === true;
    const url = checkUrl(raw, this.#allowInsecureHttp);
    this.#href = url.href;
    this.url = redact(url);
    this.description = `url ${this.url}`;
    this.#options = options;
    this.#pollIntervalMs = positive('pollIntervalMs', options.pollIntervalMs, DEFAULT_POLL_INTERVAL_MS);
    this.#jitter = positive('jitter', options.jitter, DEFAULT_JITTER, true);
    if (this.#jitter > 0.5) throw new PromptError(ErrorCode.INVALID_OPTIONS, `URL source option "jitter" is a fraction of the interval between 0 and 0.5, got ${this.#jitter}.`);
    this.#maxBackoffMs = positive(
      'maxBackoffMs',
      options.maxBackoffMs,
      Math.max(this.#pollIntervalMs, Math.min(this.#pollIntervalMs * 10, DEFAULT_MAX_BACKOFF_CAP_MS)),
    );
    this.#requestTimeoutMs = positive('requestTimeoutMs', options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS);
    this.#maxBytes = positive('maxBytes', options.maxBytes, DEFAULT_MAX_BYTES);
    this.#cacheFallbackAfterMs = positive('cacheFallbackAfterMs', options.cacheFallbackAfterMs, Math.min(this.#requestTimeoutMs, 2500), true);
    for (const key of ['onFetch', 'onError', 'fetch', 'now'] as const) {
      if (options[key] !== undefined && typeof options[key] !== 'function') throw new PromptError(ErrorCode.INVALID_OPTIONS, `URL source option "${key}" must be a function.`);
    }
    if (options.headers !== undefined && typeof options.headers !== 'function' && (typeof options.headers !== 'object' || options.headers === null)) {
      throw new PromptError(ErrorCode.INVALID_OPTIONS, 'URL source option "headers" must be an object of header names to values, or a function returning one.');
    }
    if (options.cacheDir !== undefined && (typeof options.cacheDir !== 'string' || options.cacheDir === '')) {
      throw new PromptError(ErrorCode.INVALID_OPTIONS, 'URL source option "cacheDir" must be a directory path.');
    }
    this.#cache = options.cacheDir === undefined ? undefined : nodeHook('The URL source option "cacheDir"').diskCache(options.cacheDir, this.#href);
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#now = options.now ?? Date.now;
  }

  load(): Promise<Registry> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (this.#deliver && this.#current !== undefined) {
      this.#deliver = false;
      return Promise.resolve(this.#current);
    }
    const fetching = this.#request();
    if (this.#current !== undefined || this.#cache === undefined) return fetching;
    return this.#withCacheFallback(fetching, this.#cache);
  }

  /**
   * Fetches archived versions of a compiled index (`versions/<hash>.json` beside the index URL),
   * verifies each against its hash, and keeps them in the disk cache (`cacheDir`), which serves
   * them from then on: the files are content-addressed, so a cached one never goes stale.
   */
  async loadVersions(name: string, versions: readonly { readonly version: number; readonly hash: string }[]): Promise<readonly PromptVersion[]> {
    if (this.#closed) throw this.#closedError();
    const out: PromptVersion[] = [];
    for (const { version, hash } of versions) {
      const target = new URL(versionFilePath(hash), this.#href);
      const shown = redact(target);
      const cached = await this.#cache?.readVersion?.(hash).catch(() => undefined);
      if (cached !== undefined) {
        try {
          out.push(parseVersionFile(cached, name, version, hash, shown));
          continue;
        } catch {
          // A damaged cache entry is fetched again (and rewritten).
        }
      }
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.#requestTimeoutMs);
      timer.unref?.();
      this.#active.add(controller);
      let text: string;
      try {
        const headers = new Headers(target.origin === new URL(this.#href).origin ? await this.#userHeaders() : {});
        let res: Response;
        try {
          res = await this.#fetch(target.href, { headers, signal: controller.signal, redirect: 'error' });
        } catch (err) {
          throw this.#networkError(err, { aborted: controller.signal.aborted });
        }
        if (res.status === 404 || res.status === 410) {
          await res.body?.cancel().catch(() => {});
          throw missingArchived(name, version, shown);
        }
        if (res.status !== 200) {
          await res.body?.cancel().catch(() => {});
          throw this.#statusError(res);
        }
        text = await res.text();
      } finally {
        clearTimeout(timer);
        this.#active.delete(controller);
      }
      const parsed = parseVersionFile(text, name, version, hash, shown);
      out.push(parsed);
      await this.#cache?.writeVersion?.(hash, text).catch((err: unknown) => this.#options.onError?.(toPromptError(err)));
    }
    return out;
  }

  watch(onChange: () => void): () => void {
    if (this.#closed) return () => {};
    this.#listeners.add(onChange);
    // A watcher arriving mid-request means its owner gave up on that load (the client's init
    // timeout): without an announcement the registry would wait a whole poll interval.
    if (this.#inflight !== undefined) this.#announceUnless ??= null;
    else if (this.#timer === undefined) this.#schedule();
    return () => {
      this.#listeners.delete(onChange);
      if (this.#listeners.size === 0) this.#stopTimer();
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.#stopTimer();
    for (const controller of this.#active) controller.abort();
    await this.#cacheWrite;
  }

  status(): UrlSourceStatus {
    return Object.freeze({
      url: this.url,
      revision: this.#current?.revision ?? null,
      etag: this.#etag,
      lastModified: this.#lastModified,
      fetchedAt: this.#fetchedAt,
      checkedAt: this.#checkedAt,
      fromCache: this.#fromCache,
      consecutiveFailures: this.#failures,
      lastStatus: this.#lastStatus,
      lastError: this.#lastError,
      nextPollAt: this.#nextPollAt,
      parses: this.#parses,
    });
  }

  /** Starts a request, or joins the one in flight. */
  #request(): Promise<Registry> {
    if (this.#inflight === undefined) {
      const run = this.#fetchOnce().finally(() => {
        this.#inflight = undefined;
        if (!this.#closed && this.#listeners.size > 0) this.#schedule();
      });
      this.#inflight = run;
      run.then(
        (registry) => {
          const unless = this.#announceUnless;
          this.#announceUnless = undefined;
          if (unless !== undefined && registry !== unless) this.#announce(registry);
        },
        () => {
          this.#announceUnless = undefined;
        },
      );
    }
    return this.#inflight;
  }

  #announce(registry: Registry): void {
    if (this.#closed || registry !== this.#current) return;
    this.#deliver = true;
    this.#notify();
  }

  async #withCacheFallback(fetching: Promise<Registry>, cache: UrlCacheStore): Promise<Registry> {
    const cacheFile = cache.file;
    // Read the file now (cheap I/O) so it is ready at the deadline; validate it only if needed.
    const cacheText = cache.readText(this.#maxBytes);
    cacheText.catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), this.#cacheFallbackAfterMs);
      timer.unref?.();
    });
    const first = await Promise.race([
      fetching.then(
        (registry) => ({ ok: true as const, registry }),
        (error: unknown) => ({ ok: false as const, error: toPromptError(error) }),
      ),
      deadline,
    ]);
    clearTimeout(timer);
    if (first !== 'deadline' && first.ok) return first.registry;

    const started = performance.now();
    let entry: RegistryCacheEntry;
    let cacheBytes: number;
    try {
      const text = await withDeadline(cacheText, this.#requestTimeoutMs, () =>
        new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `Reading the registry cache ${cacheFile} took more than ${this.#requestTimeoutMs} ms (requestTimeoutMs). Check the disk holding cacheDir.`),
      );
      cacheBytes = utf8Length(text);
      this.#parses++;
      entry = cache.parse(text, new URL(this.#href));
    } catch (err) {
      const withNote = (error: PromptError): PromptError =>
        new PromptError(error.code, `${error.message} The disk cache could not stand in either: ${(err as Error).message}`, { cause: error });
      if (first !== 'deadline') throw withNote(first.error);
      // No usable cache: keep waiting for the network.
      return fetching.catch((error: unknown) => {
        throw withNote(toPromptError(error));
      });
    }
    if (this.#closed) throw this.#closedError();
    // The network may have answered while the cache was read: prefer it.
    if (this.#current !== undefined) return this.#current;
    this.#current = entry.registry;
    this.#etag = entry.meta.etag;
    this.#lastModified = entry.meta.lastModified;
    this.#bodySha256 = entry.meta.bodySha256;
    this.#fetchedAt = entry.meta.fetchedAt;
    this.#fromCache = true;
    const why =
      first === 'deadline'
        ? new PromptError(
            ErrorCode.SOURCE_LOAD_FAILED,
            `No response from ${this.url} within ${this.#cacheFallbackAfterMs} ms (cacheFallbackAfterMs): serving the disk cache (revision ${entry.registry.revision.slice(0, 15)}, fetched ${new Date(entry.meta.fetchedAt).toISOString()}) until the request completes.`,
          )
        : new PromptError(
            first.error.code,
            `${first.error.message} Serving the disk cache instead (revision ${entry.registry.revision.slice(0, 15)}, fetched ${new Date(entry.meta.fetchedAt).toISOString()}).`,
            { cause: first.error },
          );
    this.#emit({ outcome: 'cache', status: null, bytes: cacheBytes, durationMs: performance.now() - started, error: why });
    this.#reportError(why);
    if (first === 'deadline') {
      // The request keeps running; nobody awaits it any more, so its outcome goes through watch/onError.
      if (this.#inflight === fetching) this.#announceUnless = entry.registry;
      fetching.catch((err: unknown) => this.#reportError(toPromptError(err)));
    }
    return entry.registry;
  }

  async #fetchOnce(): Promise<Registry> {
    const started = performance.now();
    let status: number | null = null;
    let bytes = 0;
    // One controller per request (not AbortSignal.any over a long-lived signal, which would keep
    // every request's signal reachable for the life of the source).
    const controller = new AbortController();
    const signal = controller.signal;
    const timeout = { aborted: false };
    const timer = setTimeout(() => {
      timeout.aborted = true;
      controller.abort(new DOMException(`no response within ${this.#requestTimeoutMs} ms`, 'TimeoutError'));
    }, this.#requestTimeoutMs);
    timer.unref?.();
    this.#active.add(controller);
    // The deadline covers every awaited step, not only what honours the signal: a headers()
    // function, a custom fetch or a body stream that ignores it would otherwise hang this request
    // and, with it, every later poll (the next one is scheduled when this one settles).
    const aborted = new Promise<never>((_, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
    aborted.catch(() => {});
    const bounded = <T>(step: PromiseLike<T> | T, detail: string): Promise<T> =>
      Promise.race([step, aborted]).catch((err: unknown) => {
        if (!signal.aborted) throw err;
        if (timeout.aborted) throw this.#timeoutError(detail);
        throw this.#closed ? this.#closedError() : err;
      });
    const discard = (res: Response): Promise<void> => bounded(res.body?.cancel().catch(() => {}), 'discarding a response body').catch(() => {});
    try {
      const user = await bounded(this.#userHeaders(), 'waiting for the headers function');
      const headersFor = (withUser: boolean): Headers => {
        const h = new Headers(withUser ? user : {});
        if (!h.has('accept')) h.set('accept', 'application/json');
        if (this.#current !== undefined) {
          if (this.#etag !== null) h.set('if-none-match', this.#etag);
          if (this.#lastModified !== null) h.set('if-modified-since', this.#lastModified);
        }
        return h;
      };
      let target = new URL(this.#href);
      let headers = headersFor(true);
      let res: Response;
      // Redirects are followed by hand so each hop is checked before it is requested.
      for (let hop = 0; ; hop++) {
        try {
          res = await Promise.race([this.#fetch(target.href, { headers, signal, redirect: 'manual' }), aborted]);
        } catch (err) {
          throw this.#networkError(err, timeout);
        }
        if (!REDIRECTS.has(res.status)) break;
        await discard(res);
        const location = res.headers.get('location');
        if (location === null) throw this.#failure(`HTTP ${res.status} without a Location header. Check the host configuration.`, res.status);
        if (hop >= MAX_REDIRECTS) throw this.#failure(`more than ${MAX_REDIRECTS} redirects. Point the source at the final URL.`, res.status);
        const next = new URL(location, target);
        if (!this.#transportAllowed(next)) {
          throw this.#failure(`redirected to ${redact(next)}, which is not https: (plain http: is allowed to loopback only, or with allowInsecureHttp). Point the source at an https: URL.`, res.status);
        }
        // Credentials in `headers` are meant for the configured origin only.
        if (next.origin !== target.origin) headers = headersFor(false);
        target = next;
      }
      status = res.status;
      if (status === 304) {
        await discard(res);
        if (this.#current === undefined) throw this.#failure('HTTP 304 Not Modified, but no registry is held to reuse. Check that the host or a proxy does not answer 304 to unconditional requests.', status);
        this.#succeeded(status, res);
        this.#emit({ outcome: 'not-modified', status, bytes: 0, durationMs: performance.now() - started, error: null });
        return this.#current;
      }
      if (status !== 200) {
        await discard(res);
        throw this.#statusError(res);
      }
      const body = await this.#readBody(res, timeout, aborted);
      bytes = body.bytes;
      const previous = this.#current;
      let registry: Registry;
      if (previous !== undefined && body.sha256 === this.#bodySha256) {
        registry = previous; // the same bytes again (a host without ETag support): skip the parse
      } else {
        this.#parses++;
        const parsed = parseRegistryText(body.text, this.url);
        registry = previous !== undefined && parsed.revision === previous.revision ? previous : parsed;
      }
      const outcome = registry === previous ? 'unchanged' : 'updated';
      const validatorsChanged = res.headers.get('etag') !== this.#etag || res.headers.get('last-modified') !== this.#lastModified;
      const wasFromCache = this.#fromCache;
      this.#current = registry;
      this.#bodySha256 = body.sha256;
      this.#fetchedAt = this.#now();
      this.#succeeded(status, res);
      if (outcome === 'updated' || validatorsChanged || wasFromCache) this.#writeCache(body.text);
      this.#emit({ outcome, status, bytes, durationMs: performance.now() - started, error: null });
      return registry;
    } catch (err) {
      // Abandoned by close(), not failed: a caller still waiting gets the registry it already has.
      if (this.#closed && this.#current !== undefined) return this.#current;
      const error = toPromptError(err);
      this.#failures++;
      this.#lastStatus = status;
      this.#lastError = error;
      this.#emit({ outcome: 'failed', status, bytes, durationMs: performance.now() - started, error });
      throw error;
    } finally {
      clearTimeout(timer);
      this.#active.delete(controller);
    }
  }

  #transportAllowed(url: URL): boolean {
    if (url.protocol === 'https:') return true;
    return url.protocol === 'http:' && (this.#allowInsecureHttp || isLoopbackHost(url.hostname));
  }

  #succeeded(status: number, res: Response): void {
    this.#failures = 0;
    this.#lastStatus = status;
    this.#lastError = null;
    this.#checkedAt = this.#now();
    this.#fromCache = false;
    if (status === 200) {
      this.#etag = res.headers.get('etag');
      this.#lastModified = res.headers.get('last-modified');
    } else {
      // A 304 may carry refreshed validators.
      this.#etag = res.headers.get('etag') ?? this.#etag;
      this.#lastModified = res.headers.get('last-modified') ?? this.#lastModified;
    }
  }

  async #userHeaders(): Promise<Readonly<Record<string, string>>> {
    const h = this.#options.headers;
    if (h === undefined) return {};
    if (typeof h !== 'function') return h;
    try {
      return await h();
    } catch (err) {
      throw new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `The headers function of URL source ${this.url} threw: ${(err as Error).message}. Fix it; the last good registry keeps serving.`, { cause: err });
    }
  }

  /** Reads the body while enforcing maxBytes and detecting truncation. */
  async #readBody(res: Response, timeout: { readonly aborted: boolean }, aborted: Promise<never>): Promise<{ text: string; bytes: number; sha256: string }> {
    const declaredRaw = res.headers.get('content-length');
    const declared = declaredRaw !== null && /^\d+$/.test(declaredRaw.trim()) ? Number(declaredRaw.trim()) : undefined;
    const encoding = res.headers.get('content-encoding');
    const identity = encoding === null || encoding.trim().toLowerCase() === 'identity';
    if (declared !== undefined && declared > this.#maxBytes) {
      void res.body?.cancel().catch(() => {});
      throw this.#failure(`the body is ${declared} bytes (Content-Length), more than maxBytes ${this.#maxBytes}. Raise maxBytes if the registry really is this large.`, res.status);
    }
    const hash = sha256Stream();
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (res.body !== null) {
      const reader = res.body.getReader();
      try {
        for (;;) {
          // Raced with the deadline: a stream that ignores the abort signal must not hang the poll.
          const { done, value } = (await Promise.race([reader.read(), aborted])) as { done: true; value?: undefined } | { done: false; value: Uint8Array };
          if (done) break;
          total += value.byteLength;
          if (total > this.#maxBytes) {
            void reader.cancel().catch(() => {});
            throw this.#failure(`the body passed maxBytes ${this.#maxBytes} while streaming (${total} bytes read, no end in sight). Raise maxBytes if the registry really is this large.`, res.status);
          }
          chunks.push(value);
          hash.update(value);
        }
      } catch (err) {
        if (isPromptError(err)) throw err;
        if (timeout.aborted || this.#closed) void reader.cancel().catch(() => {});
        if (timeout.aborted) throw this.#timeoutError(`after ${total} body bytes`);
        if (this.#closed) throw this.#closedError();
        throw this.#failure(
          `the connection broke after ${total}${declared !== undefined ? ` of ${declared}` : ''} body bytes (truncated: ${(err as Error).message}${causeCode(err)}). The host or a proxy cut the transfer; it is retried with backoff.`,
          res.status,
          err,
        );
      }
    }
    if (declared !== undefined && identity && total !== declared) {
      throw this.#failure(`the body has ${total} bytes but Content-Length said ${declared} (truncated). The host or a proxy cut the transfer; it is retried with backoff.`, res.status);
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(concatBytes(chunks, total));
    } catch (err) {
      throw this.#failure('the body is not UTF-8 text. Serve the JSON written by `promptpin build` unchanged.', res.status, err);
    }
    return { text, bytes: total, sha256: hash.hex() };
  }

  #failure(why: string, status: number | null, cause?: unknown): PromptError {
    return new PromptError(
      ErrorCode.SOURCE_LOAD_FAILED,
      `Fetching registry ${this.url}${status !== null ? ` (HTTP ${status})` : ''} failed: ${why}`,
      cause === undefined ? undefined : { cause },
    );
  }

  #statusError(res: Response): PromptError {
    const s = res.status;
    const text = `HTTP ${s}${res.statusText ? ` ${res.statusText}` : ''}`;
    let what: string;
    if (s >= 500) what = 'the host failed. The last good registry keeps serving; the URL is polled again with backoff.';
    else if (s === 401 || s === 403) what = 'access denied. Check the credentials in the source `headers` (and the bucket policy).';
    else if (s === 404 || s === 410) what = 'no registry at this URL. Check the URL and that CI uploaded the output of `promptpin build` there.';
    else what = 'expected 200 with a compiled registry (or 304). Check the URL and the host configuration.';
    return new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `Fetching registry ${this.url} failed: ${text}: ${what}`);
  }

  #timeoutError(detail: string): PromptError {
    return new PromptError(
      ErrorCode.SOURCE_LOAD_FAILED,
      `Fetching registry ${this.url} failed: no complete response within ${this.#requestTimeoutMs} ms (requestTimeoutMs; ${detail}). Check the host, or raise requestTimeoutMs for a slow link; the last good registry keeps serving.`,
    );
  }

  #networkError(err: unknown, timeout: { readonly aborted: boolean }): PromptError {
    if (isPromptError(err)) return err;
    if (timeout.aborted) return this.#timeoutError('waiting for the response headers');
    if (this.#closed) return this.#closedError();
    return new PromptError(
      ErrorCode.SOURCE_LOAD_FAILED,
      `Fetching registry ${this.url} failed: cannot reach the host (${(err as Error).message}${causeCode(err)}). Check the host name, network and TLS; the last good registry keeps serving.`,
      { cause: err },
    );
  }

  #closedError(): PromptError {
    return new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `URL source ${this.url} is closed. Create a new client.`);
  }

  #writeCache(text: string): void {
    const cache = this.#cache;
    if (cache === undefined || this.#fetchedAt === null) return;
    const file = cache.file;
    const record = { etag: this.#etag, lastModified: this.#lastModified, fetchedAt: this.#fetchedAt, bodySha256: this.#bodySha256 };
    const url = new URL(this.#href);
    // Writes are chained so an older registry never lands after a newer one; close() awaits them.
    // Each write is bounded: a disk that stalls once must not block every later write and close().
    this.#cacheWrite = this.#cacheWrite
      .then(() =>
        withDeadline(cache.write(url, record, text), this.#requestTimeoutMs, () =>
          new PromptError(ErrorCode.SOURCE_LOAD_FAILED, `Writing the registry cache ${file} took more than ${this.#requestTimeoutMs} ms (requestTimeoutMs); later writes go ahead. Check the disk holding cacheDir; the registry in memory keeps serving.`),
        ),
      )
      .catch((err: unknown) => this.#reportError(toPromptError(err)));
  }

  #nextDelay(): number {
    let base = this.#pollIntervalMs;
    if (this.#failures > 0) {
      const start = this.#current !== undefined ? this.#pollIntervalMs : Math.min(this.#pollIntervalMs, 1000);
      base = Math.min(this.#maxBackoffMs, start * 2 ** Math.min(this.#failures, 30));
    }
    // setTimeout fires at once past 2^31 - 1 ms: clamp.
    return Math.min(MAX_TIMER_MS, Math.max(0, Math.round(base * (1 + this.#jitter * (2 * Math.random() - 1)))));
  }

  #schedule(): void {
    this.#stopTimer();
    if (this.#closed || this.#listeners.size === 0) return;
    const delay = this.#nextDelay();
    this.#nextPollAt = this.#now() + delay;
    this.#timer = setTimeout(() => this.#tick(), delay);
    this.#timer.unref?.();
  }

  #stopTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#nextPollAt = null;
  }

  #tick(): void {
    this.#timer = undefined;
    this.#nextPollAt = null;
    this.#notify();
    // Normally a listener calls load() and the next poll is scheduled when that request settles.
    if (this.#inflight === undefined && this.#timer === undefined) this.#schedule();
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch (err) {
        this.#reportError(toPromptError(err));
      }
    }
  }

  #emit(result: Omit<UrlFetchResult, 'url' | 'revision' | 'consecutiveFailures'>): void {
    const hook = this.#options.onFetch;
    if (hook === undefined) return;
    try {
      hook(Object.freeze({ url: this.url, revision: this.#current?.revision ?? null, consecutiveFailures: this.#failures, ...result }));
    } catch {
      // A metrics hook must never break fetching.
    }
  }

  #reportError(err: PromptError): void {
    try {
      this.#options.onError?.(err);
    } catch {
      // An error handler that throws must not break polling.
    }
  }
}

/** Settles like `step`, or rejects with `onTimeout()` after `ms` (the step keeps running, ignored). */
function withDeadline<T>(step: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.min(ms, MAX_TIMER_MS));
    timer.unref?.();
  });
  return Promise.race([step, late]).finally(() => clearTimeout(timer));
}

function causeCode(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (cause === undefined || cause === null) return '';
  if (typeof cause.code === 'string') return `: ${cause.code}`;
  if (typeof cause.message === 'string' && cause.message) return `: ${cause.message}`;
  return '';
}


/**
 * Creates a {@link Source} that reads a compiled registry (`promptpin build`) from an HTTP(S) URL
 * and polls it: conditional requests (`If-None-Match` / `If-Modified-Since`; a 304 reuses the
 * registry held without parsing), jittered intervals, exponential backoff on failure, a request
 * timeout and a body size limit. Every fetched registry is validated whole; a failed request
 * rejects `load()` with a typed error and the client keeps serving its last good registry. With
 * `cacheDir`, the last good registry is kept on disk for cold starts while the host is down.
 *
 * @throws {PromptError} INVALID_OPTIONS for a malformed URL, a non-http(s) scheme, credentials
 * in the URL, plain `http:` to a non-loopback host without `allowInsecureHttp`, or bad options.
 *
 * @example
 * const client = await PromptClient.create({
 *   source: createUrlSource('https://prompts.example.com/registry.json', { cacheDir: '/var/cache/promptpin' }),
 * });
 */
export function createUrlSource(url: string, options: UrlSourceOptions = {}): UrlSource {
  return new UrlSourceImpl(url, options);
}
