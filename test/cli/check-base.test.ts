/**
 * `promptpin check --base <ref>` in a real git repository (a temp dir, `git init`, commits): a live
 * change of promptpin.yaml made by hand, without its changelog line, is refused; the same change
 * made with the promptpin verb (which writes the line) passes.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addChangelogEntry, diffReleases, liveChangeProblems } from '../../src/authoring.js';
import { run, tempProject } from './helpers.js';

type Project = Awaited<ReturnType<typeof tempProject>>;
let p: Project;

const GIT_ENV = { PATH: process.env.PATH ?? '', HOME: tmpdir(), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LC_ALL: 'C' };
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=ci', '-c', 'user.email=ci@example.com', '-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args], { cwd, env: GIT_ENV, encoding: 'utf8' });
}
function commitAll(message: string): void {
  git(p.cwd, 'add', '-A');
  git(p.cwd, 'commit', '-q', '--allow-empty', '-m', message);
}
const line = (prompt: string, environment: string, change: string, expected = ''): { date: string; author: string; prompt: string; environment: string; change: string; why: string; expected: string; observed: string } => ({
  date: '2027-01-15T09:00:00Z',
  author: 'bo',
  prompt,
  environment,
  change,
  why: 'by hand, reviewed in the PR',
  expected,
  observed: '',
});

beforeEach(async () => {
  p = await tempProject();
  git(p.cwd, 'init', '-q');
  commitAll('prompts');
  git(p.cwd, 'branch', 'base');
});
afterEach(async () => {
  await p.cleanup();
});

describe('promptpin check --base', () => {
  it('should pass when nothing live changed, and still warn about the stale rollout', async () => {
    const r = await run(p.cwd, ['check', '--base', 'base']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('0 live changes since base. No problems.');
    // examples/prompts: started 2026-11-20T15:00:00Z with a 24h window; the test clock is 2027-01-15.
    expect(r.stdout).toMatch(/^⚠ prompts\/promptpin\.yaml:\d+: support-agent in production: rollout v2 at 10% is stale: its 24h window closed at 2026-11-21T15:00:00Z, so no guard judges it any more\. Promote or roll back: promptpin promote support-agent · promptpin rollback support-agent --reason "…"$/m);
    const json = JSON.parse((await run(p.cwd, ['check', '--base', 'base', '--json'])).stdout) as { ok: boolean; stale: unknown[]; base: { changes: unknown[]; commit: string } };
    expect(json.ok).toBe(true);
    expect(json.stale).toEqual([expect.objectContaining({ prompt: 'support-agent', environment: 'production', since: '2026-11-21T15:00:00Z' })]);
    expect(json.base.changes).toEqual([]);
    expect(json.base.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('should not call a rollout stale inside its window (injected clock)', async () => {
    const r = await run(p.cwd, ['check', '--json'], { now: () => new Date('2026-11-21T14:59:59Z') });
    expect((JSON.parse(r.stdout) as { stale: unknown[] }).stale).toEqual([]);
  });

  it('should refuse a stable flip by hand without its changelog line, naming the file and line, and accept it with the line', async () => {
    await p.write('promptpin.yaml', (await p.read('promptpin.yaml')).replace('support-agent: { stable: 2 }', 'support-agent: { stable: 1 }'));
    const refused = await run(p.cwd, ['check', '--base', 'base']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/✖ prompts\/promptpin\.yaml:25 \(support-agent, field environments\.staging\.support-agent\.stable\): "support-agent" in staging: stable v2 → v1, without its changelog line: .*CHANGELOG\.md line for support-agent in staging.*\(compared with base\)/);
    // The same edit committed on the branch is still refused against the base.
    commitAll('flip');
    expect((await run(p.cwd, ['check', '--base', 'base'])).code).toBe(1);
    await p.write('CHANGELOG.md', addChangelogEntry(undefined, line('support-agent', 'staging', 'rollback v2 → v1 (hand edit during the incident)')));
    const ok = await run(p.cwd, ['check', '--base', 'base']);
    expect(ok.stdout).toContain('1 live change since base, each with its changelog line. No problems.');
    expect(ok.code).toBe(0);
  });

  it('should not count a changelog line the base already had, nor one older than the base\'s newest line', async () => {
    await p.write('CHANGELOG.md', addChangelogEntry(undefined, line('support-agent', 'staging', 'promote v2')));
    commitAll('log');
    git(p.cwd, 'branch', '-f', 'base');
    await p.write('promptpin.yaml', (await p.read('promptpin.yaml')).replace('support-agent: { stable: 2 }', 'support-agent: { stable: 1 }'));
    expect((await run(p.cwd, ['check', '--base', 'base'])).code).toBe(1);
    const older = { ...line('support-agent', 'staging', 'rollback v2 → v1'), date: '2027-01-14T09:00:00Z' };
    await p.write('CHANGELOG.md', addChangelogEntry(await p.read('CHANGELOG.md'), older));
    expect((await run(p.cwd, ['check', '--base', 'base'])).code).toBe(1);
    // A line for another environment does not count either.
    await p.write('CHANGELOG.md', addChangelogEntry(await p.read('CHANGELOG.md'), line('support-agent', 'production', 'rollback v2 → v1')));
    expect((await run(p.cwd, ['check', '--base', 'base'])).code).toBe(1);
    await p.write('CHANGELOG.md', addChangelogEntry(await p.read('CHANGELOG.md'), line('support-agent', 'staging', 'rollback v2 → v1')));
    expect((await run(p.cwd, ['check', '--base', 'base'])).code).toBe(0);
  });

  it('should refuse a percent ramp by hand without its line, and accept promptpin ramp (which writes it)', async () => {
    await p.write('promptpin.yaml', (await p.read('promptpin.yaml')).replace('percent: 10', 'percent: 50'));
    const refused = await run(p.cwd, ['check', '--base', 'base']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/✖ prompts\/promptpin\.yaml:7 \(support-agent, field environments\.production\.support-agent\.rollout\.percent\): "support-agent" in production: rollout v2 at 10% → 50%, without its changelog line/);
    await p.write('promptpin.yaml', (await p.read('promptpin.yaml')).replace('percent: 50', 'percent: 10'));
    expect((await run(p.cwd, ['ramp', 'support-agent', '50'])).code).toBe(0);
    const ok = await run(p.cwd, ['check', '--base', 'base']);
    expect(ok.stdout).toContain('1 live change since base');
    expect(ok.code).toBe(0);
  });

  it('should accept promptpin promote (a stable flip and the rollout\'s end, one line)', async () => {
    expect((await run(p.cwd, ['promote', 'support-agent'])).code).toBe(0);
    const r = await run(p.cwd, ['check', '--base', 'base', '--json']);
    const body = JSON.parse(r.stdout) as { ok: boolean; base: { changes: { kind: string }[] } };
    expect(body.base.changes.map((c) => c.kind)).toEqual(['stable', 'rollout-ended']);
    expect(body.ok).toBe(true);
    expect(r.code).toBe(0);
  });

  it('should refuse a new rollout written by hand without guards (the loader) and without its line', async () => {
    await p.write('promptpin.yaml', (await p.read('promptpin.yaml')).replace('support-agent: { stable: 2 }', 'support-agent: { stable: 2, rollout: { candidate: 1, percent: 5, expected: "Refusal rate unchanged, output length falls." } }'));
    const r = await run(p.cwd, ['check', '--base', 'base']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('a rollout needs guards');
    expect(r.stdout).toMatch(/"support-agent" in staging: rollout v1 at 5%, without its changelog line/);
  });

  it('should refuse a hand-written rollout whose line has no expected note; accept it with the note', async () => {
    await p.write('promptpin.yaml', (await p.read('promptpin.yaml')).replace('support-agent: { stable: 2 }', 'support-agent: { stable: 2, rollout: { candidate: 1, percent: 5, expected: "Refusal rate unchanged, output length falls.", guards: [{ signal: refusal, max_increase: 0.5pp }] } }'));
    await p.write('CHANGELOG.md', addChangelogEntry(undefined, line('support-agent', 'staging', 'rollout v1 at 5%')));
    const r = await run(p.cwd, ['check', '--base', 'base']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/rollout v1 at 5%: its changelog line \(CHANGELOG\.md:\d+\) has no expected effect/);
    await p.write('CHANGELOG.md', addChangelogEntry(undefined, line('support-agent', 'staging', 'rollout v1 at 5%', 'Refusal rate unchanged, output length falls.')));
    expect((await run(p.cwd, ['check', '--base', 'base'])).code).toBe(0);
  });

  it('should refuse a guard loosened by hand while the rollout runs', async () => {
    await p.write('promptpin.yaml', (await p.read('promptpin.yaml')).replace('max_increase: 0.5pp', 'max_increase: 5pp'));
    const r = await run(p.cwd, ['check', '--base', 'base']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/"support-agent" in production: rollout guards changed while it runs, without its changelog line/);
  });

  it('should treat a release file absent at the base as all new', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'promptpin-nobase-'));
    try {
      git(empty, 'init', '-q');
      git(empty, 'commit', '-q', '--allow-empty', '-m', 'empty');
      git(empty, 'branch', 'base');
      await mkdir(join(empty, 'prompts'));
      execFileSync('cp', ['-r', `${p.dir}/.`, join(empty, 'prompts')]);
      const r = await run(empty, ['check', '--base', 'base', '--json']);
      const body = JSON.parse(r.stdout) as { issues: { message: string }[] };
      expect(r.code).toBe(1);
      expect(body.issues.map((i) => i.message.split(',')[0])).toEqual([
        '"support-agent" in production: newly released: stable v1; rollout v2 at 10%',
        '"billing/refund-agent" in production: newly released: stable v1',
        '"support-agent" in staging: newly released: stable v2',
        '"billing/refund-agent" in staging: newly released: stable v1',
      ]);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('should exit 2 with a clear usage error for a ref that does not exist, an option-like ref, or a folder outside git', async () => {
    const missing = await run(p.cwd, ['check', '--base', 'origin/nope']);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^promptpin check: --base "origin\/nope": no such commit in this repository\. In CI, fetch the base branch first/);
    const option = await run(p.cwd, ['check', '--base=--output=/tmp/x']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain('is not a git ref');
    const outside = await mkdtemp(join(tmpdir(), 'promptpin-nogit-'));
    try {
      execFileSync('cp', ['-r', p.dir, outside]);
      await writeFile(join(outside, '.keep'), '');
      const r = await run(outside, ['check', '--base', 'main'], { env: { GIT_CEILING_DIRECTORIES: tmpdir() } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^promptpin check: --base needs a git checkout: prompts is not inside a git work tree/);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});

describe('promptpin check --base: a base that cannot be read', () => {
  it('should compare everything as new when promptpin.yaml at the base is not valid YAML, and say so', async () => {
    const good = await p.read('promptpin.yaml');
    await p.write('promptpin.yaml', `${good}  staging: [\n`);
    commitAll('broken');
    git(p.cwd, 'branch', '-f', 'base');
    await p.write('promptpin.yaml', good);
    const r = await run(p.cwd, ['check', '--base', 'base']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('⚠ promptpin.yaml at base is not valid YAML: every release is compared as new');
    expect(r.stdout).toContain('"support-agent" in staging: newly released: stable v2, without its changelog line');
  });
});

describe('diffReleases (pure)', () => {
  it('should stay linear: 20,000 releases and 20,000 changelog lines, every one logged', () => {
    const n = 20_000;
    const rel = (stable: number): string => `environments:\n  prod:\n${Array.from({ length: n }, (_, i) => `    p${i}: { stable: ${stable} }\n`).join('')}`;
    const rows = Array.from({ length: n }, (_, i) => `| 2027-01-15T09:00:00Z | bo | p${i} | prod | promote v2 | | | |`).join('\n');
    const log = `| Date | Author | Prompt | Env | Change | Why | Expected | Observed |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n${rows}\n`;
    const { changes, problems } = liveChangeProblems({ baseRelease: rel(1), headRelease: rel(2), baseChangelog: undefined, headChangelog: log });
    expect(changes).toHaveLength(n);
    expect(problems).toEqual([]);
  });

  it('should cut a hostile value in its message', () => {
    const { problems } = liveChangeProblems({ baseRelease: 'environments: { prod: { a: { stable: 1 } } }', headRelease: `environments: { prod: { a: { stable: "${'x'.repeat(100_000)}" } } }`, baseChangelog: undefined, headChangelog: undefined });
    expect(problems[0]!.message.length).toBeLessThan(500);
    expect(problems[0]!.message).toMatch(/stable v1 → vx{77}…, without/);
  });


  it('should list no change for the same text, reformatted', () => {
    expect(diffReleases('environments: { prod: { a: { stable: 1 } } }', 'environments:\n  prod:\n    a:\n      stable: 1\n      overrides: { qa: 2 }\n')).toEqual([]);
  });

  it('should see a release removed and an environment removed', () => {
    const changes = diffReleases('environments: { prod: { a: { stable: 1 }, b: { stable: 2 } }, dev: { a: { stable: 1 } } }', 'environments: { prod: { a: { stable: 1 } } }');
    expect(changes.map((c) => `${c.environment}/${c.prompt}: ${c.kind}`)).toEqual(['prod/b: release-removed', 'dev/a: release-removed']);
    const { problems } = liveChangeProblems({ baseRelease: 'environments: { prod: { b: { stable: 2 } } }', headRelease: 'environments: {}', baseChangelog: undefined, headChangelog: undefined });
    expect(problems[0]?.message).toMatch(/^"b" in prod: release removed \(was stable v2\), without its changelog line/);
  });
});
