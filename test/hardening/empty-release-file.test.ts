/**
 * Issue 9, item 3 ("outage by empty file"): on reload, a release file that is empty, comment-only
 * or absent, or that removes every release the serving registry has, is refused (RELEASES_REMOVED)
 * and reported, and the last good registry keeps serving; a folder load waits until two reads
 * agree; a first load of a locked folder without a release file serves with a warning; guard state
 * survives a refused reload. On 5fefc9e every one of these reloads replaced the registry and every
 * `get` threw PROMPT_NOT_RELEASED.
 */
import { rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkFolder, compileFolder, folderFilesOf, type FolderFiles } from '../../src/authoring.js';
import { createFolderSource, createMemorySource, ErrorCode, isPromptError, PromptClient, PromptError, registryToJson, type GuardBreachEvent, type RegistryChangeEvent } from '../../src/node.js';
import { formatLock } from '../../src/registry/lock.js';
import { releaseRegressionProblem } from '../../src/registry/registry.js';
import { readFolderSettled } from '../../src/sources/folder-source.js';
import { GREET_V1, GREET_V2, releaseYaml, writeFolder } from '../support/folders.js';

function lockFor(files: Record<string, string>): string {
  const check = checkFolder({ promptFiles: folderFilesOf(files).promptFiles });
  const lock = new Map<string, Map<number, string>>();
  for (const v of check.versions) {
    if (!lock.has(v.name)) lock.set(v.name, new Map());
    lock.get(v.name)!.set(v.version, v.hash);
  }
  return formatLock(lock);
}

const PROMPTS = { 'greet/1.prompt': GREET_V1, 'greet/2.prompt': GREET_V2, 'other/1.prompt': GREET_V1 };
const LOCK = lockFor(PROMPTS);
const GOOD = releaseYaml('  production:\n    greet: { stable: 2 }\n    other: { stable: 1 }\n  staging:\n    greet: { stable: 1 }\n');

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function folderClient(files: Record<string, string>, environment = 'production') {
  const dir = await writeFolder(files);
  const errors: PromptError[] = [];
  const changes: RegistryChangeEvent[] = [];
  const client = await PromptClient.create({ source: dir, environment, watch: false, onError: (e) => errors.push(e) });
  client.on('change', (e) => changes.push(e));
  cleanups.push(async () => {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, client, errors, changes };
}

describe('a reload that would remove every release', () => {
  const bad: Array<[string, (dir: string) => Promise<void>]> = [
    ['an empty promptpin.yaml', (dir) => writeFile(join(dir, 'promptpin.yaml'), '')],
    ['a comment-only promptpin.yaml', (dir) => writeFile(join(dir, 'promptpin.yaml'), '# releases are being rewritten\n')],
    ['100 KB of whitespace', (dir) => writeFile(join(dir, 'promptpin.yaml'), `${' \n'.repeat(50_000)}`)],
    ['a deleted promptpin.yaml', (dir) => unlink(join(dir, 'promptpin.yaml'))],
    ['a renamed promptpin.yaml (mid git checkout)', (dir) => rename(join(dir, 'promptpin.yaml'), join(dir, 'promptpin.yaml.orig'))],
    ['environments: {}', (dir) => writeFile(join(dir, 'promptpin.yaml'), 'environments: {}\n')],
    ['an empty production', (dir) => writeFile(join(dir, 'promptpin.yaml'), releaseYaml('  production: {}\n  staging:\n    greet: { stable: 1 }\n'))],
  ];

  it.each(bad)('should refuse %s, report it, and keep serving the last good registry', async (_what, mutate) => {
    const { dir, client, errors, changes } = await folderClient({ ...PROMPTS, 'promptpin.lock': LOCK, 'promptpin.yaml': GOOD });
    const revision = client.status().revision;
    expect(errors).toEqual([]);
    await mutate(dir);
    const result = await client.reload();
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(result.error.code).toBe(ErrorCode.RELEASES_REMOVED);
    expect(isPromptError(result.error)).toBe(true);
    expect(result.error.name).toBe('RegistryError');
    expect(errors).toEqual([result.error]);
    expect(changes).toEqual([]);
    expect(client.status()).toMatchObject({ revision, lastError: result.error, servingFallbacks: false });
    expect(client.get('greet', 'u1').version).toBe(2);
    expect(client.get('other', 'u1').version).toBe(1);
  });

  it('should say what was refused and what to do', async () => {
    const { dir, client } = await folderClient({ ...PROMPTS, 'promptpin.lock': LOCK, 'promptpin.yaml': GOOD });
    await writeFile(join(dir, 'promptpin.yaml'), '');
    const result = await client.reload();
    expect(!result.success && result.error.message.replace(dir, '<dir>')).toMatchInlineSnapshot(
      `"(field environments.production): folder <dir>: the new registry releases none of the 2 prompts released in "production" now (greet, other); it has none in "production". An empty, comment-only or missing promptpin.yaml (a file being written, a checkout in progress) reads as "no releases", so the reload was refused and the last good registry keeps serving. Fix promptpin.yaml and reload; to remove every release on purpose, restart the client"`,
    );
  });

  it('should serve the fixed file on the next reload', async () => {
    const { dir, client, changes } = await folderClient({ ...PROMPTS, 'promptpin.lock': LOCK, 'promptpin.yaml': GOOD });
    await writeFile(join(dir, 'promptpin.yaml'), '');
    expect((await client.reload()).success).toBe(false);
    await writeFile(join(dir, 'promptpin.yaml'), GOOD.replace('greet: { stable: 2 }', 'greet: { stable: 1 }'));
    expect(await client.reload()).toMatchObject({ success: true, changed: true });
    expect(client.status().lastError).toBeNull();
    expect(client.get('greet', 'u1').version).toBe(1);
    expect(changes.map((c) => c.changes.map((x) => x.prompt))).toEqual([['greet']]);
  });

  it('should accept a reload that keeps one release and removes the others, or changes other environments', async () => {
    const { dir, client } = await folderClient({ ...PROMPTS, 'promptpin.lock': LOCK, 'promptpin.yaml': GOOD });
    await writeFile(join(dir, 'promptpin.yaml'), releaseYaml('  production:\n    other: { stable: 1 }\n'));
    expect(await client.reload()).toMatchObject({ success: true, changed: true });
    expect(() => client.get('greet', 'u1')).toThrow(expect.objectContaining({ code: ErrorCode.PROMPT_NOT_RELEASED }));
    expect(client.get('other', 'u1').version).toBe(1);
  });

  it('should judge the client’s own environment: a staging client refuses what a production client accepts', async () => {
    const files = { ...PROMPTS, 'promptpin.lock': LOCK, 'promptpin.yaml': GOOD };
    const staging = await folderClient(files, 'staging');
    await writeFile(join(staging.dir, 'promptpin.yaml'), releaseYaml('  production:\n    greet: { stable: 2 }\n'));
    const result = await staging.client.reload();
    expect(!result.success && result.error.code).toBe(ErrorCode.RELEASES_REMOVED);
    expect(staging.client.get('greet', 'u').version).toBe(1);
  });

  it('should refuse the same through a memory source and a compiled registry file', async () => {
    const source = createMemorySource({ files: { ...PROMPTS, 'promptpin.yaml': GOOD } });
    const errors: PromptError[] = [];
    const client = await PromptClient.create({ source, onError: (e) => errors.push(e) });
    cleanups.push(() => client.close());
    source.set({ files: { ...PROMPTS, 'promptpin.yaml': '# wip\n' } });
    const result = await client.reload();
    expect(!result.success && result.error.code).toBe(ErrorCode.RELEASES_REMOVED);
    expect(client.get('greet', 'u').version).toBe(2);

    const json = (yaml: string | undefined) => JSON.stringify(registryToJson(compileFolder({ promptFiles: Object.entries(PROMPTS).map(([path, text]) => ({ path, text })), ...(yaml !== undefined ? { releaseText: yaml } : {}) })));
    const dir = await writeFolder({ 'registry.json': json(GOOD) });
    const path = join(dir, 'registry.json');
    const fileErrors: PromptError[] = [];
    const fileClient = await PromptClient.create({ source: path, watch: false, onError: (e) => fileErrors.push(e) });
    cleanups.push(async () => {
      await fileClient.close();
      await rm(dir, { recursive: true, force: true });
    });
    const attempt = async (write: () => Promise<void>): Promise<string> => {
      await write();
      const r = await fileClient.reload();
      expect(fileClient.get('greet', 'u').version).toBe(2);
      return r.success ? 'accepted' : r.error.code;
    };
    expect(await attempt(() => writeFile(path, ''))).toBe(ErrorCode.INVALID_CONFIG);
    expect(fileErrors.at(-1)!.message).toMatch(/the registry file is empty \(0 bytes\): a writer may be replacing it/);
    expect(await attempt(() => writeFile(path, '\n\n  '))).toBe(ErrorCode.INVALID_CONFIG);
    expect(await attempt(() => writeFile(path, json(GOOD).slice(0, 200)))).toBe(ErrorCode.INVALID_CONFIG);
    expect(await attempt(() => unlink(path))).toBe(ErrorCode.SOURCE_LOAD_FAILED);
    expect(await attempt(() => writeFile(path, json(undefined)))).toBe(ErrorCode.RELEASES_REMOVED);
    expect(await attempt(() => writeFile(path, json(GOOD)))).toBe('accepted');
    expect(fileErrors.map((e) => e.code)).toEqual([ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_CONFIG, ErrorCode.SOURCE_LOAD_FAILED, ErrorCode.RELEASES_REMOVED]);
  });
});

describe('releaseRegressionProblem (pure)', () => {
  const reg = (yaml?: string) => compileFolder({ promptFiles: Object.entries(PROMPTS).map(([path, text]) => ({ path, text })), ...(yaml !== undefined ? { releaseText: yaml } : {}) });
  it('should allow anything when nothing was released, and refuse losing every release of the environment', () => {
    const none = reg();
    const good = reg(GOOD);
    expect(releaseRegressionProblem(none, none, 'production')).toBeNull();
    expect(releaseRegressionProblem(none, good, 'production')).toBeNull();
    expect(releaseRegressionProblem(good, good, 'production')).toBeNull();
    expect(releaseRegressionProblem(good, reg(releaseYaml('  production:\n    other: { stable: 1 }\n')), 'production')).toBeNull();
    expect(releaseRegressionProblem(good, none, 'production')).toMatchObject({ code: ErrorCode.RELEASES_REMOVED, field: 'environments.production' });
    expect(releaseRegressionProblem(good, none, 'qa')).toBeNull();
    const renamed = releaseRegressionProblem(reg(releaseYaml('  production:\n    greet: { stable: 1 }\n')), reg(releaseYaml('  production:\n    other: { stable: 1 }\n')), 'production');
    expect(renamed?.message).toMatch(/releases none of the 1 prompt released in "production" now \(greet\); it has only 1 other prompt in "production"/);
  });
});

describe('the first load of a locked folder without a release file', () => {
  it('should serve pinned versions and warn once with PROMPT_NOT_RELEASED', async () => {
    const { client, errors } = await folderClient({ ...PROMPTS, 'promptpin.lock': LOCK });
    expect(errors.map((e) => e.code)).toEqual([ErrorCode.PROMPT_NOT_RELEASED]);
    expect(errors[0]!.message).toMatch(/^Registry from folder .* has 2 prompts but no release in environment "production": get\(\) without \{ version \} throws PROMPT_NOT_RELEASED until promptpin\.yaml releases one/);
    expect(client.status()).toMatchObject({ servingFallbacks: false, lastError: null });
    expect(client.get('greet', 'u', { version: 2 }).version).toBe(2);
    expect(() => client.get('greet', 'u')).toThrow(expect.objectContaining({ code: ErrorCode.PROMPT_NOT_RELEASED }));
    // Still nothing released: not a regression, nothing reported again.
    expect(await client.reload()).toMatchObject({ success: true, changed: false });
    expect(errors).toHaveLength(1);
  });

  it('should name the environments that do have releases (an environment typo)', async () => {
    const { errors } = await folderClient({ ...PROMPTS, 'promptpin.yaml': GOOD }, 'prod');
    expect(errors.map((e) => e.code)).toEqual([ErrorCode.PROMPT_NOT_RELEASED]);
    expect(errors[0]!.message).toContain('no release in environment "prod" (releases exist in: production, staging)');
  });
});

describe('guard state across a refused reload', () => {
  const rollout = releaseYaml(`  production:
    greet:
      stable: 1
      rollout:
        candidate: 2
        percent: 50
        started: 2026-11-20T15:00:00Z
        expected: Output length falls 10-20%; refusal rate unchanged.
        guards:
          - { signal: refusal, max_increase: 0.5pp }
        min_samples: 100
        window: 24h
        on_breach: rollback
`);
  const now = () => Date.parse('2026-11-20T16:00:00Z');

  it('should keep counted samples when the release file is emptied', async () => {
    const { dir, client } = await folderClient({ 'greet/1.prompt': GREET_V1, 'greet/2.prompt': GREET_V2, 'promptpin.lock': lockFor({ 'greet/1.prompt': GREET_V1, 'greet/2.prompt': GREET_V2 }), 'promptpin.yaml': rollout });
    for (let i = 0; i < 40; i++) client.get('greet', `u${i}`).record({ refusal: false });
    const before = client.status().guards;
    expect(before[0]!.samples.stable + before[0]!.samples.candidate).toBe(40);
    await writeFile(join(dir, 'promptpin.yaml'), '');
    expect((await client.reload()).success).toBe(false);
    expect(client.status().guards).toEqual(before);
    for (let i = 0; i < 10; i++) client.get('greet', `v${i}`).record({ refusal: false });
    const after = client.status().guards[0]!;
    expect(after.samples.stable + after.samples.candidate).toBe(50);
  });

  it('should stay rolled back after a trip and a refused reload', async () => {
    const breaches: GuardBreachEvent[] = [];
    const source = createMemorySource({ files: { 'greet/1.prompt': GREET_V1, 'greet/2.prompt': GREET_V2, 'promptpin.yaml': rollout } });
    const client = await PromptClient.create({ source, now, onBreach: (e) => breaches.push(e), onError: () => {} });
    cleanups.push(() => client.close());
    // The candidate refuses every request, stable none: the guard trips once min_samples are in.
    for (let i = 0; i < 5000 && breaches.length === 0; i++) {
      const p = client.get('greet', `user-${i}`);
      p.record({ refusal: p.slice === 'candidate' });
    }
    expect(breaches).toHaveLength(1);
    const tripped = client.status().guards;
    expect(tripped[0]).toMatchObject({ state: 'tripped' });
    for (const text of ['', '# wip\n', 'environments: {}\n']) {
      source.set({ files: { 'greet/1.prompt': GREET_V1, 'greet/2.prompt': GREET_V2, 'promptpin.yaml': text } });
      const r = await client.reload();
      expect(!r.success && r.error.code).toBe(ErrorCode.RELEASES_REMOVED);
      expect(client.status().guards).toEqual(tripped);
      for (let i = 0; i < 500; i++) expect(client.get('greet', `after-${i}`).slice).toBe('stable');
    }
    // The same rollout coming back (the file restored) keeps the trip too.
    source.set({ files: { 'greet/1.prompt': GREET_V1, 'greet/2.prompt': GREET_V2, 'promptpin.yaml': rollout } });
    expect(await client.reload()).toMatchObject({ success: true, changed: false });
    expect(client.status().guards[0]).toMatchObject({ state: 'tripped' });
    expect(breaches).toHaveLength(1);
  });
});

describe('readFolderSettled: a folder load waits until two reads agree', () => {
  const files = (releaseText: string): FolderFiles => ({ promptFiles: [{ path: 'greet/1.prompt', text: GREET_V1 }], releaseText });
  const full = releaseYaml('  production:\n    greet: { stable: 1 }\n');
  const scripted = (outcomes: Array<FolderFiles | Error>) => {
    let reads = 0;
    const read = async (): Promise<FolderFiles> => {
      const o = outcomes[Math.min(reads++, outcomes.length - 1)]!;
      if (o instanceof Error) throw o;
      return o;
    };
    return { read, reads: () => reads };
  };

  it('should skip a half-written file seen once and return what two reads agree on', async () => {
    const s = scripted([files(full.slice(0, 20)), files(full), files(full)]);
    expect(await readFolderSettled('/p', { read: s.read, delayMs: 0 })).toEqual(files(full));
    expect(s.reads()).toBe(3);
  });

  it('should read twice when nothing changes', async () => {
    const s = scripted([files(full)]);
    await readFolderSettled('/p', { read: s.read, delayMs: 0 });
    expect(s.reads()).toBe(2);
  });

  it('should give up after a bounded number of reads with SOURCE_LOAD_FAILED', async () => {
    let n = 0;
    const read = async (): Promise<FolderFiles> => files(`# ${n++}\n${full}`);
    const err = await readFolderSettled('/p', { read, attempts: 4, delayMs: 0 }).catch((e: unknown) => e);
    expect(isPromptError(err) && err.code).toBe(ErrorCode.SOURCE_LOAD_FAILED);
    expect((err as Error).message).toMatch(/^Prompts folder \/p kept changing while it was read \(4 reads, no two in a row agreed\)/);
    expect(n).toBe(4);
  });

  it('should treat a transient read error as a change, and the same error twice as the answer', async () => {
    const gone = new PromptError(ErrorCode.SOURCE_LOAD_FAILED, 'Cannot read prompts folder /p: ENOENT');
    const s = scripted([gone, files(full), files(full)]);
    expect(await readFolderSettled('/p', { read: s.read, delayMs: 0 })).toEqual(files(full));
    const t = scripted([gone, gone]);
    await expect(readFolderSettled('/p', { read: t.read, delayMs: 0 })).rejects.toBe(gone);
    expect(t.reads()).toBe(2);
  });

  it('should never swap in a valid-looking half-written promptpin.yaml through a client', async () => {
    // Cut mid-number: "percent: 50" read as "percent: 5" is valid YAML and a valid release.
    const rollout = (percent: number) => releaseYaml(`  production:\n    greet:\n      stable: 1\n      rollout:\n        candidate: 2\n        expected: Output length falls 10-20%; refusal rate unchanged.\n        guards: [{ signal: refusal, max_increase: 0.5pp }]\n        percent: ${percent}\n`);
    const prompts = [{ path: 'greet/1.prompt', text: GREET_V1 }, { path: 'greet/2.prompt', text: GREET_V2 }];
    const at = (releaseText: string): FolderFiles => ({ promptFiles: prompts, releaseText });
    const next = rollout(50);
    const half = next.slice(0, next.indexOf('percent: 50') + 'percent: 5'.length);
    expect(compileFolder(at(half)).environments.get('production')!.get('greet')!.rollout!.percent).toBe(5);
    let script: FolderFiles[] = [at(rollout(10)), at(rollout(10))];
    const source = createFolderSource('/virtual', { watch: false, settleDelayMs: 0, read: async () => script.shift() ?? at(next) });
    const client = await PromptClient.create({ source });
    cleanups.push(() => client.close());
    script = [at(half), at(next), at(next)];
    expect(await client.reload()).toMatchObject({ success: true, changed: true });
    const served = new Set<number>();
    for (let i = 0; i < 2000; i++) if (client.get('greet', `u${i}`).slice === 'candidate') served.add(i);
    expect(served.size).toBeGreaterThan(800);
  });
});
