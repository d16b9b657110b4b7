/** Symbolic links: nothing is written through a link, nothing read through one leaving the folder. */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCheck } from '../../src/cli/check.js';
import { runLog } from '../../src/cli/log.js';
import { runPublish } from '../../src/cli/publish.js';
import { runRollback } from '../../src/cli/rollback.js';
import type { Io } from '../../src/edit/context.js';
import { isPromptError } from '../../src/errors.js';
import { PromptClient } from '../../src/index.js';
import { readFolder } from '../../src/authoring.js';
import { GREET_V1 } from '../support/folders.js';
import { ROOT } from '../cli/helpers.js';

const SECRET = 'AKIA-SECRET-0123456789 root:x:0:0';

let base: string;
let dir: string;
let outside: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'promptpin-links-'));
  dir = join(base, 'prompts');
  outside = join(base, 'outside');
  await cp(join(ROOT, 'examples', 'prompts'), dir, { recursive: true });
  await mkdir(outside);
  await writeFile(join(outside, 'secret.txt'), `---\n${SECRET}\n---\n${SECRET}\n`);
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const VERBS = { check: runCheck, log: runLog, publish: runPublish, rollback: runRollback } as const;

/**
 * Runs a verb in process (cli.ts runs main() when imported) and returns what `--json` would print:
 * `{ ok: false, error: { code, message } }` for a typed error.
 */
async function cli(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t), readStdin: async () => stdin, env: { PROMPTPIN_AUTHOR: 'ana' }, cwd: base, now: () => new Date('2026-11-27T06:00:00Z') };
  const [verb, ...rest] = args as [keyof typeof VERBS, ...string[]];
  try {
    return { code: await VERBS[verb](io, rest), out, err };
  } catch (e) {
    if (!isPromptError(e)) throw e;
    return { code: 1, out: JSON.stringify({ ok: false, error: { code: e.code, message: e.message } }), err };
  }
}

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isPromptError(err)).toBe(true);
  return { code: (err as { code: string }).code, message: (err as Error).message };
}

describe('writes through symbolic links', () => {
  it('should refuse to publish into a prompt directory that is a link leaving the folder, writing nothing anywhere', async () => {
    await mkdir(join(outside, 'greet'));
    await writeFile(join(outside, 'greet', '1.prompt'), GREET_V1);
    await symlink(join(outside, 'greet'), join(dir, 'greet'));
    const before = await readdir(dir);
    const r = await cli(['publish', 'greet', '--from', '-', '--message', 'm', '--json'], GREET_V1.replace('Say hi', 'Say hello'));
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ ok: false, error: { code: 'UNSAFE_PATH', message: 'prompts/greet is a symbolic link; promptpin never writes through a link (the write could land outside the prompts folder). Replace the link with a real directory.' } });
    expect(await readdir(join(outside, 'greet'))).toEqual(['1.prompt']);
    expect(await readdir(dir)).toEqual(before);
    // Without the link, the same publish lands inside the folder.
    await rm(join(dir, 'greet'));
    const ok = await cli(['publish', 'greet', '--from', '-', '--message', 'm', '--json'], GREET_V1);
    expect(ok.code).toBe(0);
    expect(await readFile(join(dir, 'greet', '1.prompt'), 'utf8')).toContain('Say hi');
  });

  it('should refuse a new prompt whose parent path is a link, and a release file that is a link', async () => {
    await symlink(outside, join(dir, 'team'));
    const r = await cli(['publish', 'team/newbie', '--from', '-', '--message', 'm', '--json'], GREET_V1);
    expect(JSON.parse(r.out)).toMatchObject({ ok: false, error: { code: 'UNSAFE_PATH' } });
    expect(await readdir(outside)).toEqual(['secret.txt']);

    // A link inside the folder is read (it stays inside), but never written through.
    await rm(join(dir, 'team'));
    await mkdir(join(dir, '.real'));
    await writeFile(join(dir, '.real', 'promptpin.yaml'), await readFile(join(dir, 'promptpin.yaml'), 'utf8'));
    await rm(join(dir, 'promptpin.yaml'));
    await symlink(join('.real', 'promptpin.yaml'), join(dir, 'promptpin.yaml'));
    const w = await cli(['rollback', 'support-agent', '--reason', 'r', '--json']);
    expect(JSON.parse(w.out)).toMatchObject({ ok: false, error: { code: 'UNSAFE_PATH', message: 'prompts/promptpin.yaml is a symbolic link; promptpin never writes through a link (the write could land outside the prompts folder). Replace the link with a real file.' } });
  });
});

describe('reads through symbolic links', () => {
  it('should refuse a .prompt linked to a file outside the folder, never echoing its content', async () => {
    await symlink(join(outside, 'secret.txt'), join(dir, 'support-agent', '3.prompt'));
    const { code, message } = await codeOf(readFolder(dir));
    expect(code).toBe('UNSAFE_PATH');
    expect(message).toMatchInlineSnapshot(`"support-agent/3.prompt is a symbolic link that leaves the prompts folder; promptpin reads nothing outside it. Replace the link with the file itself."`);
    await expect(PromptClient.create({ source: dir, watch: false } as Parameters<typeof PromptClient.create>[0])).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    const r = await cli(['check', '--json']);
    expect(r.code).toBe(1);
    expect(r.out + r.err).not.toContain('SECRET');
    expect(JSON.parse(r.out)).toMatchObject({ ok: false, error: { code: 'UNSAFE_PATH' } });
  });

  it('should refuse promptpin.yaml, promptpin.lock or CHANGELOG.md linked outside, and a dangling link', async () => {
    await rm(join(dir, 'promptpin.yaml'));
    await symlink(join(outside, 'secret.txt'), join(dir, 'promptpin.yaml'));
    expect(await codeOf(readFolder(dir))).toMatchObject({ code: 'UNSAFE_PATH', message: expect.stringMatching(/^promptpin\.yaml is a symbolic link that leaves/) });
    await rm(join(dir, 'promptpin.yaml'));
    await symlink(join(outside, 'missing.yaml'), join(dir, 'promptpin.yaml'));
    expect(await codeOf(readFolder(dir))).toMatchObject({ code: 'UNSAFE_PATH', message: expect.stringMatching(/^promptpin\.yaml is a symbolic link to nothing/) });
    await rm(join(dir, 'promptpin.yaml'));
    await symlink(join(outside, 'secret.txt'), join(dir, 'CHANGELOG.md'));
    const r = await cli(['log', '--json']);
    expect(JSON.parse(r.out)).toMatchObject({ ok: false, error: { code: 'UNSAFE_PATH' } });
    expect(r.out).not.toContain('SECRET');
  });

  it('should refuse a .prompt linked to a device outside the folder without opening it', async () => {
    await symlink('/dev/zero', join(dir, 'support-agent', '3.prompt'));
    expect(await codeOf(readFolder(dir))).toMatchObject({ code: 'UNSAFE_PATH' });
  });

  it('should follow a link that stays inside the folder', async () => {
    await mkdir(join(dir, '.drafts'));
    const v1 = await readFile(join(dir, 'support-agent', '1.prompt'), 'utf8');
    await writeFile(join(dir, '.drafts', 'sa-1.prompt'), v1);
    await rm(join(dir, 'support-agent', '1.prompt'));
    await symlink(join('..', '.drafts', 'sa-1.prompt'), join(dir, 'support-agent', '1.prompt'));
    const files = await readFolder(dir);
    expect(files.promptFiles.find((f) => f.path === 'support-agent/1.prompt')?.text).toBe(v1);
    expect((await cli(['check'])).code).toBe(0);
  });
});
