import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bucketOf, createMemorySource, ErrorCode, isPromptError, PromptClient, PromptError, registryToJson, type RegistryChangeEvent, type Source } from '../../src/index.js';
import { compileFolder, readFolder } from '../../src/authoring.js';
import { GREET_ROLLOUT, GREET_V1, greetFiles, releaseYaml, writeFolder } from '../support/folders.js';

const clients: PromptClient[] = [];
async function create(options: Parameters<typeof PromptClient.create>[0]): Promise<PromptClient> {
  const c = await PromptClient.create(options);
  clients.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

/**
 * Resolves with `probe()` once it is truthy, checking after each turn of the event loop
 * (setImmediate: no timer, so it also runs under fake timers). It waits for reloads and file
 * events, never asserts how long they take; `timeoutMs` (real time, generous) turns a hang into
 * a readable failure.
 */
async function until<T>(probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms (real time)`);
    await nextTurn();
  }
}

function errorOf(fn: () => unknown): PromptError {
  try {
    fn();
  } catch (err) {
    expect(isPromptError(err)).toBe(true);
    return err as PromptError;
  }
  throw new Error('expected a PromptError');
}

describe('PromptClient.get', () => {
  it('should resolve pin → override → rollout bucket → stable', async () => {
    const files = { ...greetFiles(), 'promptpin.yaml': GREET_ROLLOUT.replace('        guards:', '        salt: s1\n        guards:').replace('      rollout:', '      overrides: { qa-1: 2, qa-old: 1 }\n      rollout:') };
    const client = await create({ source: createMemorySource({ files }) });
    expect(client.get('greet', 'qa-1')).toMatchObject({ version: 2, slice: 'override' });
    expect(client.get('greet', 'qa-1', { version: 1 })).toMatchObject({ version: 1, slice: 'pinned' });
    expect(client.get('greet')).toMatchObject({ version: 1, slice: 'stable', rolloutPercent: 10, environment: 'production' });
    let candidates = 0;
    for (let i = 0; i < 2000; i++) {
      const id = `user-${i}`;
      const p = client.get('greet', id);
      const expected = bucketOf('s1', id) < 1000 ? 2 : 1;
      expect(p.version).toBe(expected);
      expect(p.slice).toBe(expected === 2 ? 'candidate' : 'stable');
      if (expected === 2) candidates++;
      expect(client.get('greet', id)).toBe(p);
    }
    expect(candidates).toBeGreaterThan(140);
    expect(candidates).toBeLessThan(260);
  });

  it('should serve stable for a null unit id, and bucket a numeric id as its string', async () => {
    const files = { ...greetFiles(), 'promptpin.yaml': GREET_ROLLOUT.replace('percent: 10', 'percent: 50') };
    const client = await create({ source: createMemorySource({ files }) });
    expect(client.get('greet', null as never).slice).toBe('stable');
    let candidates = 0;
    for (let i = 0; i < 1000; i++) {
      const p = client.get('greet', i as never);
      expect(p.slice).toBe(bucketOf('greet@2', String(i)) < 5000 ? 'candidate' : 'stable');
      if (p.slice === 'candidate') candidates++;
    }
    expect(candidates).toBeGreaterThan(400);
    expect(candidates).toBeLessThan(600);
  });

  it('should return frozen, self-describing prompts', async () => {
    const client = await create({ source: createMemorySource({ files: greetFiles() }) });
    const p = client.get('greet', 'someone');
    expect(Object.isFrozen(p)).toBe(true);
    expect(() => {
      (p as { version: number }).version = 9;
    }).toThrow(TypeError);
    expect(p.hash).toMatch(/^sha256:/);
    expect(p.model).toBe('gpt-4o-mini');
    expect(p.render({ who: 'Ann' })).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say hi to Ann.' },
    ]);
  });

  it('should serve stable to everyone at percent 0 and the candidate at percent 100', async () => {
    const source = createMemorySource({ files: { ...greetFiles(), 'promptpin.yaml': GREET_ROLLOUT.replace('percent: 10', 'percent: 0') } });
    const client = await create({ source });
    for (let i = 0; i < 500; i++) expect(client.get('greet', `u${i}`).version).toBe(1);
    source.set({ files: { ...greetFiles(), 'promptpin.yaml': GREET_ROLLOUT.replace('percent: 10', 'percent: 100') } });
    await until(() => client.get('greet', 'u1').version === 2);
    for (let i = 0; i < 500; i++) expect(client.get('greet', `u${i}`).slice).toBe('candidate');
  });

  it('should throw typed errors for unknown prompts, missing releases and versions, and after close', async () => {
    const files = { ...greetFiles(), 'draft/1.prompt': GREET_V1 };
    const client = await PromptClient.create({ source: createMemorySource({ files }) });
    const notFound = errorOf(() => client.get('gret'));
    expect(notFound.code).toBe(ErrorCode.PROMPT_NOT_FOUND);
    expect(notFound.message).toMatch(/^Prompt "gret" does not exist in registry sha256:[0-9a-f]{8} \(known: greet, draft\)\. Check the name or publish it first\.$/);
    const notReleased = errorOf(() => client.get('draft', 'u'));
    expect(notReleased.code).toBe(ErrorCode.PROMPT_NOT_RELEASED);
    expect(notReleased.message).toMatchInlineSnapshot(`"Prompt "draft" has no release in environment "production". Add one under environments.production.draft in promptpin.yaml (stable: N), or pin a version with { version }."`);
    expect(client.get('draft', 'u', { version: 1 }).slice).toBe('pinned');
    const noVersion = errorOf(() => client.get('greet', 'u', { version: 7 }));
    expect(noVersion.code).toBe(ErrorCode.VERSION_NOT_FOUND);
    expect(noVersion.message).toMatchInlineSnapshot(`"Prompt "greet" has no version 7 (known: 1, 2). Pin an existing version or publish version 7 first."`);
    await client.close();
    await client.close();
    expect(errorOf(() => client.get('greet')).code).toBe(ErrorCode.CLIENT_CLOSED);
    await expect(client.reload()).rejects.toMatchObject({ code: ErrorCode.CLIENT_CLOSED });
  });

  it('should serve the environment it was created for', async () => {
    const files = { ...greetFiles(), 'promptpin.yaml': `${GREET_ROLLOUT}  staging:\n    greet: { stable: 2 }\n` };
    const staging = await create({ source: createMemorySource({ files }), environment: 'staging' });
    expect(staging.get('greet', 'anyone')).toMatchObject({ version: 2, slice: 'stable', environment: 'staging', rolloutPercent: undefined });
  });
});

describe('PromptClient reload', () => {
  it('should swap a valid registry atomically and report what changed', async () => {
    const source = createMemorySource({ files: greetFiles() });
    const client = await create({ source });
    const events: RegistryChangeEvent[] = [];
    const off = client.on('change', (e) => events.push(e));
    const before = client.status().revision;
    source.set({ files: { ...greetFiles(), 'promptpin.yaml': GREET_ROLLOUT.replace('percent: 10', 'percent: 50') } });
    await until(() => events.length === 1);
    expect(events[0]).toEqual({
      previousRevision: before,
      revision: client.status().revision,
      changes: [{ prompt: 'greet', before: { stable: 1, candidate: 2, percent: 10 }, after: { stable: 1, candidate: 2, percent: 50 } }],
    });
    off();
    source.set({ files: { ...greetFiles(), 'promptpin.yaml': releaseYaml('  production:\n    greet: { stable: 2 }\n') } });
    await until(() => client.get('greet', 'x').version === 2);
    expect(events).toHaveLength(1);
    const same = await client.reload();
    expect(same).toMatchObject({ success: true, changed: false });
  });

  it('should keep serving the last good registry when a reload is invalid, and report why', async () => {
    const errors: PromptError[] = [];
    const source = createMemorySource({ files: greetFiles() });
    const client = await create({ source, onError: (e) => errors.push(e) });
    const served = Array.from({ length: 200 }, (_, i) => client.get('greet', `u${i}`));
    const revision = client.status().revision;
    const bad = [
      { ...greetFiles(), 'promptpin.yaml': 'environments: [' },
      { ...greetFiles(), 'greet/2.prompt': '---\nmodel: x\n---\n{{undeclared}}' },
      { ...greetFiles(), 'promptpin.yaml': GREET_ROLLOUT.replace('candidate: 2', 'candidate: 5') },
      { ...greetFiles(), 'promptpin.yaml': GREET_ROLLOUT.replace(/expected: .*/, 'expected: better') },
    ];
    const messages: string[] = [];
    for (const files of bad) {
      source.set({ files });
      const result = await client.reload();
      expect(result.success).toBe(false);
      expect(client.status().revision).toBe(revision);
      expect(client.status().lastError).toBe(errors.at(-1));
      served.forEach((p, i) => expect(client.get('greet', `u${i}`)).toBe(p));
      messages.push(errors.at(-1)!.message);
    }
    expect(errors.map((e) => e.code)).toEqual(expect.arrayContaining([ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_TEMPLATE]));
    expect(errors.every((e) => e.name === 'RegistryError')).toBe(true);
    expect(messages[2]).toMatch(/candidate: 5 names a missing version of "greet"/);
    source.set({ files: greetFiles() });
    await client.reload();
    expect(client.status().lastError).toBeNull();
  });

  it('should pick up an edit of the watched folder without a restart, and survive a broken edit', async () => {
    const dir = await writeFolder(greetFiles());
    const errors: PromptError[] = [];
    const client = await create({ source: dir, onError: (e) => errors.push(e) });
    const candidateUser = Array.from({ length: 1000 }, (_, i) => `u${i}`).find((id) => client.get('greet', id).slice === 'candidate')!;
    await writeFile(join(dir, 'promptpin.yaml'), 'environments: {production: {greet: {stable: [oops');
    await until(() => errors.length > 0);
    expect(client.get('greet', candidateUser).slice).toBe('candidate');
    await writeFile(join(dir, 'promptpin.yaml'), releaseYaml('  production:\n    greet: { stable: 1 }\n'));
    await until(() => client.get('greet', candidateUser).slice === 'stable');
    expect(client.status()).toMatchObject({ source: `folder ${dir}`, lastError: null, servingFallbacks: false });
    await rm(dir, { recursive: true, force: true });
  });

  it('should read and watch a compiled registry file', async () => {
    const dir = await writeFolder({});
    const file = join(dir, 'registry.json');
    const write = async (files: Record<string, string>) => {
      const folderDir = await writeFolder(files);
      await writeFile(file, JSON.stringify(registryToJson(compileFolder(await readFolder(folderDir)))));
      await rm(folderDir, { recursive: true, force: true });
    };
    await write(greetFiles());
    const errors: PromptError[] = [];
    const client = await create({ source: file, onError: (e) => errors.push(e) });
    expect(client.get('greet').version).toBe(1);
    await write({ ...greetFiles(), 'promptpin.yaml': releaseYaml('  production:\n    greet: { stable: 2 }\n') });
    await until(() => client.get('greet').version === 2);
    await writeFile(file, '{"schemaVersion": 1, "revision": "trunc');
    const r = await client.reload();
    expect(r.success).toBe(false);
    expect(errors.at(-1)?.message).toMatch(/not a valid compiled registry/);
    expect(client.get('greet').version).toBe(2);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('PromptClient start', () => {
  it('should throw the load error when the source cannot be read and there are no fallbacks', async () => {
    await expect(PromptClient.create({ source: '/nonexistent/promptpin/prompts' })).rejects.toMatchObject({ code: ErrorCode.SOURCE_LOAD_FAILED });
    await expect(PromptClient.create({ source: createMemorySource({ files: { 'greet/1.prompt': 'no front matter' } }) })).rejects.toMatchObject({
      code: ErrorCode.INVALID_CONFIG,
      name: 'RegistryError',
      file: 'greet/1.prompt',
    });
  });

  it('should serve fallbacks when the source cannot be read at start, then the registry once it loads', async () => {
    let available = false;
    const real = createMemorySource({ files: greetFiles() });
    const flaky: Source = {
      description: 'flaky',
      load: () => (available ? real.load() : Promise.reject(new PromptError(ErrorCode.SOURCE_LOAD_FAILED, 'host down'))),
    };
    const errors: PromptError[] = [];
    const client = await create({
      source: flaky,
      onError: (e) => errors.push(e),
      fallbacks: { greet: { model: 'gpt-4o-mini', template: 'Hi {{who}}!', variables: { who: 'string' } } },
    });
    const fb = client.get('greet', 'u1');
    expect(fb).toMatchObject({ slice: 'fallback', version: 0 });
    expect(fb.render({ who: 'Ann' })).toBe('Hi Ann!');
    expect(client.status()).toMatchObject({ servingFallbacks: true, revision: null });
    expect(errors[0]!.message).toBe('host down');
    available = true;
    await client.reload();
    expect(client.get('greet', 'u1').slice).not.toBe('fallback');
    expect(client.status().servingFallbacks).toBe(false);
  });

  it('should not miss an edit made while the first registry loads', async () => {
    const real = createMemorySource({ files: greetFiles() });
    let notify: (() => void) | undefined;
    let release: (() => void) | undefined;
    let loads = 0;
    const slow: Source = {
      description: 'slow',
      load: async () => {
        loads++;
        const registry = await real.load();
        if (loads === 1) await new Promise<void>((r) => (release = r));
        return registry;
      },
      watch: (onChange) => {
        notify = onChange;
        return () => {};
      },
    };
    const pending = PromptClient.create({ source: slow });
    await until(() => release !== undefined);
    // The release file changes while the first load is still running.
    real.set({ files: { ...greetFiles(), 'promptpin.yaml': releaseYaml('  production:\n    greet: { stable: 2 }\n') } });
    notify!();
    release!();
    const client = await pending;
    clients.push(client);
    await until(() => client.get('greet', 'u').version === 2);
    expect(loads).toBe(2);
  });

  it('should serve a first registry that arrives after initTimeoutMs, without waiting for a change', async () => {
    let finish: (() => void) | undefined;
    const real = createMemorySource({ files: greetFiles() });
    const late: Source = {
      description: 'late',
      load: async () => {
        await new Promise<void>((r) => (finish = r));
        return real.load();
      },
    };
    const client = await create({ source: late, initTimeoutMs: 50, onError: () => {}, fallbacks: { greet: GREET_V1 } });
    expect(client.get('greet').slice).toBe('fallback');
    const changes: RegistryChangeEvent[] = [];
    client.on('change', (e) => changes.push(e));
    finish!();
    await until(() => client.get('greet').slice === 'stable');
    expect(client.status().servingFallbacks).toBe(false);
    expect(changes[0]?.previousRevision).toBeNull();
  });

  it('should stop waiting after initTimeoutMs', async () => {
    vi.useFakeTimers();
    try {
      const hanging: Source = { description: 'hanging', load: () => new Promise(() => {}) };
      const pending = PromptClient.create({ source: hanging, initTimeoutMs: 1000, onError: () => {}, fallbacks: { greet: GREET_V1 } });
      await vi.advanceTimersByTimeAsync(1001);
      const client = await pending;
      clients.push(client);
      expect(client.get('greet').slice).toBe('fallback');
      expect(client.status().lastError?.message).toMatch(/No registry from hanging within 1000 ms/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('should refuse invalid options with a message that says what to pass', async () => {
    await expect(PromptClient.create({} as never)).rejects.toMatchObject({ code: ErrorCode.INVALID_OPTIONS, message: expect.stringMatching(/"source" is required/) });
    await expect(PromptClient.create({ source: { nope: 1 } as never })).rejects.toMatchObject({ code: ErrorCode.INVALID_OPTIONS });
    await expect(PromptClient.create({ source: createMemorySource({ files: greetFiles() }), environment: '' })).rejects.toMatchObject({ code: ErrorCode.INVALID_OPTIONS });
    await expect(PromptClient.create({ source: createMemorySource({ files: greetFiles() }), tracerProvider: {} as never })).rejects.toMatchObject({
      message: expect.stringMatching(/getTracer/),
    });
  });

  it('should load the shipped examples folder and keep it unlocked-but-valid', async () => {
    const dir = new URL('../../examples/prompts', import.meta.url).pathname;
    const client = await create({ source: dir, watch: false });
    expect(client.get('support-agent', 'qa-user-1')).toMatchObject({ version: 2, slice: 'override' });
    expect(client.get('billing/refund-agent').render({ order_id: 'A-1', amount: 12.5 })).toContain('order A-1 (amount 12.5 EUR)');
    expect(await readFile(join(dir, 'promptpin.yaml'), 'utf8')).toContain('rollout:');
  });
});
