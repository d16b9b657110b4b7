import { readdir, rm, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.js';
import { PromptClient, isPromptError, parseCompiledRegistry } from '../../src/node.js';
import { GREET_V1, GREET_V2, promptFile, writeFolder } from '../support/folders.js';
import { parsePromptFile } from '../../src/registry/prompt-file.js';
import { formatLock } from '../../src/registry/lock.js';

const V3 = promptFile({ variables: '  who: string', body: 'Third: {{who}}.\n' });

/** greet v1 (archived), v2 stable, v3 archived; all locked. */
async function folder(): Promise<string> {
  const texts: Record<number, string> = { 1: GREET_V1, 2: GREET_V2, 3: V3 };
  const hashes = new Map<number, string>();
  for (const [v, t] of Object.entries(texts)) {
    const p = parsePromptFile(t, 'greet', Number(v), `greet/${v}.prompt`);
    if (!p.ok) throw new Error('bad fixture');
    hashes.set(Number(v), p.version.hash);
  }
  return writeFolder({
    'greet/1.prompt': GREET_V1,
    'greet/2.prompt': GREET_V2,
    'greet/3.prompt': V3,
    'promptpin.yaml': 'environments:\n  production:\n    greet:\n      stable: 2\n',
    'promptpin.lock': formatLock(new Map([['greet', hashes]])),
  });
}

async function build(dir: string, out: string): Promise<{ code: number; out: string; err: string }> {
  let o = '';
  let e = '';
  const code = await main(['build', '--dir', dir, '-o', out], { out: (t) => (o += t), err: (t) => (e += t), readStdin: async () => '', env: {}, cwd: dir, now: () => new Date(0) });
  return { code, out: o, err: e };
}

describe('compiled index (promptpin build -o dir/)', () => {
  it('should write an index with live versions inline and archived versions as content-addressed files', async () => {
    const dir = await folder();
    const r = await build(dir, 'dist-registry/');
    expect(r.code, r.err).toBe(0);
    const index = JSON.parse(await readFile(join(dir, 'dist-registry', 'registry.json'), 'utf8')) as { schemaVersion: number; prompts: { greet: { hashes: string[]; live: Record<string, unknown> } } };
    expect(index.schemaVersion).toBe(2);
    expect(Object.keys(index.prompts.greet.live)).toEqual(['2']);
    expect(index.prompts.greet.hashes).toHaveLength(3);
    const files = (await readdir(join(dir, 'dist-registry', 'versions'))).sort();
    expect(files).toEqual([index.prompts.greet.hashes[0], index.prompts.greet.hashes[2]].map((h) => `${h!.slice(7)}.json`).sort());
  });

  it('should throw VERSION_NOT_LOADED synchronously for an archived version, and serve it after preload', async () => {
    const dir = await folder();
    await build(dir, 'out/');
    const client = await PromptClient.create({ source: join(dir, 'out', 'registry.json'), watch: false });
    try {
      expect(client.get('greet', 'u1').version).toBe(2);
      let caught: unknown;
      try {
        client.get('greet', 'u1', { version: 1 });
      } catch (err) {
        caught = err;
      }
      expect(isPromptError(caught) && caught.code).toBe('VERSION_NOT_LOADED');
      expect((caught as Error).message).toMatchInlineSnapshot(`"Prompt "greet" v1 is archived (live in no release) and not loaded: a client loads only live versions at start. Call await client.preload("greet", [1]) before serving it (it loads and verifies the version against the lock)."`);
      expect(() => client.get('greet', 'u1', { version: 9 })).toThrow(expect.objectContaining({ code: 'VERSION_NOT_FOUND' }) as Error);
      await client.preload('greet', [1, 3]);
      const p = client.get('greet', 'u1', { version: 1 });
      expect(p.version).toBe(1);
      expect(p.render({ who: 'Ann' })).toBeTruthy();
      expect(client.get('greet', 'u1', { version: 3 }).version).toBe(3);
      await expect(client.preload('greet', [9])).rejects.toMatchObject({ code: 'VERSION_NOT_FOUND' });
    } finally {
      await client.close();
    }
  });

  it('should report a deleted or edited archived file from preload with a typed error', async () => {
    const dir = await folder();
    await build(dir, 'out/');
    const indexFile = join(dir, 'out', 'registry.json');
    const index = JSON.parse(await readFile(indexFile, 'utf8')) as { prompts: { greet: { hashes: string[] } } };
    const [h1, , h3] = index.prompts.greet.hashes;
    await rm(join(dir, 'out', 'versions', `${h1!.slice(7)}.json`));
    // v3's file rewritten with other (valid) content: the hash check must refuse it.
    const other = JSON.parse(await readFile(join(dir, 'out', 'versions', `${h3!.slice(7)}.json`), 'utf8')) as Record<string, unknown>;
    await writeFile(join(dir, 'out', 'versions', `${h3!.slice(7)}.json`), JSON.stringify({ ...other, template: 'Tampered: {{who}}.\n' }));
    const client = await PromptClient.create({ source: indexFile, watch: false });
    try {
      await expect(client.preload('greet', [1])).rejects.toMatchObject({ code: 'VERSION_IMMUTABLE', name: 'RegistryError' });
      await expect(client.preload('greet', [3])).rejects.toMatchObject({ code: 'VERSION_IMMUTABLE' });
      expect(() => client.get('greet', 'u', { version: 3 })).toThrow(expect.objectContaining({ code: 'VERSION_NOT_LOADED' }) as Error);
      expect(client.get('greet', 'u').version).toBe(2);
    } finally {
      await client.close();
    }
  });

  it('should refuse an index whose revision or inline version was edited', async () => {
    const dir = await folder();
    await build(dir, 'out/');
    const index = JSON.parse(await readFile(join(dir, 'out', 'registry.json'), 'utf8')) as { revision: string; prompts: { greet: { live: Record<string, { template: string }> } } };
    expect(() => parseCompiledRegistry({ ...index, revision: `sha256:${'0'.repeat(64)}` })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }) as Error);
    index.prompts.greet.live['2']!.template = 'Edited {{who}} {{tone}}';
    expect(() => parseCompiledRegistry(index)).toThrow(expect.objectContaining({ code: 'VERSION_IMMUTABLE' }) as Error);
  });

  it('should still load an old single-file registry (schemaVersion 1) with every version loaded', async () => {
    const dir = await folder();
    const r = await build(dir, 'registry.json');
    expect(r.code, r.err).toBe(0);
    const client = await PromptClient.create({ source: join(dir, 'registry.json'), watch: false });
    try {
      expect(client.get('greet', 'u', { version: 1 }).version).toBe(1);
      await client.preload('greet', [1, 3]);
    } finally {
      await client.close();
    }
  });
});
