import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PromptClient } from '../../src/client.js';
import { createUrlSource, type UrlSource } from '../../src/sources/url-source.js';
import { exampleRegistries, startRegistryServer, waitFor, type RegistryServer } from './url-helpers.js';

let A: string;
let B: string;
let revisionB: string;
beforeAll(async () => {
  ({ a: A, b: B, revisionB } = await exampleRegistries());
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(body: string): Promise<RegistryServer> {
  const s = await startRegistryServer(body);
  cleanups.push(() => s.close());
  return s;
}

describe('createUrlSource: a fleet of clients', () => {
  it('should flip 20 clients within one poll interval (+jitter), each on its first request after the flip', async () => {
    const POLL = 200;
    const JITTER = 0.1;
    const srv = await server(A);
    const clients: PromptClient[] = [];
    for (let i = 0; i < 20; i++) {
      const source = createUrlSource(srv.url, { pollIntervalMs: POLL, jitter: JITTER, headers: { 'x-instance': String(i) } });
      const client = await PromptClient.create({ source, environment: 'staging' });
      cleanups.push(() => client.close());
      clients.push(client);
    }
    // Let the fleet poll a while: everyone is on 304s.
    await waitFor(() => srv.requests.length >= 50, 5000, 'the fleet to poll');
    expect(clients.every((c) => c.get('support-agent').version === 2)).toBe(true);

    const flippedAt: (number | undefined)[] = new Array(20).fill(undefined);
    clients.forEach((c, i) => c.on('change', () => (flippedAt[i] ??= performance.now())));
    const t0 = performance.now();
    const firstAfter = srv.requests.length;
    srv.set(B);
    await waitFor(() => flippedAt.every((t) => t !== undefined), 3000, 'every client to flip');

    const lags = flippedAt.map((t) => t! - t0);
    // One poll interval plus its jitter, plus room for one request and parse on a busy 2-core box;
    // two intervals (a missed poll) would take at least 360 ms.
    expect(Math.max(...lags)).toBeLessThan(POLL * (1 + JITTER) + 120);
    for (const c of clients) expect(c.get('support-agent').version).toBe(1);
    for (const c of clients) expect(c.status().revision).toBe(revisionB);
    // Each instance's first request after the flip carried the new registry.
    const after = srv.requests.slice(firstAfter);
    for (let i = 0; i < 20; i++) {
      const mine = after.filter((r) => r.headers['x-instance'] === String(i));
      expect(mine[0]?.status, `instance ${i}`).toBe(200);
    }
    // Before the flip the fleet was answered 304, conditional on the ETag.
    const before = srv.requests.slice(20, firstAfter).filter((r) => r.status !== null);
    expect(before.every((r) => r.status === 304 && typeof r.headers['if-none-match'] === 'string')).toBe(true);
  });

  it('should back off exponentially while the host fails, up to maxBackoffMs, and reset on success', async () => {
    const srv = await server(A);
    const source: UrlSource = createUrlSource(srv.url, { pollIntervalMs: 25, jitter: 0, maxBackoffMs: 400 });
    const client = await PromptClient.create({ source, environment: 'staging', onError: () => {} });
    cleanups.push(() => client.close());
    await waitFor(() => srv.requests.length >= 3, 2000, 'steady polling');

    srv.respond((_q, res) => res.writeHead(500).end());
    const failStart = srv.requests.length;
    await waitFor(() => srv.requests.length >= failStart + 6, 5000, 'six failed polls');
    const failed = srv.requests.slice(failStart, failStart + 6).map((r) => r.at);
    const gaps = failed.slice(1).map((t, i) => t - failed[i]!);
    // After n failures the delay is min(400, 25 × 2^n): 50, 100, 200, 400, 400.
    const expected = [50, 100, 200, 400, 400];
    gaps.forEach((gap, i) => {
      expect(gap, `gap ${i}`).toBeGreaterThanOrEqual(expected[i]! - 2);
      expect(gap, `gap ${i}`).toBeLessThan(expected[i]! + 100);
    });
    // The server logs a request when it arrives; the source counts the failure once the response is read.
    await waitFor(() => source.status().consecutiveFailures >= 6, 2000, 'six failures counted');
    expect(source.status().nextPollAt).not.toBeNull();

    srv.respond(undefined);
    await waitFor(() => source.status().consecutiveFailures === 0, 2000, 'recovery');
    const recovered = srv.requests.length;
    await waitFor(() => srv.requests.length >= recovered + 2, 2000, 'polling at the normal interval');
    const [r1, r2] = srv.requests.slice(recovered - 1, recovered + 1).map((r) => r.at);
    expect(r2! - r1!).toBeLessThan(25 + 100);
  });

  it('should stop polling and abort the request in flight on close()', async () => {
    const srv = await server(A);
    const source = createUrlSource(srv.url, { pollIntervalMs: 20 });
    const client = await PromptClient.create({ source, environment: 'staging' });
    let aborted = false;
    srv.respond((req) => {
      req.socket.on('close', () => (aborted = true));
    });
    await waitFor(() => srv.requests.length >= 2, 2000, 'a hanging poll');
    await client.close();
    await waitFor(() => aborted, 2000, 'the in-flight request to be aborted');
    expect(source.status().nextPollAt).toBeNull();
    const count = srv.requests.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(srv.requests.length).toBe(count);
    await expect(source.load()).rejects.toThrow(/is closed/);
  });
});
