/**
 * Issue 9, item 1 ("abort by file name"): work per input is bounded by the input's size, never by
 * a number written in it. Every test here would hang or run out of memory on 5fefc9e (a loop from
 * 1 to the largest version number); it must simply complete, with a bounded number of issues.
 */
import { registryErrorOf } from '../support/errors.js';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.js';
import type { Io } from '../../src/edit/context.js';
import { checkFolder, compileFolder, folderFilesOf, rollbackRelease, releaseVersion, startRollout } from '../../src/authoring.js';
import { ErrorCode, parseCompiledRegistry, PromptClient, registryToJson } from '../../src/index.js';
import { addToLock } from '../../src/registry/edit.js';
import { formatLock, parseLock } from '../../src/registry/lock.js';
import { describeVersions, MAX_VERSION, maxVersion, nextVersion, versionGaps, versionNumberProblem, versionRuns } from '../../src/registry/version-numbers.js';
import { ROOT } from '../cli/helpers.js';
import { GREET_V1, GREET_V2, releaseYaml, writeFolder } from '../support/folders.js';

const folder = folderFilesOf;

const three = { 'support-agent/1.prompt': GREET_V1, 'support-agent/2.prompt': GREET_V2, 'support-agent/3.prompt': GREET_V1.replace('Be brief.', 'Be short.') };

describe('version numbers read from file names (checkFolder)', () => {
  it('should refuse support-agent/100000000.prompt in a few issues, without visiting the missing versions', () => {
    const check = checkFolder(folder({ ...three, 'support-agent/100000000.prompt': GREET_V1 }));
    expect(check.registry).toBeNull();
    expect(check.issues).toHaveLength(1);
    expect(check.issues[0]).toMatchObject({ code: ErrorCode.INVALID_CONFIG, file: 'support-agent/100000000.prompt', prompt: 'support-agent' });
    expect(check.issues[0]!.message).toMatchInlineSnapshot(`"version 100000000 is above the limit of 1000000: a version file is named after the next number (1, 2, 3, …); rename or remove this file"`);
  });

  it('should report 200000.prompt as one gap (it listed 199,997 problems)', () => {
    const err = registryErrorOf(() => compileFolder(folder({ ...three, 'support-agent/200000.prompt': GREET_V1 })));
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatchObject({ code: ErrorCode.INVALID_CONFIG, file: 'support-agent/4.prompt', prompt: 'support-agent', version: 4 });
    expect(err.message).toMatchInlineSnapshot(`"support-agent/4.prompt (support-agent v4): versions are sequential: support-agent has v200000 but no v4–v199999 (present: v1–v3, v200000); every version stays in the folder, never delete one"`);
  });

  it('should bound the gap message whatever the number of gaps', () => {
    const files: Record<string, string> = { 'p/1.prompt': GREET_V1 };
    for (let i = 1; i <= 100; i++) files[`p/${i * 2 + 1}.prompt`] = GREET_V1;
    const check = checkFolder(folder(files));
    expect(check.issues).toHaveLength(1);
    expect(check.issues[0]!.message).toContain('no v2, v4, v6, v8, v10, v12, v14, v16, … (92 more)');
    expect(check.issues[0]!.message.length).toBeLessThan(400);
  });

  it('should accept the largest allowed version number and refuse a 400-digit one', () => {
    expect(versionNumberProblem(MAX_VERSION)).toBeNull();
    const huge = `9${'0'.repeat(400)}`;
    const check = checkFolder(folder({ 'p/1.prompt': GREET_V1, [`p/${huge}.prompt`]: GREET_V1 }));
    expect(check.issues).toHaveLength(1);
    expect(check.issues[0]!.message).toMatch(/^version Infinity is above the limit of 1000000/);
  });

  it('should report a lock whose released files were all deleted as one issue per prompt', () => {
    const lock = new Map([['greet', new Map(Array.from({ length: 2000 }, (_, i) => [i + 1, `sha256:${'a'.repeat(64)}`] as const))]]);
    const err = registryErrorOf(() => compileFolder(folder({ 'greet/1.prompt': GREET_V1, 'promptpin.lock': formatLock(lock) })));
    const missing = err.issues.filter((i) => /files are missing/.test(i.message));
    expect(missing).toHaveLength(1);
    expect(missing[0]!.message).toContain('greet v2–v2000 are released (recorded in promptpin.lock) but their files are missing');
  });
});

describe('version numbers in promptpin.lock', () => {
  it('should refuse a locked version above the limit, with its line, and keep the others', () => {
    const text = `lockVersion: 1\nprompts:\n  greet:\n    1: sha256:${'a'.repeat(64)}\n    100000000: sha256:${'b'.repeat(64)}\n`;
    const { lock, issues } = parseLock(text);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: ErrorCode.INVALID_CONFIG, prompt: 'greet', line: 5, field: 'prompts.greet.100000000' });
    expect(issues[0]!.message).toMatch(/version 100000000 is above the limit of 1000000/);
    expect([...lock.get('greet')!.keys()]).toEqual([1]);
  });

  it('should shorten a 400-digit key in the field it reports', () => {
    const { issues } = parseLock(`lockVersion: 1\nprompts:\n  greet:\n    ${'9'.repeat(400)}: sha256:${'a'.repeat(64)}\n`);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.field!.length).toBeLessThan(60);
  });

  it('should refuse to lock a version above the limit', () => {
    expect(() => addToLock(undefined, [{ name: 'greet', version: MAX_VERSION + 1, hash: `sha256:${'a'.repeat(64)}` }])).toThrow(/above the limit of 1000000/);
  });
});

describe('version numbers in a compiled registry', () => {
  const compiled = () => registryToJson(compileFolder(folder({ 'greet/1.prompt': GREET_V1, 'greet/2.prompt': GREET_V2, 'promptpin.yaml': releaseYaml('  production:\n    greet: { stable: 1 }\n') })));

  it('should refuse a version key of 100000000 without iterating up to it', () => {
    const doc = compiled();
    const versions = doc.prompts.greet!.versions as Record<string, Record<string, unknown>>;
    versions['100000000'] = versions['2']!;
    const err = registryErrorOf(() => parseCompiledRegistry(JSON.parse(JSON.stringify(doc))));
    expect(err.issues.map((i) => i.message)).toContainEqual(expect.stringMatching(/version 100000000 is above the limit of 1000000/));
    expect(err.issues.length).toBeLessThanOrEqual(3);
  });

  it('should report gaps as one issue per prompt with ranges (it gave one per version, misnumbered)', () => {
    const doc = compiled();
    const versions = doc.prompts.greet!.versions as Record<string, Record<string, unknown>>;
    versions['900000'] = versions['2']!;
    const err = registryErrorOf(() => parseCompiledRegistry(JSON.parse(JSON.stringify(doc))));
    const gaps = err.issues.filter((i) => /sequential/.test(i.message));
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ prompt: 'greet', version: 3 });
    expect(gaps[0]!.message).toContain('greet is missing v3–v899999 (present: v1–v2, v900000)');
  });
});

describe('version-number helpers', () => {
  it('should compute gaps, runs and the next version from the numbers present, matching a naive loop on small inputs', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 30 }), (raw) => {
        const sorted = [...raw].sort((a, b) => a - b);
        const naive: number[] = [];
        for (let v = 1; v <= maxVersion(sorted); v++) if (!sorted.includes(v)) naive.push(v);
        expect(versionGaps(sorted).flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i))).toEqual(naive);
        expect(versionRuns(sorted).flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i))).toEqual(sorted);
        expect(nextVersion(sorted)).toBe(maxVersion(sorted) + 1);
      }),
      { seed: 9001, numRuns: 300 },
    );
    expect(nextVersion([MAX_VERSION])).toBeNull();
    expect(versionGaps([1, 100_000_000])).toEqual([[2, 99_999_999]]);
  });

  it('should describe few versions one by one and many as bounded runs', () => {
    expect(describeVersions([3, 1, 2])).toBe('1, 2, 3');
    expect(describeVersions([])).toBe('none');
    expect(describeVersions(Array.from({ length: 100_000 }, (_, i) => i + 1))).toBe('1–100000');
  });
});

describe('version numbers in release edits', () => {
  const yaml = releaseYaml('  production:\n    greet: { stable: 1 }\n');
  it('should refuse release, rollout and rollback targets above the limit or not integers', () => {
    for (const bad of [1e308, MAX_VERSION + 1, 0, 1.5]) {
      expect(() => releaseVersion(yaml, 'production', 'greet', bad)).toThrow(expect.objectContaining({ code: ErrorCode.CHANGE_REFUSED }));
      expect(() => rollbackRelease(yaml, 'production', 'greet', { to: bad })).toThrow(expect.objectContaining({ code: ErrorCode.CHANGE_REFUSED }));
      expect(() =>
        startRollout(yaml, 'production', 'greet', { candidate: bad, percent: 10, expected: 'Refusal rate unchanged, output length falls.', guards: [{ signal: 'refusal', maxIncrease: 0.5 }], author: 'ana', started: '2026-11-20T15:00:00Z' }),
      ).toThrow(expect.objectContaining({ code: ErrorCode.CHANGE_REFUSED }));
    }
    expect(() => releaseVersion(yaml, 'production', 'greet', 1e308)).toThrowErrorMatchingInlineSnapshot(`[PromptError: Cannot release "greet" in production: version 1e+308 is above the limit of 1000000. Use --to N with 1 ≤ N ≤ 1000000.]`);
  });
});

describe('a client and the CLI with a stray 100000000.prompt', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it('should reject the reload and keep serving the last good registry', async () => {
    const dir = await writeFolder({ 'greet/1.prompt': GREET_V1, 'greet/2.prompt': GREET_V2, 'promptpin.yaml': releaseYaml('  production:\n    greet: { stable: 2 }\n') });
    dirs.push(dir);
    const errors: unknown[] = [];
    const client = await PromptClient.create({ source: dir, watch: false, onError: (e) => errors.push(e) });
    try {
      await writeFile(join(dir, 'greet', '100000000.prompt'), GREET_V1);
      const result = await client.reload();
      expect(result.success).toBe(false);
      expect(!result.success && result.error.code).toBe(ErrorCode.INVALID_CONFIG);
      expect(errors).toHaveLength(1);
      expect(client.get('greet', 'u1').version).toBe(2);
    } finally {
      await client.close();
    }
  });

  it('should let every folder-reading verb finish with a bounded report', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'promptpin-hardening-'));
    dirs.push(cwd);
    const dir = join(cwd, 'prompts');
    await cp(join(ROOT, 'examples', 'prompts'), dir, { recursive: true });
    await writeFile(join(dir, 'support-agent', '100000000.prompt'), await readFile(join(dir, 'support-agent', '2.prompt'), 'utf8'));
    const run = async (...argv: string[]) => {
      let out = '';
      let err = '';
      const io: Io = { out: (t) => (out += t), err: (t) => (err += t), readStdin: async () => '', env: { PROMPTPIN_AUTHOR: 'ana' }, cwd, now: () => new Date('2026-11-27T06:00:00Z') };
      const code = await main(argv, io);
      return { code, out, err };
    };
    // Each verb returns (it hung, then ran out of memory); the refusals name the file in a bounded report.
    for (const argv of [['check'], ['build', '-o', 'out.json'], ['types', '-o', 'out.d.ts'], ['publish', 'support-agent', '--from', 'prompts/support-agent/2.prompt', '-m', 'again']]) {
      const r = await run(...argv);
      expect(r.code, `${argv.join(' ')}: ${r.out}${r.err}`).toBe(1);
      expect(r.out + r.err, argv.join(' ')).toContain('100000000.prompt');
      expect((r.out + r.err).length, argv.join(' ')).toBeLessThan(4000);
    }
    // Read-only verbs that show what they can of a broken folder return too.
    for (const argv of [['status'], ['explain', 'support-agent'], ['log']]) {
      const r = await run(...argv);
      expect([0, 1], argv.join(' ')).toContain(r.code);
      expect((r.out + r.err).length, argv.join(' ')).toBeLessThan(4000);
    }
    const usage = await run('rollout', 'support-agent', '--to', '99999999', '--percent', '10');
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/--to: version 99999999 is above the limit of 1000000/);
  });
});
