import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PromptClient, type PromptClientOptions } from '../../src/client.js';
import { ErrorCode, type PromptError } from '../../src/errors.js';
import { readRegistryCacheText, REGISTRY_CACHE_OVERHEAD_BYTES, registryCacheFile } from '../../src/sources/disk-cache.js';
import { createUrlSource, type UrlFetchResult, type UrlSource, type UrlSourceOptions } from '../../src/sources/url-source.js';
import { advanceUntil, exampleRegistries, FAKE_TIMERS, idle, startRegistryServer, waitFor, type RegistryServer } from './url-helpers.js';

let A: string;
let B: string;
let revisionA: string;
let revisionB: string;
beforeAll(async () => {
  ({ a: A, b: B, revisionA, revisionB } = await exampleRegistries());
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  vi.useRealTimers();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'promptpin-url-cache-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function server(body: string, path?: string): Promise<RegistryServer> {
  const s = await startRegistryServer(body, path);
  cleanups.push(() => s.close());
  return s;
}

async function open(url: string, options: UrlSourceOptions, clientOptions: Partial<PromptClientOptions> = {}): Promise<{ client: PromptClient; source: UrlSource }> {
  const source = createUrlSource(url, options);
  cleanups.push(() => source.close());
  const client = await PromptClient.create({ source, environment: 'staging', ...clientOptions });
  cleanups.push(() => client.close());
  return { client, source };
}

/** Fetches once with a cache dir and closes (which waits for the cache write). */
async function warm(url: string, cacheDir: string): Promise<{ fetchedAt: number; etag: string | null }> {
  const { client, source } = await open(url, { cacheDir });
  const { fetchedAt, etag } = source.status();
  await client.close();
  return { fetchedAt: fetchedAt!, etag };
}

const errorOf = (p: Promise<unknown>): Promise<PromptError | null> =>
  p.then(
    () => null,
    (e: PromptError) => e,
  );

describe('createUrlSource: disk cache', () => {
  it('should write the last good registry to one file per URL, named by a hash of the URL', async () => {
    const dir = await tempDir();
    const srv = await server(A);
    const { fetchedAt, etag } = await warm(srv.url, dir);
    const file = registryCacheFile(dir, srv.url);
    expect(file).toMatch(/promptpin-registry-[0-9a-f]{32}\.json$/);
    expect(await readdir(dir)).toEqual([file.slice(dir.length + 1)]);
    const cached = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    expect(cached).toMatchObject({ promptpinRegistryCache: 3, url: srv.url, etag, fetchedAt, registrySha256: expect.stringMatching(/^[0-9a-f]{64}$/), registry: { revision: revisionA } });
    expect(cached['urlSha256']).toBe(createHash('sha256').update(srv.url).digest('hex'));
    expect(JSON.stringify(cached['registry'])).toBe(A);
  });

  it('should replace the cache atomically: a concurrent reader never sees a partial file', async () => {
    const dir = await tempDir();
    const srv = await server(A);
    const { client } = await open(srv.url, { cacheDir: dir });
    const file = registryCacheFile(dir, srv.url);
    let reads = 0;
    let stop = false;
    const reader = (async () => {
      while (!stop) {
        try {
          const text = await readFile(file, 'utf8');
          JSON.parse(text); // throws on a torn file
          reads++;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
    })();
    for (let i = 0; i < 20; i++) {
      srv.set(i % 2 === 0 ? B : A);
      expect(await client.reload()).toMatchObject({ success: true, changed: true });
    }
    await client.close();
    stop = true;
    await reader;
    expect(reads).toBeGreaterThan(0);
    const names = await readdir(dir);
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect((JSON.parse(await readFile(file, 'utf8')) as { registry: { revision: string } }).registry.revision).toBe(revisionA);
  });

  it('should serve the disk cache when a client starts while the host is down', async () => {
    const dir = await tempDir();
    const srv = await startRegistryServer(A);
    const { fetchedAt } = await warm(srv.url, dir);
    await srv.close(); // connection refused from now on
    const errors: PromptError[] = [];
    const results: UrlFetchResult[] = [];
    const { client, source } = await open(srv.url, { cacheDir: dir, onError: (e) => errors.push(e), onFetch: (r) => results.push(r) });
    expect(client.get('support-agent').version).toBe(2);
    expect(client.status().revision).toBe(revisionA);
    expect(source.status()).toMatchObject({ fromCache: true, fetchedAt, revision: revisionA, consecutiveFailures: 1, checkedAt: null, parses: 1 });
    expect(results.map((r) => r.outcome)).toEqual(['failed', 'cache']);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe(ErrorCode.SOURCE_LOAD_FAILED);
    expect(errors[0]!.message.replace(srv.url, '<url>').replace(/revision \S+, fetched \S+\)/, 'revision <rev>, fetched <time>)').replace(/fetch failed: \w+/, 'fetch failed: <code>')).toMatchInlineSnapshot(
      `"Fetching registry <url> failed: cannot reach the host (fetch failed: <code>). Check the host name, network and TLS; the last good registry keeps serving. Serving the disk cache instead (revision <rev>, fetched <time>)."`,
    );
  });

  it('should revalidate the cached registry with its ETag when the host is back (304: nothing downloaded or parsed)', async () => {
    const dir = await tempDir();
    const srv = await server(A);
    const { etag } = await warm(srv.url, dir);
    srv.respond((_q, res) => res.writeHead(503).end());
    vi.useFakeTimers(FAKE_TIMERS);
    const { client, source } = await open(srv.url, { cacheDir: dir, pollIntervalMs: 20, maxBackoffMs: 40, onError: () => {} });
    expect(source.status().fromCache).toBe(true);
    srv.respond(undefined);
    await advanceUntil(() => !source.status().fromCache, idle(source), 1000, 'the host to confirm the cached registry');
    const last = srv.requests.at(-1)!;
    expect(last.headers['if-none-match']).toBe(etag);
    expect(last.status).toBe(304);
    expect(source.status()).toMatchObject({ parses: 1, consecutiveFailures: 0, revision: revisionA, lastStatus: 304 });
    expect(client.status().revision).toBe(revisionA);
  });

  it("should serve the cache before the client's initTimeoutMs when the host hangs, then take the fresh registry when it arrives", async () => {
    const dir = await tempDir();
    const srv = await server(A);
    await warm(srv.url, dir);
    srv.set(B);
    // The host answers 400 ms (fake clock) after the request arrives.
    srv.respond((_q, res, body) => {
      setTimeout(() => res.writeHead(200, { 'content-length': String(Buffer.byteLength(body)) }).end(body), 400);
    });
    const errors: PromptError[] = [];
    vi.useFakeTimers(FAKE_TIMERS);
    const started = Date.now();
    let opened: Awaited<ReturnType<typeof open>> | undefined;
    const opening = open(srv.url, { cacheDir: dir, cacheFallbackAfterMs: 100, onError: (e) => errors.push(e) }, { initTimeoutMs: 2000 }).then((o) => (opened = o));
    await waitFor(() => srv.requests.length === 2, undefined, 'the slow request');
    await vi.advanceTimersByTimeAsync(100);
    await waitFor(() => opened !== undefined, undefined, 'the client to start from the cache');
    await opening;
    const { client, source } = opened!;
    // Served at the cacheFallbackAfterMs deadline, before the host answered and long before initTimeoutMs.
    expect(Date.now() - started).toBe(100);
    expect(client.get('support-agent').version).toBe(2);
    expect(source.status().fromCache).toBe(true);
    expect(errors[0]?.message).toMatch(/No response from .* within 100 ms \(cacheFallbackAfterMs\): serving the disk cache/);
    const changed = new Promise((resolve) => client.on('change', resolve));
    await vi.advanceTimersByTimeAsync(300);
    await changed;
    expect(client.get('support-agent').version).toBe(1);
    expect(client.status().revision).toBe(revisionB);
    expect(source.status()).toMatchObject({ fromCache: false, consecutiveFailures: 0 });
    // The late response was delivered as is: no second request was needed.
    expect(srv.requests).toHaveLength(2);
  });

  it('should wait for the network when there is no cache yet', async () => {
    const dir = await tempDir();
    const srv = await server(A);
    srv.respond((_q, res, body) => {
      setTimeout(() => res.writeHead(200).end(body), 200);
    });
    vi.useFakeTimers(FAKE_TIMERS);
    let opened: Awaited<ReturnType<typeof open>> | undefined;
    const opening = open(srv.url, { cacheDir: dir, cacheFallbackAfterMs: 20 }).then((o) => (opened = o));
    await waitFor(() => srv.requests.length === 1, undefined, 'the slow request');
    // Past cacheFallbackAfterMs (20 ms) with no cache to fall back on, the load waits for the network (200 ms).
    await vi.advanceTimersByTimeAsync(200);
    await opening;
    expect(opened!.client.status().revision).toBe(revisionA);
  });

  it('should validate the cache whole and refuse a tampered one, saying so when the host is down too', async () => {
    const dir = await tempDir();
    const srv = await startRegistryServer(A);
    await warm(srv.url, dir);
    await srv.close();
    const file = registryCacheFile(dir, srv.url);
    await writeFile(file, (await readFile(file, 'utf8')).replace('support agent for Acme', 'support agent for Evil'));
    const err = await errorOf(PromptClient.create({ source: createUrlSource(srv.url, { cacheDir: dir }), environment: 'staging' }));
    expect(err?.code).toBe(ErrorCode.SOURCE_LOAD_FAILED);
    expect(err?.message).toContain('cannot reach the host');
    expect(err?.message).toMatch(/The disk cache could not stand in either: .*is unusable: the registry it holds is not the one the source wrote \(digest mismatch\)/s);

    const { client } = await open(srv.url, { cacheDir: dir, onError: () => {} }, { fallbacks: { 'support-agent': '---\nmodel: m\n---\nHello.' }, onError: () => {} });
    expect(client.get('support-agent').slice).toBe('fallback');
  });

  it("should keep a signed URL's query string out of the cache file and make the file private (0600)", async () => {
    const dir = await tempDir();
    const secret = 'X-Amz-Signature=5ec2e7deadbeef';
    const srv = await server(A, `/registry.json?${secret}`);
    expect(srv.url).toContain(secret);
    await warm(srv.url, dir);
    const file = registryCacheFile(dir, srv.url);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('5ec2e7deadbeef');
    expect(text).not.toContain('X-Amz-Signature');
    const cached = JSON.parse(text) as Record<string, unknown>;
    expect(cached['url']).toBe(srv.url.replace(`?${secret}`, '?…'));
    expect(cached['urlSha256']).toBe(createHash('sha256').update(srv.url).digest('hex'));
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
    // It still serves that very URL when the host is down.
    await srv.close();
    const { client } = await open(srv.url, { cacheDir: dir, onError: () => {} });
    expect(client.status().revision).toBe(revisionA);
  });

  it('should refuse a cache written for the same path with another query string (the redacted URLs are equal)', async () => {
    const dir = await tempDir();
    const srv = await startRegistryServer(A, '/registry.json?sig=one');
    await warm(srv.url, dir);
    await srv.close();
    const other = srv.url.replace('sig=one', 'sig=two');
    await copyFile(registryCacheFile(dir, srv.url), registryCacheFile(dir, other));
    const err = await errorOf(createUrlSource(other, { cacheDir: dir }).load());
    expect(err?.message).toMatch(/Registry cache .* is unusable: it was written for another URL\. Delete it/);
  });

  it('should refuse a cache file of format 1 (it stored the full URL)', async () => {
    const dir = await tempDir();
    const srv = await startRegistryServer(A);
    await warm(srv.url, dir);
    await srv.close();
    const file = registryCacheFile(dir, srv.url);
    await writeFile(file, (await readFile(file, 'utf8')).replace('"promptpinRegistryCache":3', '"promptpinRegistryCache":1'));
    const err = await errorOf(createUrlSource(srv.url, { cacheDir: dir }).load());
    expect(err?.message).toMatch(/Registry cache .* is unusable: cache format 1 is not 3\. Delete it/);
  });

  it('should refuse a cache file written for another URL', async () => {
    const dir = await tempDir();
    const srv = await startRegistryServer(A);
    await warm(srv.url, dir);
    await srv.close();
    const other = srv.url.replace('/registry.json', '/other.json');
    await copyFile(registryCacheFile(dir, srv.url), registryCacheFile(dir, other));
    const err = await errorOf(createUrlSource(other, { cacheDir: dir }).load());
    expect(err?.message).toMatch(/Registry cache .* is unusable: it was written for another URL\. Delete it/);
  });
});

describe('readRegistryCacheText: bounded reads', () => {
  it('should refuse a cache file larger than maxBytes plus the wrapper overhead without returning it', async () => {
    const dir = await tempDir();
    const file = join(dir, 'big.json');
    await writeFile(file, Buffer.alloc(1000 + REGISTRY_CACHE_OVERHEAD_BYTES + 1, 0x20));
    const err = await errorOf(readRegistryCacheText(file, 1000));
    expect(err?.code).toBe(ErrorCode.SOURCE_LOAD_FAILED);
    expect(err?.message.replace(dir, '<dir>')).toMatchInlineSnapshot(
      `"Registry cache <dir>/big.json is 66537 bytes, more than maxBytes 1000 (plus 65536 for the wrapper). Delete it or raise maxBytes."`,
    );
    await writeFile(file, Buffer.alloc(1000 + REGISTRY_CACHE_OVERHEAD_BYTES, 0x20));
    expect(await readRegistryCacheText(file, 1000)).toHaveLength(1000 + REGISTRY_CACHE_OVERHEAD_BYTES);
  });

  it.skipIf(process.platform === 'win32')('should refuse a FIFO at the cache path (stat reports size 0) instead of reading it to its end', async () => {
    const dir = await tempDir();
    const fifo = join(dir, 'promptpin-registry-fifo.json');
    execFileSync('mkfifo', [fifo]);
    // A writer pushing far more than the limit: an unbounded read would return all of it.
    const writer: ChildProcess = spawn('sh', ['-c', 'head -c 300000 /dev/zero > "$1"', 'sh', fifo], { stdio: 'ignore' });
    cleanups.push(async () => {
      if (writer.exitCode === null && writer.signalCode === null) {
        const exited = new Promise((resolve) => writer.once('exit', resolve));
        writer.kill('SIGKILL');
        await exited;
      }
    });
    const err = await errorOf(readRegistryCacheText(fifo, 1000));
    expect(err?.code).toBe(ErrorCode.SOURCE_LOAD_FAILED);
    expect(err?.message).toMatch(/is not a regular file\. Remove it/);
  });
});

describe('createUrlSource: first load without a cache', () => {
  it("should deliver a registry that arrives after the client's initTimeoutMs without waiting for the next poll", async () => {
    const srv = await server(A);
    srv.respond((_q, res, body) => {
      setTimeout(() => res.writeHead(200).end(body), 300);
    });
    vi.useFakeTimers(FAKE_TIMERS);
    const opening = open(
      srv.url,
      { pollIntervalMs: 60_000 },
      { initTimeoutMs: 50, fallbacks: { 'support-agent': '---\nmodel: m\n---\nHello.' }, onError: () => {} },
    );
    await waitFor(() => srv.requests.length === 1, undefined, 'the slow request');
    await vi.advanceTimersByTimeAsync(50);
    const { client } = await opening;
    expect(client.get('support-agent').slice).toBe('fallback');
    const changed = new Promise((resolve) => client.on('change', resolve));
    await vi.advanceTimersByTimeAsync(250);
    await changed;
    expect(client.get('support-agent')).toMatchObject({ version: 2, slice: 'stable' });
    expect(srv.requests).toHaveLength(1);
  });
});
