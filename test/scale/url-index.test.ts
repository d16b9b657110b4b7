import { createServer, type Server } from 'node:http';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.js';
import { PromptClient } from '../../src/node.js';
import { parsePromptFile } from '../../src/registry/prompt-file.js';
import { formatLock } from '../../src/registry/lock.js';
import { GREET_V1, GREET_V2, writeFolder } from '../support/folders.js';

let server: Server;
let base = '';
const requests: string[] = [];
let out = '';

beforeAll(async () => {
  const hashes = new Map<number, string>();
  for (const [v, t] of [[1, GREET_V1], [2, GREET_V2]] as const) {
    const p = parsePromptFile(t, 'greet', v, `greet/${v}.prompt`);
    if (!p.ok) throw new Error('bad fixture');
    hashes.set(v, p.version.hash);
  }
  const dir = await writeFolder({ 'greet/1.prompt': GREET_V1, 'greet/2.prompt': GREET_V2, 'promptpin.yaml': 'environments:\n  production:\n    greet:\n      stable: 2\n', 'promptpin.lock': formatLock(new Map([['greet', hashes]])) });
  out = join(dir, 'site');
  const code = await main(['build', '--dir', dir, '-o', 'site/'], { out: () => {}, err: () => {}, readStdin: async () => '', env: {}, cwd: dir, now: () => new Date(0) });
  expect(code).toBe(0);
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    readFile(join(out, (req.url ?? '/').slice(1))).then(
      (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('URL client on a compiled index', () => {
  it('should fetch an archived version on preload, verify it, and serve it from the disk cache after', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'promptpin-cache-'));
    requests.length = 0;
    const client = await PromptClient.create({ source: `${base}/registry.json`, watch: false, cacheDir });
    try {
      expect(client.get('greet', 'u').version).toBe(2);
      expect(() => client.get('greet', 'u', { version: 1 })).toThrow(expect.objectContaining({ code: 'VERSION_NOT_LOADED' }) as Error);
      expect(requests.filter((r) => r.startsWith('/versions/'))).toHaveLength(0);
      await client.preload('greet', [1]);
      expect(client.get('greet', 'u', { version: 1 }).version).toBe(1);
      expect(requests.filter((r) => r.startsWith('/versions/'))).toHaveLength(1);
    } finally {
      await client.close();
    }
    expect(await readdir(join(cacheDir, 'promptpin-versions'))).toHaveLength(1);
    // A second client finds the version in the disk cache: no request for it.
    requests.length = 0;
    const again = await PromptClient.create({ source: `${base}/registry.json`, watch: false, cacheDir });
    try {
      await again.preload('greet', [1]);
      expect(requests.filter((r) => r.startsWith('/versions/'))).toHaveLength(0);
    } finally {
      await again.close();
    }
  });
});
