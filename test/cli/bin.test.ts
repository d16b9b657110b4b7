/**
 * The built binary as a real process: the only CLI tests that spawn node. Everything else runs the
 * CLI in process (helpers.run); these pin what only a process shows: the shebang and executable
 * bit, exit codes, stdin and stdout as pipes, the version from the installed package.json.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, ROOT, runBin, tempProject } from './helpers.js';

type Project = Awaited<ReturnType<typeof tempProject>>;

beforeAll(() => {
  ensureBuilt();
}, 130_000);

let p: Project;
beforeEach(async () => {
  p = await tempProject();
});
afterEach(async () => {
  await p.cleanup();
});

describe('the promptpin bin (dist/cli.js, a real process)', () => {
  it('should be an executable with a node shebang that prints the package version', async () => {
    expect((await readFile(CLI, 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect((await stat(CLI)).mode & 0o111).not.toBe(0);
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    // Run through the shebang (no `node` in front), as npm's bin link does.
    const out = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(CLI, ['--version'], { cwd: p.cwd, encoding: 'utf8', timeout: 20_000 }, (err, stdout) => resolve({ code: err ? Number((err as { code?: unknown }).code ?? -1) : 0, stdout }));
    });
    expect(out).toEqual({ code: 0, stdout: `${pkg.version}\n` });
  });

  it('should exit 2 on a usage error, with the usage on stderr and nothing on stdout', async () => {
    const none = await runBin(p.cwd, []);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('Usage: promptpin <verb>');
    const unknown = await runBin(p.cwd, ['check', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--bogus'");
  });

  it('should exit 0 on a passing check and 1 on a failing one, reporting on stdout', async () => {
    const ok = await runBin(p.cwd, ['check']);
    expect(ok.stdout).toContain('No problems.');
    expect(ok.code).toBe(0);
    await p.write('promptpin.yaml', (await p.read('promptpin.yaml')).replace('stable: 1\n      rollout', 'stable: 7\n      rollout'));
    const bad = await runBin(p.cwd, ['check', '--json']);
    expect(bad.code).toBe(1);
    expect((JSON.parse(bad.stdout) as { ok: boolean }).ok).toBe(false);
  });

  it('should read --from - from stdin and write the result as JSON on stdout', async () => {
    expect((await runBin(p.cwd, ['lock'])).code).toBe(0);
    const template = (await p.read('support-agent/2.prompt')).split(/\n---\n/).slice(1).join('\n---\n').replace('Be direct', 'Be very direct');
    const r = await runBin(p.cwd, ['publish', 'support-agent', '--from', '-', '--message', 'From a pipe', '--json'], { input: template });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, prompt: 'support-agent', version: 3, author: 'ana', message: 'From a pipe' });
    expect(await p.read('support-agent/3.prompt')).toContain('Be very direct and concise.');
  });
});
