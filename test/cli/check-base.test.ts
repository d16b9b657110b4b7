import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { liveChanges } from '../../src/registry/release-diff.js';
import { run, tempProject } from './helpers.js';

type Project = Awaited<ReturnType<typeof tempProject>>;

// `promptpin check --base <ref>` in CI on a pull request: a live change made by hand (a stable
// flip, a ramp, a new rollout) without its changelog line is refused; the same change made with
// the CLI (which writes the line) passes. A real git repository in a temp dir.
describe('promptpin check --base', () => {
  let p: Project;
  const git = (...args: string[]): string => execFileSync('git', ['-C', p.cwd, ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
  beforeEach(async () => {
    p = await tempProject();
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'base');
  });
  afterEach(async () => {
    await p.cleanup();
  });

  it('should pass when nothing live changed', async () => {
    const r = await run(p.cwd, ['check', '--base', 'main']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No problems');
  });

  it('should refuse a stable flip made by hand, without a changelog line', async () => {
    const yaml = await p.read('promptpin.yaml');
    await p.write('promptpin.yaml', yaml.replace('billing/refund-agent:\n      stable: 1', 'billing/refund-agent:\n      stable: 1\n      overrides: { u1: 1 }').replace('support-agent: { stable: 2 }', 'support-agent: { stable: 1 }'));
    const r = await run(p.cwd, ['check', '--base', 'main']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('stable v2 → v1 in staging since main has no line in CHANGELOG.md');
    expect(r.stdout).toContain('overrides changed in production since main has no line in CHANGELOG.md');
  });

  it('should refuse a percent ramp made by hand, and accept the same ramp made with promptpin ramp', async () => {
    const yaml = await p.read('promptpin.yaml');
    await p.write('promptpin.yaml', yaml.replace('percent: 10', 'percent: 50'));
    const byHand = await run(p.cwd, ['check', '--base', 'main']);
    expect(byHand.code).toBe(1);
    expect(byHand.stdout).toContain('percent 10% → 50% in production since main has no line in CHANGELOG.md');

    await p.write('promptpin.yaml', yaml);
    expect((await run(p.cwd, ['ramp', 'support-agent', '50', '--author', 'ana'])).code).toBe(0);
    const withCli = await run(p.cwd, ['check', '--base', 'main']);
    expect(withCli.stdout).not.toContain('has no line in CHANGELOG.md');
    expect(withCli.code).toBe(0);
  });

  it('should treat a release file absent at the base as all new', async () => {
    git('rm', '-q', '--cached', 'prompts/promptpin.yaml');
    git('commit', '-qm', 'no releases yet');
    const r = await run(p.cwd, ['check', '--base', 'HEAD']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/release added \(stable v1, rollout of v2 at 10%\) in production since HEAD has no line/);
  });

  it('should say so when the base is not a commit, or the folder is not in git', async () => {
    const bad = await run(p.cwd, ['check', '--base', 'no-such-branch']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--base "no-such-branch" is not a commit of this repository');
    execFileSync('rm', ['-rf', `${p.cwd}/.git`]);
    const nogit = await run(p.cwd, ['check', '--base', 'main']);
    expect(nogit.code).toBe(2);
    expect(nogit.stderr).toContain('--base needs the prompts folder');
  });
});

describe('liveChanges', () => {
  it('should name each kind of live change and nothing else', () => {
    const base = 'environments:\n  production:\n    a: { stable: 1 }\n    b: { stable: 1, rollout: { candidate: 2, percent: 10, expected: x, guards: [] } }\n    c: { stable: 1 }\n';
    const head = 'environments:\n  production:\n    a: { stable: 2 }\n    b: { stable: 1 }\n    d: { stable: 1 }\n';
    expect(liveChanges(base, head).map((c) => `${c.prompt}:${c.kind}`)).toEqual(['a:stable', 'b:ended', 'd:added', 'c:removed']);
    expect(liveChanges(base, base)).toEqual([]);
  });
});
