/**
 * Issue 9, item 7: URL polling stopped for good when one step of a poll hung: the next poll is
 * scheduled when a request settles, and a `headers()` function (or a fetch, or a body stream)
 * that ignores the abort signal never settled. The request deadline now covers every awaited
 * step. Real node:http server on 127.0.0.1; fake setTimeout, so the deadline and the poll
 * interval pass without waiting.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorCode, type PromptError } from '../../src/errors.js';
import type { Registry } from '../../src/registry/types.js';
import { createUrlSource, type UrlFetchResult, type UrlSource } from '../../src/sources/url-source.js';
import { exampleRegistries, startRegistryServer, type RegistryServer } from '../sources/url-helpers.js';

let A: string;
let B: string;
let revisionB: string;
beforeAll(async () => {
  ({ a: A, b: B, revisionB } = await exampleRegistries());
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Lets real I/O (sockets) and microtasks run; setImmediate is not faked. */
async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** Advances fake time in steps, letting real I/O run between them, until `done()` holds. */
async function until(done: () => boolean, what: string, stepMs = 50, maxSteps = 400): Promise<void> {
  for (let i = 0; i < maxSteps; i++) {
    if (done()) return;
    await vi.advanceTimersByTimeAsync(stepMs);
    await settle();
  }
  throw new Error(`never happened: ${what}`);
}

/** A source whose watch listener reloads the way the client does. */
function polling(server: RegistryServer, headers: () => Promise<Record<string, string>> | Record<string, string>, extra: Parameters<typeof createUrlSource>[1] = {}) {
  const fetches: UrlFetchResult[] = [];
  const loaded: Registry[] = [];
  const failed: PromptError[] = [];
  const source: UrlSource = createUrlSource(server.url, { pollIntervalMs: 1000, jitter: 0, requestTimeoutMs: 500, headers, onFetch: (r) => fetches.push(r), ...extra });
  cleanups.push(() => source.close());
  const reload = (): void => {
    source.load().then(
      (r) => loaded.push(r),
      (e: PromptError) => failed.push(e),
    );
  };
  return { source, fetches, loaded, failed, reload };
}

describe('URL source: the request deadline covers every step of a poll', () => {
  it('should time out a headers() that never resolves once, and poll again and succeed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const server = await startRegistryServer(A);
    cleanups.push(() => server.close());
    let calls = 0;
    const { source, fetches, loaded, failed, reload } = polling(server, () => {
      calls++;
      // The second request's headers (the first poll) hang forever.
      return calls === 2 ? new Promise<Record<string, string>>(() => {}) : { authorization: 'Bearer t' };
    });
    reload();
    await until(() => loaded.length === 1, 'the first load');
    source.watch!(reload);
    server.set(B);
    await until(() => failed.length === 1, 'the hung poll to time out');
    expect(failed[0]!.code).toBe(ErrorCode.SOURCE_LOAD_FAILED);
    expect(failed[0]!.message).toMatch(/no complete response within 500 ms \(requestTimeoutMs; waiting for the headers function\)/);
    expect(server.requests).toHaveLength(1);
    // The next poll still happens (after backoff) and succeeds with the new registry.
    await until(() => loaded.length === 2, 'the next poll');
    expect(loaded[1]!.revision).toBe(revisionB);
    expect(source.status()).toMatchObject({ consecutiveFailures: 0, lastError: null, revision: revisionB });
    expect(fetches.map((f) => f.outcome)).toEqual(['updated', 'failed', 'updated']);
    expect(server.requests[1]!.headers.authorization).toBe('Bearer t');
  });

  it('should time out a custom fetch that ignores the abort signal, and keep polling', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const server = await startRegistryServer(A);
    cleanups.push(() => server.close());
    let n = 0;
    const deaf: typeof fetch = (input, init) => (++n === 2 ? new Promise<Response>(() => {}) : fetch(input, { ...init, signal: null }));
    const { source, loaded, failed, reload } = polling(server, () => ({}), { fetch: deaf });
    reload();
    await until(() => loaded.length === 1, 'the first load');
    source.watch!(reload);
    await until(() => failed.length === 1, 'the hung fetch to time out');
    expect(failed[0]!.message).toMatch(/waiting for the response headers/);
    await until(() => loaded.length === 2, 'the next poll');
    expect(source.status().consecutiveFailures).toBe(0);
  });

  it('should time out a body whose stream ignores the abort signal, and keep polling', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const server = await startRegistryServer(A);
    cleanups.push(() => server.close());
    let n = 0;
    const stalling: typeof fetch = async (input, init) => {
      if (++n !== 2) return fetch(input, init);
      // Half a body, then nothing, from a stream that knows nothing of the signal.
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode(A.slice(0, 10)));
        },
      });
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const { source, loaded, failed, reload } = polling(server, () => ({}), { fetch: stalling });
    reload();
    await until(() => loaded.length === 1, 'the first load');
    source.watch!(reload);
    await until(() => failed.length === 1, 'the stalled body to time out');
    expect(failed[0]!.message).toMatch(/requestTimeoutMs; after 10 body bytes/);
    await until(() => loaded.length === 2, 'the next poll');
    expect(source.status().consecutiveFailures).toBe(0);
  });

  it('should let close() settle a load stuck in headers()', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const server = await startRegistryServer(A);
    cleanups.push(() => server.close());
    const { source, failed, reload } = polling(server, () => new Promise<Record<string, string>>(() => {}));
    reload();
    await settle();
    await source.close();
    await settle();
    expect(failed).toHaveLength(1);
    expect(failed[0]!.message).toMatch(/is closed/);
  });
});
