/**
 * A fleet of clients polling one real node:http server, on a fake clock: poll intervals, jitter,
 * backoff and close() are checked in fake milliseconds (vi fake timers), so the assertions hold
 * exactly on a loaded machine. The network takes no fake time: `advance` waits in real time for
 * each request the fired timers started before it moves the clock again.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { PromptClient } from '../../src/client.js';
import { createUrlSource, type UrlSource } from '../../src/sources/url-source.js';
import { advance, advanceUntil, exampleRegistries, FAKE_TIMERS, idle, startRegistryServer, STEP, waitFor, type RegistryServer } from './url-helpers.js';

let A: string;
let B: string;
let revisionB: string;
beforeAll(async () => {
  ({ a: A, b: B, revisionB } = await exampleRegistries());
});

const cleanups: (() => Promise<void>)[] = [];
beforeEach(() => {
  vi.useFakeTimers(FAKE_TIMERS);
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  vi.useRealTimers();
});

async function server(body: string): Promise<RegistryServer> {
  const s = await startRegistryServer(body);
  cleanups.push(() => s.close());
  return s;
}

/** The global fetch, recording the fake time at which the source sent each request. */
function recordingFetch(): { fetch: typeof globalThis.fetch; sentAt: number[] } {
  const sentAt: number[] = [];
  return {
    sentAt,
    fetch: (input, init) => {
      sentAt.push(Date.now());
      return globalThis.fetch(input, init);
    },
  };
}

describe('createUrlSource: a fleet of clients', () => {
  it('should flip 20 clients within one poll interval (+jitter), each on its first request after the flip', async () => {
    const POLL = 200;
    const JITTER = 0.1;
    const srv = await server(A);
    const clients: PromptClient[] = [];
    const sources: UrlSource[] = [];
    for (let i = 0; i < 20; i++) {
      const source = createUrlSource(srv.url, { pollIntervalMs: POLL, jitter: JITTER, headers: { 'x-instance': String(i) } });
      const client = await PromptClient.create({ source, environment: 'staging' });
      cleanups.push(() => client.close());
      clients.push(client);
      sources.push(source);
    }
    const settled = idle(...sources);
    // Let the fleet poll a while: everyone is on 304s.
    await advanceUntil(() => srv.requests.length >= 50, settled, 10 * POLL, 'the fleet to poll');
    expect(clients.every((c) => c.get('support-agent').version === 2)).toBe(true);

    const flippedAt: (number | undefined)[] = new Array(20).fill(undefined);
    clients.forEach((c, i) => c.on('change', () => (flippedAt[i] ??= Date.now())));
    const t0 = Date.now();
    const firstAfter = srv.requests.length;
    srv.set(B);
    // Every poll timer pending at t0 was set for at most POLL × (1 + JITTER) after it.
    await advance(POLL * (1 + JITTER), settled);

    expect(flippedAt.every((t) => t !== undefined)).toBe(true);
    const lags = flippedAt.map((t) => t! - t0);
    // One poll interval plus its jitter; a missed poll would take two (at least 360 ms).
    expect(Math.max(...lags)).toBeLessThanOrEqual(POLL * (1 + JITTER));
    expect(new Set(lags).size).toBeGreaterThan(1); // jittered: the fleet does not flip in lockstep
    for (const c of clients) expect(c.get('support-agent').version).toBe(1);
    for (const c of clients) expect(c.status().revision).toBe(revisionB);
    const mine = (i: number, from: number, to?: number) => srv.requests.slice(from, to).filter((r) => r.headers['x-instance'] === String(i));
    for (let i = 0; i < 20; i++) {
      // Each instance's first request after the flip carried the new registry.
      expect(mine(i, firstAfter)[0]?.status, `instance ${i}`).toBe(200);
      // Before the flip: the first load (200), then 304s, conditional on the ETag.
      const before = mine(i, 0, firstAfter);
      expect(before[0]?.status, `instance ${i}`).toBe(200);
      expect(before.length, `instance ${i}`).toBeGreaterThan(1);
      expect(before.slice(1).every((r) => r.status === 304 && typeof r.headers['if-none-match'] === 'string'), `instance ${i}`).toBe(true);
    }
  });

  it('should back off exponentially while the host fails, up to maxBackoffMs, and reset on success', async () => {
    const srv = await server(A);
    const { fetch, sentAt } = recordingFetch();
    const source: UrlSource = createUrlSource(srv.url, { pollIntervalMs: 25, jitter: 0, maxBackoffMs: 400, fetch });
    const client = await PromptClient.create({ source, environment: 'staging', onError: () => {} });
    cleanups.push(() => client.close());
    const settled = idle(source);
    await advanceUntil(() => sentAt.length >= 3, settled, 1000, 'steady polling');

    srv.respond((_q, res) => res.writeHead(500).end());
    const failStart = sentAt.length;
    await advanceUntil(() => sentAt.length >= failStart + 6, settled, 5000, 'six failed polls');
    const failed = sentAt.slice(failStart, failStart + 6);
    const gaps = failed.slice(1).map((t, i) => t - failed[i]!);
    // After n failures the delay is min(400, 25 × 2^n): 50, 100, 200, 400, 400.
    const expected = [50, 100, 200, 400, 400];
    gaps.forEach((gap, i) => {
      expect(gap, `gap ${i}`).toBeGreaterThanOrEqual(expected[i]!);
      expect(gap, `gap ${i}`).toBeLessThanOrEqual(expected[i]! + STEP);
    });
    expect(srv.requests.slice(-6).map((r) => r.status)).toEqual([500, 500, 500, 500, 500, 500]); // all six reached the failing host
    expect(source.status().consecutiveFailures).toBe(6);
    expect(source.status().nextPollAt).not.toBeNull();

    srv.respond(undefined);
    await advanceUntil(() => source.status().consecutiveFailures === 0, settled, 1000, 'recovery');
    const recovered = sentAt.length;
    await advanceUntil(() => sentAt.length >= recovered + 2, settled, 1000, 'polling at the normal interval');
    const [r1, r2] = sentAt.slice(recovered - 1, recovered + 1);
    expect(r2! - r1!).toBeGreaterThanOrEqual(25);
    expect(r2! - r1!).toBeLessThanOrEqual(25 + STEP);
  });

  it('should stop polling and abort the request in flight on close()', async () => {
    const srv = await server(A);
    const { fetch, sentAt } = recordingFetch();
    const source = createUrlSource(srv.url, { pollIntervalMs: 20, fetch });
    const client = await PromptClient.create({ source, environment: 'staging' });
    let aborted = false;
    srv.respond((req) => {
      req.socket.on('close', () => (aborted = true));
    });
    // The poll hangs: wait (real time) for it to reach the server instead of for it to settle.
    await advance(20 * 1.1, () => true);
    await waitFor(() => srv.requests.length >= 2, undefined, 'a hanging poll');
    await client.close();
    await waitFor(() => aborted, undefined, 'the in-flight request to be aborted');
    expect(source.status().nextPollAt).toBeNull();
    const sent = sentAt.length;
    const count = srv.requests.length;
    await advance(1000, () => true);
    expect(sentAt.length).toBe(sent);
    expect(srv.requests.length).toBe(count);
    await expect(source.load()).rejects.toThrow(/is closed/);
  });
});
