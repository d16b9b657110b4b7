/** The one atomic write: durable, never partial, and no temp file left behind when it fails. */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeChange, type Io } from '../../src/edit/context.js';
import { runRamp } from '../../src/cli/ramp.js';
import { isPromptError } from '../../src/errors.js';
import { isAtomicTempName, writeFileAtomic } from '../../src/internal/fs/atomic-write.js';
import { writeRegistryCache } from '../../src/sources/disk-cache.js';
import { ROOT } from '../cli/helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promptpin-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every file under `root`, recursively, relative. */
async function tree(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true })).map(String).sort();
}

describe('writeFileAtomic', () => {
  it('should replace the file whole, with the mode asked for, leaving only the file', async () => {
    const f = join(dir, 'a.json');
    await writeFile(f, 'old');
    await writeFileAtomic(f, 'new', { mode: 0o600 });
    expect(await readFile(f, 'utf8')).toBe('new');
    await writeFileAtomic(join(dir, 'b.json'), 'b', { mode: 0o600 });
    expect((await stat(join(dir, 'b.json'))).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['a.json', 'b.json']);
  });

  it('should remove the temp file when the rename fails (the target is a directory)', async () => {
    const target = join(dir, 'promptpin.yaml');
    await mkdir(target);
    await writeFile(join(target, 'keep'), 'x');
    await expect(writeFileAtomic(target, 'text')).rejects.toMatchObject({ code: expect.stringMatching(/^(EISDIR|ENOTEMPTY|EEXIST)$/) });
    expect(await tree(dir)).toEqual(['promptpin.yaml', 'promptpin.yaml/keep']);
  });

  it('should remove the temp file when a step after writing it fails, and leave the target untouched', async () => {
    const f = join(dir, 'f');
    await writeFile(f, 'before');
    let tmpSeen = '';
    await expect(
      writeFileAtomic(f, 'after', {
        beforeCommit: (tmp) => {
          tmpSeen = tmp;
          throw new Error('disk full');
        },
      }),
    ).rejects.toThrow('disk full');
    expect(isAtomicTempName(tmpSeen.slice(dir.length + 1))).toBe(true);
    expect(await readdir(dir)).toEqual(['f']);
    expect(await readFile(f, 'utf8')).toBe('before');
  });

  it('should refuse to overwrite with exclusive (EEXIST) and leave no temp file', async () => {
    const f = join(dir, '3.prompt');
    await writeFile(f, 'released');
    await expect(writeFileAtomic(f, 'mine', { exclusive: true })).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readdir(dir)).toEqual(['3.prompt']);
    expect(await readFile(f, 'utf8')).toBe('released');
  });

  it('should fail, leaving nothing, when the directory is missing', async () => {
    await expect(writeFileAtomic(join(dir, 'missing', 'f'), 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('writes that fail leave no temp file and no lock', () => {
  it('should leave the folder as it was when a CLI edit is refused (a directory where CHANGELOG.md should be)', async () => {
    const prompts = join(dir, 'prompts');
    await cp(join(ROOT, 'examples', 'prompts'), prompts, { recursive: true });
    const io: Io = { out: () => {}, err: () => {}, readStdin: async () => '', env: { PROMPTPIN_AUTHOR: 'ana' }, cwd: dir, now: () => new Date('2026-11-27T06:00:00Z') };
    const before = await tree(prompts);
    const yaml = await readFile(join(prompts, 'promptpin.yaml'), 'utf8');
    await mkdir(join(prompts, 'CHANGELOG.md'));
    const err = await runRamp(io, ['support-agent', '50']).catch((e: unknown) => e);
    expect(isPromptError(err) && err.code).toBe('SPECIAL_FILE');
    expect(await tree(prompts)).toEqual([...before, 'CHANGELOG.md'].sort());
    expect(await readFile(join(prompts, 'promptpin.yaml'), 'utf8')).toBe(yaml);
  });

  it('should put back the first file and leave no temp file when a later write fails', async () => {
    const a = join(dir, 'a.txt');
    await writeFile(a, 'a0');
    await mkdir(join(dir, 'b.txt'));
    const err = await writeChange([
      { path: a, text: 'a1', expected: 'a0' },
      // Not readable as a file: the change is refused before anything is written.
      { path: join(dir, 'b.txt'), text: 'b1', expected: undefined },
    ]).catch((e: unknown) => e);
    expect(isPromptError(err) && err.code).toBe('SPECIAL_FILE');
    expect(await tree(dir)).toEqual(['a.txt', 'b.txt']);
    expect(await readFile(a, 'utf8')).toBe('a0');

    // A write that fails after the first landed: the first is put back, nothing is left over.
    const err2 = await writeChange(
      [
        { path: a, text: 'a1', expected: 'a0' },
        { path: join(dir, 'c.txt'), text: 'c1', expected: undefined },
      ],
      {
        folder: dir,
        beforeWrite: async (path) => {
          if (path.endsWith('c.txt')) await mkdir(join(dir, 'c.txt'));
        },
      },
    ).catch((e: unknown) => e);
    expect(isPromptError(err2) && err2.code).toBe('SPECIAL_FILE');
    expect(await readFile(a, 'utf8')).toBe('a0');
    expect(await tree(dir)).toEqual(['a.txt', 'b.txt', 'c.txt']);
  });

  it('should leave no temp file when the registry cache cannot be written', async () => {
    const file = join(dir, 'cache.json');
    await mkdir(file);
    await writeFile(join(file, 'x'), '');
    const err = await writeRegistryCache(file, new URL('https://example.com/r.json'), { etag: null, lastModified: null, fetchedAt: 0, bodySha256: null }, '{}').catch((e: unknown) => e);
    expect(isPromptError(err) && err.code).toBe('SOURCE_LOAD_FAILED');
    expect(await tree(dir)).toEqual(['cache.json', 'cache.json/x']);
  });
});
