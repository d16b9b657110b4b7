/**
 * Special files: a FIFO, a device or an oversized file where a prompt, release or registry file
 * should be. Every read settles with a typed error, the last good registry keeps serving, and the
 * process can still exit.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cp, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isPromptError } from '../../src/errors.js';
import { readFileBounded } from '../../src/internal/fs/read-file.js';
import { compileFolder, readFolder } from '../../src/authoring.js';
import { PromptClient, registryToJson, type PromptError } from '../../src/index.js';
import { ensureBuilt, ROOT } from '../cli/helpers.js';

let dir: string;
const clients: PromptClient[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promptpin-special-'));
  await cp(join(ROOT, 'examples', 'prompts'), join(dir, 'prompts'), { recursive: true });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await rm(dir, { recursive: true, force: true });
});

const mkfifo = (path: string): void => void execFileSync('mkfifo', [path]);

async function failure(p: Promise<unknown>): Promise<PromptError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isPromptError(err)).toBe(true);
  return err as PromptError;
}

describe('readFileBounded', () => {
  it('should refuse a FIFO without waiting for a writer', async () => {
    const fifo = join(dir, 'pipe');
    mkfifo(fifo);
    const err = await failure(readFileBounded(fifo, { maxBytes: 1024 }));
    expect(err.code).toBe('SPECIAL_FILE');
    expect(err.message.replace(dir, '<dir>')).toMatchInlineSnapshot(`"<dir>/pipe is a FIFO (named pipe), not a regular file: promptpin reads only regular files. Replace it with the file itself."`);
  });

  it.each(['/dev/zero', '/dev/urandom'])('should refuse the device %s (and a link to it) without reading from it', async (device) => {
    expect((await failure(readFileBounded(device, { maxBytes: 1024 }))).code).toBe('SPECIAL_FILE');
    await symlink(device, join(dir, 'link'));
    expect((await failure(readFileBounded(join(dir, 'link'), { maxBytes: 1024 }))).message).toContain('is a character device, not a regular file');
  });

  it('should refuse a file over the limit from its size, without reading it (a 4 GB sparse file)', async () => {
    const big = join(dir, 'big');
    await writeFile(big, '');
    await truncate(big, 4 * 1024 ** 3);
    const err = await failure(readFileBounded(big, { maxBytes: 1024 }));
    expect(err.code).toBe('SOURCE_LOAD_FAILED');
    expect(err.message).toContain('is 4294967296 bytes; the limit is 1024 bytes');
  });

  it('should read a file of exactly the limit, and refuse one byte more', async () => {
    const f = join(dir, 'f');
    await writeFile(f, 'x'.repeat(1024));
    expect(await readFileBounded(f, { maxBytes: 1024 })).toBe('x'.repeat(1024));
    await writeFile(f, 'x'.repeat(1025));
    expect((await failure(readFileBounded(f, { maxBytes: 1024 }))).code).toBe('SOURCE_LOAD_FAILED');
  });
});

describe('a folder or file source with a special file', () => {
  it('should settle reload() with SPECIAL_FILE when promptpin.yaml becomes a FIFO, and keep serving the last good registry', async () => {
    const prompts = join(dir, 'prompts');
    const errors: PromptError[] = [];
    const client = await PromptClient.create({ source: prompts, watch: false, onError: (e) => errors.push(e) });
    clients.push(client);
    const before = client.get('support-agent', 'user-1').version;
    await rm(join(prompts, 'promptpin.yaml'));
    mkfifo(join(prompts, 'promptpin.yaml'));
    const first = await client.reload();
    expect(first.success).toBe(false);
    // A second reload settles too (the first left nothing blocked behind it).
    const second = await client.reload();
    expect(second.success).toBe(false);
    expect(errors.at(-1)?.code).toBe('SPECIAL_FILE');
    expect(client.get('support-agent', 'user-1').version).toBe(before);
  });

  it('should refuse a .prompt that is a FIFO', async () => {
    mkfifo(join(dir, 'prompts', 'support-agent', '3.prompt'));
    expect(await failure(readFolder(join(dir, 'prompts')))).toMatchObject({ code: 'SPECIAL_FILE', message: expect.stringMatching(/^support-agent\/3\.prompt is not a regular file/) });
  });

  it.each(['/dev/urandom', '/dev/zero'])('should settle reload() of a registry file replaced by a link to %s, and keep serving', async (device) => {
    const file = join(dir, 'registry.json');
    await writeFile(file, JSON.stringify(registryToJson(compileFolder(await readFolder(join(dir, 'prompts'))))));
    const errors: PromptError[] = [];
    const client = await PromptClient.create({ source: file, watch: false, onError: (e) => errors.push(e) });
    clients.push(client);
    await rm(file);
    await symlink(device, file);
    const r = await client.reload();
    expect(r.success).toBe(false);
    expect(errors.at(-1)?.message).toContain('is a character device, not a regular file');
    expect(client.get('support-agent', 'user-1').name).toBe('support-agent');
  });
});

describe('process exit', () => {
  beforeAll(() => ensureBuilt(), 180_000);

  it('should let a process that read a folder with a FIFO promptpin.yaml exit on its own', async () => {
    const prompts = join(dir, 'prompts');
    await rm(join(prompts, 'promptpin.yaml'));
    mkfifo(join(prompts, 'promptpin.yaml'));
    const script = `import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'authoring.js')).href)}).then(async (m) => {
      try { await m.readFolder(${JSON.stringify(prompts)}); console.log('read'); } catch (e) { console.log(e.code); }
    });`;
    // Before: open(2) of the FIFO blocked a libuv thread forever, and the process never exited.
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(process.execPath, ['-e', script], { timeout: 20_000, encoding: 'utf8' }, (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout }));
    });
    expect(out).toEqual({ code: 0, stdout: 'SPECIAL_FILE\n' });
  }, 30_000);
});
