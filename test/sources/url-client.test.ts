import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PromptClient, type PromptClientOptions } from '../../src/client.js';
import { ErrorCode, type PromptError } from '../../src/errors.js';
import { advanceUntil, exampleRegistries, FAKE_TIMERS, startRegistryServer, waitFor, type RegistryServer } from './url-helpers.js';

// These tests cover `source: 'http(s)://…'` in PromptClient.create. They switch themselves on once
// src/client.ts builds URL sources from strings (until then it throws "not available in this build").
const wired = await PromptClient.create({ source: 'https://127.0.0.1:1/registry.json', initTimeoutMs: 1, fallbacks: { x: '---\nmodel: m\n---\nx' }, onError: () => {} }).then(
  async (c) => {
    await c.close();
    return true;
  },
  (err: PromptError) => !/not available in this build/.test(err.message),
);

let A: string;
let revisionA: string;
beforeAll(async () => {
  ({ a: A, revisionA } = await exampleRegistries());
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  vi.useRealTimers();
});

// Typed loosely so this file compiles before and after the client gains its URL options.
type Options = Omit<PromptClientOptions, 'source'> & { source: string; pollIntervalMs?: number; cacheDir?: string; http?: Record<string, unknown> };
const open = (options: Options): Promise<PromptClient> => PromptClient.create(options as PromptClientOptions);
const statusOf = (c: PromptClient): Record<string, unknown> => c.status() as unknown as Record<string, unknown>;

async function create(options: Options): Promise<PromptClient> {
  const c = await open(options);
  cleanups.push(() => c.close());
  return c;
}

async function server(body: string): Promise<RegistryServer> {
  const s = await startRegistryServer(body);
  cleanups.push(() => s.close());
  return s;
}

describe.skipIf(!wired)('PromptClient with a URL string source', () => {
  it('should poll at pollIntervalMs and pass http options through', async () => {
    const srv = await server(A);
    vi.useFakeTimers(FAKE_TIMERS);
    const c = await create({ source: srv.url, environment: 'staging', pollIntervalMs: 20, http: { headers: { authorization: 'Bearer t' } } });
    // The client's source is internal: the clock moves once the server has answered every request.
    await advanceUntil(() => srv.requests.length >= 3, () => srv.requests.every((r) => r.status !== null), 1000, 'polls');
    expect(srv.requests.every((r) => r.headers['authorization'] === 'Bearer t')).toBe(true);
    expect(statusOf(c)).toMatchObject({ source: `url ${srv.url}`, revision: revisionA, fromCache: false, consecutiveFailures: 0, fetchedAt: expect.any(Number) });
  });

  it('should refuse plain http: to a non-loopback host at create', async () => {
    await expect(PromptClient.create({ source: 'http://prompts.example.com/registry.json' })).rejects.toMatchObject({ code: ErrorCode.INVALID_OPTIONS });
  });

  it("should start from cacheDir while the host is down, report why through onError, and show it in status()", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'promptpin-url-client-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const srv = await startRegistryServer(A);
    const warm = await open({ source: srv.url, environment: 'staging', cacheDir: dir });
    const fetchedAt = statusOf(warm)['fetchedAt'];
    await warm.close();
    await srv.close();
    const errors: PromptError[] = [];
    const c = await create({ source: srv.url, environment: 'staging', cacheDir: dir, onError: (e) => errors.push(e) });
    expect(c.get('support-agent').version).toBe(2);
    expect(statusOf(c)).toMatchObject({ revision: revisionA, fromCache: true, fetchedAt, consecutiveFailures: 1, lastError: null, fetchAgeMs: expect.any(Number) });
    expect(errors.map((e) => e.code)).toEqual([ErrorCode.SOURCE_LOAD_FAILED]);
    expect(errors[0]!.message).toContain('Serving the disk cache instead');
  });

  it('should serve the cache after half of initTimeoutMs when the host hangs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'promptpin-url-client-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const srv = await server(A);
    await (await open({ source: srv.url, cacheDir: dir })).close();
    srv.respond(() => {});
    // On a fake clock: the cache must serve at 200 ms (half of initTimeoutMs), before the 400 ms timeout.
    vi.useFakeTimers(FAKE_TIMERS);
    try {
      const started = Date.now();
      let c: PromptClient | undefined;
      const creating = create({ source: srv.url, environment: 'staging', cacheDir: dir, initTimeoutMs: 400, onError: () => {} }).then((x) => (c = x));
      await waitFor(() => srv.requests.length === 2, undefined, 'the hanging request');
      await vi.advanceTimersByTimeAsync(200);
      await waitFor(() => c !== undefined, undefined, 'the client to start from the cache');
      await creating;
      expect(Date.now() - started).toBe(200);
      expect(statusOf(c!)['fromCache']).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
