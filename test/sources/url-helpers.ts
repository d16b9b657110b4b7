import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import type { PromptClient } from '../../src/client.js';
import { compileFolder, registryToJson } from '../../src/registry/registry.js';
import { readFolder } from '../../src/sources/folder-source.js';
import type { UrlSource } from '../../src/sources/url-source.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/prompts', import.meta.url));

/** Two compiled registries of examples/prompts: `a` as is, `b` with staging support-agent flipped from v2 to v1. */
export async function exampleRegistries(): Promise<{ a: string; b: string; revisionA: string; revisionB: string }> {
  const files = await readFolder(EXAMPLES);
  const release = files.releaseText ?? '';
  const flipped = release.replace('support-agent: { stable: 2 }', 'support-agent: { stable: 1 }');
  if (flipped === release) throw new Error('examples/prompts/promptpin.yaml changed: update the flip in url-helpers.ts');
  const ra = compileFolder(files);
  const rb = compileFolder({ ...files, releaseText: flipped });
  return { a: JSON.stringify(registryToJson(ra)), b: JSON.stringify(registryToJson(rb)), revisionA: ra.revision, revisionB: rb.revision };
}

/** One request the test server saw. */
export interface SeenRequest {
  /** `Date.now()` when the request arrived (the fake clock under fake timers). */
  readonly at: number;
  readonly headers: IncomingHttpHeaders;
  status: number | null;
}

/** A custom response; return normally after taking over `res` (or leave it hanging). */
export type Responder = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A real node:http server on 127.0.0.1 serving a registry with ETag / Last-Modified / 304. */
export interface RegistryServer {
  readonly url: string;
  readonly port: number;
  readonly requests: SeenRequest[];
  /** Replaces the registry body (new ETag and Last-Modified). */
  set(body: string): void;
  /** Overrides every response until `respond(undefined)`. */
  respond(responder: Responder | undefined): void;
  /** Turn ETag/Last-Modified off (a host without conditional-request support). */
  validators: boolean;
  close(): Promise<void>;
}

/** Starts a {@link RegistryServer} on 127.0.0.1, port 0. */
export async function startRegistryServer(initial: string, path = '/registry.json'): Promise<RegistryServer> {
  let body = initial;
  let etag = '';
  let lastModified = '';
  let responder: Responder | undefined;
  let version = 0;
  const requests: SeenRequest[] = [];
  const set = (next: string): void => {
    body = next;
    etag = `"${createHash('sha256').update(next).digest('hex').slice(0, 16)}"`;
    // Last-Modified has one-second resolution: make every set() distinct.
    lastModified = new Date(Date.UTC(2026, 0, 1) + ++version * 1000).toUTCString();
  };
  set(initial);
  const state = { validators: true };
  const server: Server = createServer((req, res) => {
    const seen: SeenRequest = { at: Date.now(), headers: req.headers, status: null };
    requests.push(seen);
    res.on('finish', () => {
      seen.status = res.statusCode;
    });
    if (responder) {
      seen.status = -1;
      responder(req, res, body);
      return;
    }
    if (req.url !== path) {
      res.writeHead(404).end('not found');
      return;
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (state.validators) {
      headers['etag'] = etag;
      headers['last-modified'] = lastModified;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, headers).end();
        return;
      }
    }
    res.writeHead(200, { ...headers, 'content-length': String(Buffer.byteLength(body)) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    port,
    requests,
    set,
    respond(r) {
      responder = r;
    },
    get validators() {
      return state.validators;
    },
    set validators(v: boolean) {
      state.validators = v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * What `vi.useFakeTimers(FAKE_TIMERS)` fakes in tests that poll a real server: the timers and
 * `Date`, so poll intervals, backoff, deadlines and `now` move only when the test advances them.
 * `setImmediate`, `process.nextTick`, `queueMicrotask` and `performance` stay real, so sockets,
 * streams and promise callbacks run as usual.
 */
export const FAKE_TIMERS = { toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] } satisfies Parameters<typeof vi.useFakeTimers>[0];

/**
 * Resolves when `predicate()` holds, checking after each turn of the event loop (setImmediate, so
 * it works under fake timers too: the fake clock stands still meanwhile). It waits for real I/O
 * only; `timeoutMs` (real time, generous) just turns a hang into a readable failure.
 */
export async function waitFor(predicate: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms (real time) waiting for ${what}`);
    await nextTurn();
  }
}

/** URL sources that are idle: each is waiting for its poll timer, with no request in flight. */
export const idle =
  (...sources: readonly UrlSource[]): (() => boolean) =>
  () =>
    sources.every((s) => s.status().nextPollAt !== null);

/** Fake-clock granularity of {@link advance}, in ms. */
export const STEP = 5;

/**
 * Advances the fake clock by `ms`, {@link STEP} ms at a time; after each step waits (real time)
 * until `settled()` holds, i.e. the requests the fired timers started have completed. The network
 * takes no fake time: a response is handled at most one step after its request was sent.
 */
export async function advance(ms: number, settled: () => boolean): Promise<void> {
  for (let t = 0; t < ms; t += STEP) {
    await vi.advanceTimersByTimeAsync(Math.min(STEP, ms - t));
    await waitFor(settled, undefined, 'the requests in flight to complete');
  }
}

/** {@link advance} until `done()` holds; fails after `maxMs` of fake time. Returns the fake ms advanced. */
export async function advanceUntil(done: () => boolean, settled: () => boolean, maxMs: number, what = 'condition'): Promise<number> {
  let waited = 0;
  while (!done()) {
    if (waited >= maxMs) throw new Error(`not reached after ${maxMs} ms of fake time: ${what}`);
    await advance(STEP, settled);
    waited += STEP;
  }
  return waited;
}

/**
 * The global fetch, counting what went over the wire: requests sent, and body bytes of the latest
 * response handed to the source. Lets a test on a fake clock tell a request that is stuck (sent,
 * arrived, its bytes read, nothing more coming) from one that is still being transferred.
 */
export function wireFetch(): { readonly fetch: typeof globalThis.fetch; readonly sent: () => number; readonly received: () => number } {
  let sent = 0;
  let received = 0;
  return {
    sent: () => sent,
    received: () => received,
    fetch: async (input, init) => {
      sent++;
      received = 0;
      const res = await globalThis.fetch(input, init);
      if (res.body === null) return res;
      const counted = res.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            received += chunk.byteLength;
            controller.enqueue(chunk);
          },
        }),
      );
      return new Response(counted, { status: res.status, statusText: res.statusText, headers: res.headers });
    },
  };
}

/**
 * On a fake clock: calls `client.get(name)` in batches of 100 and advances the
 * clock one {@link STEP} between batches (waiting for `settled()`), until `done()` holds or
 * `maxMs` of fake time passed.
 */
export async function getWhileAdvancing(client: PromptClient, name: string, done: () => boolean, settled: () => boolean, maxMs = 10_000): Promise<{ calls: number; versions: Set<number> }> {
  const versions = new Set<number>();
  let calls = 0;
  for (let waited = 0; ; waited += STEP) {
    for (let i = 0; i < 100; i++) versions.add(client.get(name).version);
    calls += 100;
    if (done()) return { calls, versions };
    if (waited >= maxMs) throw new Error(`not done after ${maxMs} ms of fake time while calling get`);
    await advance(STEP, settled);
  }
}
