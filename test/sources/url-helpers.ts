import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { PromptClient } from '../../src/client.js';
import { compileFolder, registryToJson } from '../../src/registry/registry.js';
import { readFolder } from '../../src/sources/folder-source.js';

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
    const seen: SeenRequest = { at: performance.now(), headers: req.headers, status: null };
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

/** Resolves when `predicate()` holds, polling every 5 ms; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Calls `client.get(name)` in batches of 100 (yielding between batches so fetches and polls run)
 * until `done()` holds or `timeoutMs` passes. Any throw from `get` fails the caller. Returns the
 * versions served and how many calls were made.
 */
export async function getWhile(client: PromptClient, name: string, done: () => boolean, timeoutMs: number): Promise<{ calls: number; versions: Set<number> }> {
  const deadline = performance.now() + timeoutMs;
  const versions = new Set<number>();
  let calls = 0;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms while calling get`);
    for (let i = 0; i < 100; i++) versions.add(client.get(name).version);
    calls += 100;
    await new Promise((r) => setImmediate(r));
  }
  return { calls, versions };
}
