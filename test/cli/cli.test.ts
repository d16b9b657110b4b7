import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseCompiledRegistry } from '../../src/index.js';
import { NOW, run, tempProject } from './helpers.js';

type Project = Awaited<ReturnType<typeof tempProject>>;

const V3_TEMPLATE = `{{#system}}
When the customer needs a booking, use the booking tool first.
You are the support agent for Acme. Be direct and concise. Answer in at most three sentences.
{{/system}}
{{#user}}
{{history}}
Customer {{customer_name}} on the {{plan}} plan asks: {{question}}
{{/user}}
`;

const ROLLOUT = ['rollout', 'support-agent', '--to', '3', '--percent', '10', '--expect', 'Output tokens fall 20-30%; refusal rate unchanged', '--guard', 'refusal:+0.5pp', '--guard', 'output_tokens:40%'];

function changelogRows(text: string): string[] {
  return text.split('\n').filter((l) => /^\| \d{4}-/.test(l));
}

let p: Project;
beforeEach(async () => {
  p = await tempProject();
});
afterEach(async () => {
  await p.cleanup();
});

/** Locks the example versions and publishes support-agent v3 from a bare template. */
async function lockAndPublishV3(): Promise<void> {
  expect((await run(p.cwd, ['lock'])).code).toBe(0);
  await p.write('../v3.txt', V3_TEMPLATE);
  const r = await run(p.cwd, ['publish', 'support-agent', '--from', 'v3.txt', '--message', 'Cap answers at three sentences']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

describe('promptpin usage (exit code 2)', () => {
  it('should exit 2 with the usage when no verb is given', async () => {
    const r = await run(p.cwd, []);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: promptpin <verb>');
  });

  it('should exit 2 on an unknown verb, an unknown option, a missing argument or a malformed number', async () => {
    expect((await run(p.cwd, ['deploy'])).code).toBe(2);
    const unknown = await run(p.cwd, ['check', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--bogus'");
    const missing = await run(p.cwd, ['diff', 'support-agent', '1']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing <B>');
    expect((await run(p.cwd, ['ramp', 'support-agent', 'lots'])).code).toBe(2);
    expect((await run(p.cwd, [...ROLLOUT.slice(0, 2), '--percent', '10'])).code).toBe(2);
    expect((await run(p.cwd, [...ROLLOUT, '--guard', 'refusal:0.5pp'])).code).toBe(2);
    expect((await run(p.cwd, ['log', '--since', 'last tuesday'])).code).toBe(2);
  });

  it('should exit 0 for --help, globally and per verb', async () => {
    const r = await run(p.cwd, ['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('rollback <name> [--to N] --reason');
    const v = await run(p.cwd, ['rollout', '--help']);
    expect(v.code).toBe(0);
    expect(v.stdout).toContain('--guard');
  });
});

describe('promptpin lock and check', () => {
  it('should fail check on versions missing from the lock, then pass after lock', async () => {
    await rm(join(p.dir, 'promptpin.lock'), { force: true });
    const before = await run(p.cwd, ['check']);
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('prompts/support-agent/2.prompt (support-agent v2): support-agent v2 is not in promptpin.lock');
    expect(before.stdout).toContain('3 problems in prompts.');

    const lock = await run(p.cwd, ['lock']);
    expect(lock.code).toBe(0);
    expect(lock.stdout).toContain('Locked 3 versions');
    const lockFile = parse(await p.read('promptpin.lock')) as { prompts: Record<string, Record<string, string>> };
    expect(Object.keys(lockFile.prompts['support-agent']!)).toEqual(['1', '2']);
    expect(lockFile.prompts['billing/refund-agent']!['1']).toMatch(/^sha256:[0-9a-f]{64}$/);

    const after = await run(p.cwd, ['check']);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('3 examples rendered. No problems.');
    expect((await run(p.cwd, ['lock'])).stdout).toContain('Nothing to lock');
  });

  it('should catch a released version edited in place, naming the file and the version', async () => {
    expect((await run(p.cwd, ['lock'])).code).toBe(0);
    const v1 = await p.read('support-agent/1.prompt');
    await p.write('support-agent/1.prompt', v1.replace('friendly, thorough way', 'friendly, brief way'));
    const r = await run(p.cwd, ['check']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✖ prompts\/support-agent\/1\.prompt \(support-agent v1\): support-agent v1 was edited in place \(locked sha256:[0-9a-f]{12}, file now sha256:[0-9a-f]{12}\): restore v1 from git and publish the change as v3/);
    const json = await run(p.cwd, ['check', '--json']);
    expect(json.code).toBe(1);
    const body = JSON.parse(json.stdout) as { ok: boolean; issues: { code: string; file: string; prompt: string; version: number }[] };
    expect(body.ok).toBe(false);
    expect(body.issues).toEqual([expect.objectContaining({ code: 'VERSION_IMMUTABLE', file: 'prompts/support-agent/1.prompt', prompt: 'support-agent', version: 1 })]);
  });

  it('should render every version against its examples and report the one that fails, with its line', async () => {
    await p.write('billing/refund-agent/2.prompt', `---
model: claude-sonnet-4-5
variables:
  order_id: string
  amount: number
message: Amounts as numbers
examples:
  - { order_id: A-1, amount: 3 }
  - { order_id: A-2, amount: "12 EUR" }
---
Refund order {{order_id}} of {{amount}}?
`);
    const r = await run(p.cwd, ['check']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✖ prompts/billing/refund-agent/2.prompt:9 (billing/refund-agent v2, field examples.1): example 2 does not render');
    expect(r.stdout).toContain('amount: expected a number, got string');
  });

  it('should find the line of a failing example after a message ending in "---"', async () => {
    await p.write('billing/refund-agent/2.prompt', `---
model: claude-sonnet-4-5
variables:
  order_id: string
  amount: number
message: Amounts as numbers ---
examples:
  - { order_id: A-1, amount: 3 }
  - { order_id: A-2, amount: "12 EUR" }
---
Refund order {{order_id}} of {{amount}}?
`);
    const r = await run(p.cwd, ['check']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✖ prompts/billing/refund-agent/2.prompt:9 (billing/refund-agent v2, field examples.1): example 2 does not render');
  });
});

describe('promptpin publish', () => {
  it('should write the next version with author and message, lock it and log one line', async () => {
    expect((await run(p.cwd, ['lock'])).code).toBe(0);
    await p.write('../v3.prompt', `---\nmodel: gpt-4o-mini\nprovider: openai\nparams: { temperature: 0.2, max_tokens: 400 }\nvariables:\n  customer_name: string\n  plan: { enum: [free, pro, enterprise] }\n  question: string\n---\nHi {{customer_name}} ({{plan}}): {{question}}\n`);
    const r = await run(p.cwd, ['publish', 'support-agent', '--from', 'v3.prompt', '--message', 'One-line prompt', '--author', 'bo']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Published support-agent v3');
    expect(r.stdout).toContain('Next: promptpin rollout support-agent --to 3');
    const v3 = await p.read('support-agent/3.prompt');
    expect(v3).toContain('params: { temperature: 0.2, max_tokens: 400 }\n');
    expect(v3).toContain('plan: { enum: [free, pro, enterprise] }\n');
    expect(v3).toContain('author: bo\nmessage: One-line prompt\n');
    const lock = parse(await p.read('promptpin.lock')) as { prompts: Record<string, Record<string, string>> };
    expect(Object.keys(lock.prompts['support-agent']!)).toEqual(['1', '2', '3']);
    const rows = changelogRows(await p.read('CHANGELOG.md'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^\| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \| bo \| support-agent \| \| publish v3 \| One-line prompt \| \| \|$/);
    expect((await run(p.cwd, ['check'])).code).toBe(0);
  });

  it('should reuse the latest front matter for a bare template, and read --from - from stdin', async () => {
    await lockAndPublishV3();
    const v3 = await p.read('support-agent/3.prompt');
    expect(v3).toContain('history: { type: string, optional: true, default: "" }');
    expect(v3).toContain('message: Cap answers at three sentences');
    expect(v3.endsWith(V3_TEMPLATE)).toBe(true);
    const r = await run(p.cwd, ['publish', 'support-agent', '--from', '-', '--message', 'Four sentences'], { input: V3_TEMPLATE.replace('three', 'four') });
    expect(r.code).toBe(0);
    expect(await p.read('support-agent/4.prompt')).toContain('at most four sentences');
  });

  it('should refuse a version identical to the latest one, and never touch the folder', async () => {
    await lockAndPublishV3();
    const lockBefore = await p.read('promptpin.lock');
    const r = await run(p.cwd, ['publish', 'support-agent', '--from', 'v3.txt', '--message', 'again']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refused: support-agent v4 would be identical to v3');
    await expect(p.read('support-agent/4.prompt')).rejects.toThrow(/ENOENT/);
    expect(await p.read('promptpin.lock')).toBe(lockBefore);
  });

  it('should refuse a change with no author (no --author, no PROMPTPIN_AUTHOR, no git user.name)', async () => {
    await p.write('../v3.txt', V3_TEMPLATE);
    const r = await run(p.cwd, ['publish', 'support-agent', '--from', 'v3.txt', '--message', 'm'], { env: { PROMPTPIN_AUTHOR: undefined } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('a change needs an author');
    await writeGitUser(p.cwd, 'Carla Git');
    const withGit = await run(p.cwd, ['publish', 'support-agent', '--from', 'v3.txt', '--message', 'm'], { env: { PROMPTPIN_AUTHOR: undefined } });
    expect(withGit.code).toBe(0);
    expect(await p.read('support-agent/3.prompt')).toContain('author: Carla Git');
  });

  it('should refuse a template whose placeholders are not declared, listing the file and line', async () => {
    await p.write('../bad.txt', 'Hello {{nickname}}\n');
    const r = await run(p.cwd, ['publish', 'support-agent', '--from', 'bad.txt', '--message', 'use nickname']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ prompts\/support-agent\/3\.prompt:\d+ \(support-agent v3, field template\): placeholder \{\{nickname\}\} is not declared/);
  });

  it('should keep a message ending in "---" inside the front matter (fences are whole lines)', async () => {
    expect((await run(p.cwd, ['lock'])).code).toBe(0);
    await p.write('../v3.txt', V3_TEMPLATE);
    const r = await run(p.cwd, ['publish', 'support-agent', '--from', 'v3.txt', '--message', 'Warmer greeting ---']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const v3 = await p.read('support-agent/3.prompt');
    expect(v3).toContain('\nmessage: Warmer greeting ---\n');
    expect(v3.endsWith(`\n---\n${V3_TEMPLATE}`)).toBe(true);
    // The next bare template reuses v3's front matter: all of it, examples included.
    await p.write('../v4.txt', V3_TEMPLATE.replace('three', 'two'));
    expect((await run(p.cwd, ['publish', 'support-agent', '--from', 'v4.txt', '--message', 'Two sentences ---'])).code).toBe(0);
    const v4 = await p.read('support-agent/4.prompt');
    expect(v4).toBe(v3.replace('Warmer greeting ---', 'Two sentences ---').replace('three', 'two'));
    const check = await run(p.cwd, ['check']);
    expect(check.stdout).toContain('5 versions (all locked), 2 environments, 5 examples rendered. No problems.');
    expect(check.code).toBe(0);
  });

  it('should publish a hand-written draft (the latest, unlocked file) when --from is omitted', async () => {
    await lockAndPublishV3();
    await p.write('support-agent/4.prompt', (await p.read('support-agent/3.prompt')).replace('at most three sentences', 'at most two sentences').replace(/message: .*/, 'message: draft'));
    const r = await run(p.cwd, ['publish', 'support-agent', '--message', 'Two sentences']);
    expect(r.code).toBe(0);
    expect(await p.read('support-agent/4.prompt')).toContain('message: Two sentences');
    expect(parse(await p.read('promptpin.lock')).prompts['support-agent']['4']).toMatch(/^sha256:/);
    const again = await run(p.cwd, ['publish', 'support-agent', '--message', 'x']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('nothing to publish for "support-agent": v4 is already released');
  });
});

async function writeGitUser(home: string, name: string): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(home, '.no-gitconfig'), `[user]\n\tname = ${name}\n`);
}

describe('promptpin rollout', () => {
  it('should start a rollout in promptpin.yaml, keeping comments, with started, author and the default salt', async () => {
    await lockAndPublishV3();
    expect((await run(p.cwd, ['promote', 'support-agent'])).code).toBe(0);
    const yamlText = await p.read('promptpin.yaml');
    await p.write('promptpin.yaml', `# Releases: reviewed like code.\n${yamlText.replace('stable: 2\n', 'stable: 2 # promoted after the v2 rollout\n')}`);
    const r = await run(p.cwd, [...ROLLOUT, '--window', '24h']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Started a rollout of support-agent in production: v3 serves 10% of units, v2 the rest.');
    expect(r.stdout).toContain('promptpin rollback support-agent --reason "…"');
    const text = await p.read('promptpin.yaml');
    expect(text.startsWith('# Releases: reviewed like code.\n')).toBe(true);
    expect(text).toContain('stable: 2 # promoted after the v2 rollout\n      rollout:\n        candidate: 3\n        percent: 10\n        salt: support-agent@3\n');
    expect(text).toContain('          - { signal: refusal, max_increase: 0.5pp }\n          - { signal: output_tokens, max_change: 40% }\n');
    expect(text).toContain('    support-agent: { stable: 2 }\n');
    const rollout = (parse(text) as { environments: { production: Record<string, { rollout: Record<string, unknown> }> } }).environments.production['support-agent']!.rollout;
    expect(rollout).toMatchObject({ candidate: 3, percent: 10, author: 'ana', expected: 'Output tokens fall 20-30%; refusal rate unchanged', min_samples: 500, window: '24h', on_breach: 'rollback' });
    // The CLI's clock (io.now) is the helper's fixed NOW: `started` is that instant, to the second.
    expect(String(rollout.started)).toBe(NOW.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    const rows = changelogRows(await p.read('CHANGELOG.md'));
    expect(rows[0]).toContain('| ana | support-agent | production | rollout v3 at 10% (stable v2; guards refusal:+0.5pp, output_tokens:40%) | Cap answers at three sentences | Output tokens fall 20-30%; refusal rate unchanged | |');
    expect((await run(p.cwd, ['check'])).code).toBe(0);
  });

  describe('refusals (exit 1, nothing written)', () => {
    let yamlBefore: string;
    beforeEach(async () => {
      await lockAndPublishV3();
      expect((await run(p.cwd, ['promote', 'support-agent'])).code).toBe(0);
      yamlBefore = await p.read('promptpin.yaml');
    });
    const refused = async (args: string[], message: string): Promise<void> => {
      const rowsBefore = changelogRows(await p.read('CHANGELOG.md')).length;
      const r = await run(p.cwd, args);
      expect(r.stderr).toContain(message);
      expect(r.code).toBe(1);
      expect(await p.read('promptpin.yaml')).toBe(yamlBefore);
      expect(changelogRows(await p.read('CHANGELOG.md'))).toHaveLength(rowsBefore);
    };

    it('should refuse a rollout without an expected note', async () => {
      await refused(ROLLOUT.filter((_, i) => i !== 6 && i !== 7), 'the expected effect is missing');
    });
    it('should refuse a vague expected note', async () => {
      await refused(ROLLOUT.map((a, i) => (i === 7 ? 'should be better' : a)), 'the expected effect "should be better" is too vague');
    });
    it('should refuse a rollout without a guard', async () => {
      await refused(ROLLOUT.slice(0, 8), 'without a guard');
    });
    it('should refuse a second concurrent rollout of the same prompt', async () => {
      expect((await run(p.cwd, ROLLOUT)).code).toBe(0);
      yamlBefore = await p.read('promptpin.yaml');
      await refused(ROLLOUT, '"support-agent" in production already has a rollout: v3 at 10%');
    });
    it('should refuse a candidate that is not released (not in the lock)', async () => {
      await p.write('support-agent/4.prompt', (await p.read('support-agent/3.prompt')).replace('three', 'two'));
      await refused(ROLLOUT.map((a, i) => (i === 3 ? '4' : a)), 'support-agent v4 is not released (not in promptpin.lock)');
    });
    it('should refuse a candidate that does not exist', async () => {
      await refused(ROLLOUT.map((a, i) => (i === 3 ? '9' : a)), '"support-agent" has no v9 (versions: 1, 2, 3)');
    });
    it('should refuse "segment" as a guard signal (it is the outcome\'s segment label)', async () => {
      const rowsBefore = changelogRows(await p.read('CHANGELOG.md')).length;
      const r = await run(p.cwd, [...ROLLOUT.slice(0, 8), '--guard', 'segment:+1pp']);
      expect([1, 2]).toContain(r.code);
      expect(r.stderr).toMatch(/"segment" is the outcome's segment label/);
      expect(await p.read('promptpin.yaml')).toBe(yamlBefore);
      expect(changelogRows(await p.read('CHANGELOG.md'))).toHaveLength(rowsBefore);
    });
    it('should answer a refusal as JSON with --json', async () => {
      const r = await run(p.cwd, [...ROLLOUT.slice(0, 8), '--json']);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'CHANGE_REFUSED' } });
    });
  });
});

describe('promptpin ramp, promote, rollback', () => {
  beforeEach(async () => {
    await lockAndPublishV3();
    expect((await run(p.cwd, ['promote', 'support-agent'])).code).toBe(0);
    expect((await run(p.cwd, ROLLOUT)).code).toBe(0);
  });
  const release = async (): Promise<{ stable: number; rollout?: { candidate: number; percent: number } }> =>
    (parse(await p.read('promptpin.yaml')) as { environments: { production: Record<string, { stable: number; rollout?: { candidate: number; percent: number } }> } }).environments.production['support-agent']!;

  it('should ramp the rollout and log one line', async () => {
    const r = await run(p.cwd, ['ramp', 'support-agent', '50', '--reason', 'guards quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('v3 now serves 50% of units (was 10%)');
    expect((await release()).rollout).toMatchObject({ candidate: 3, percent: 50 });
    expect(changelogRows(await p.read('CHANGELOG.md'))[0]).toContain('| ramp v3 10% → 50% | guards quiet |');
    const same = await run(p.cwd, ['ramp', 'support-agent', '50']);
    expect(same.code).toBe(1);
    expect(same.stderr).toContain('already at 50%');
  });

  it('should promote the candidate to stable and remove the rollout', async () => {
    const r = await run(p.cwd, ['promote', 'support-agent']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('To reverse: promptpin rollback support-agent --to 2 --reason "…"');
    expect(await release()).toEqual({ stable: 3, overrides: { 'qa-user-1': 2 } });
    expect(changelogRows(await p.read('CHANGELOG.md'))[0]).toContain('| promote v3 (was v2; rollout ended at 10%) |');
  });

  it('should roll back the rollout (stable serves everyone), one line in the changelog', async () => {
    const rows = changelogRows(await p.read('CHANGELOG.md')).length;
    const r = await run(p.cwd, ['rollback', 'support-agent', '--reason', 'refusals +1.2pp']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Rolled back support-agent in production: v2 serves everyone (rollout of v3 at 10% ended).');
    expect(await release()).toEqual({ stable: 2, overrides: { 'qa-user-1': 2 } });
    const after = changelogRows(await p.read('CHANGELOG.md'));
    expect(after).toHaveLength(rows + 1);
    expect(after[0]).toMatch(/^\| \S+ \| ana \| support-agent \| production \| rollback v3 → v2 \(rollout of v3 at 10% ended\) \| refusals \+1\.2pp \| \| \|$/);
    expect((await run(p.cwd, ['check'])).code).toBe(0);
  });

  it('should roll back to an earlier version with --to, and refuse without a reason', async () => {
    const noReason = await run(p.cwd, ['rollback', 'support-agent', '--to', '1']);
    expect(noReason.code).toBe(1);
    expect(noReason.stderr).toContain('a rollback needs a reason');
    const r = await run(p.cwd, ['rollback', 'support-agent', '--to', '1', '--reason', 'v2 and v3 both regress']);
    expect(r.code).toBe(0);
    expect(await release()).toEqual({ stable: 1, overrides: { 'qa-user-1': 2 } });
    expect(changelogRows(await p.read('CHANGELOG.md'))[0]).toContain('| rollback to v1 (was v2; rollout of v3 at 10% ended) | v2 and v3 both regress |');
    const nothing = await run(p.cwd, ['rollback', 'support-agent', '--reason', 'again']);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain('has no rollout to roll back');
  });

  it('should work on another environment and folder with --env and --dir', async () => {
    const r = await run(p.cwd, ['promote', 'support-agent', '--to', '3', '--env', 'staging', '--dir', './prompts', '--reason', 'staging first']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('To reverse: promptpin rollback support-agent --to 2 --reason "…" --env staging --dir ./prompts');
    const staging = (parse(await p.read('promptpin.yaml')) as { environments: { staging: Record<string, unknown> } }).environments.staging;
    expect(staging['support-agent']).toEqual({ stable: 3 });
  });
});

describe('promptpin log and outcome', () => {
  it('should list changes newest first, filtered by --since and name', async () => {
    await lockAndPublishV3();
    expect((await run(p.cwd, ['promote', 'support-agent'])).code).toBe(0);
    expect((await run(p.cwd, ROLLOUT)).code).toBe(0);
    const old = new Date(NOW.getTime() - 10 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const text = await p.read('CHANGELOG.md');
    await p.write('CHANGELOG.md', `${text}| ${old} | bo | billing/refund-agent | production | promote v1 (first release) | Refund triage | | |\n`);

    const week = await run(p.cwd, ['log', '--since', '7d', '--json']);
    expect(week.code).toBe(0);
    const entries = JSON.parse(week.stdout) as { action: string; prompt: string; date: string }[];
    // The promote ran after the publish: within the same second, the file's order (newest first) decides.
    expect(entries.map((e) => e.action)).toEqual(['rollout', 'promote', 'publish']);
    expect(entries.every((e) => e.prompt === 'support-agent')).toBe(true);
    expect([...entries].sort((a, b) => Date.parse(b.date) - Date.parse(a.date)).map((e) => e.date)).toEqual(entries.map((e) => e.date));

    const month = await run(p.cwd, ['log', '--since', '30d']);
    expect(month.stdout).toContain(`${old}  bo  billing/refund-agent (production)`);
    expect((await run(p.cwd, ['log', 'billing/refund-agent', '--since', '48h'])).stdout).toContain('No changes of billing/refund-agent since');
    const byDate = JSON.parse((await run(p.cwd, ['log', '--since', old.slice(0, 10), '--json'])).stdout) as unknown[];
    expect(byDate).toHaveLength(4);
  });

  it('should record the observed outcome on the latest change of a prompt', async () => {
    await lockAndPublishV3();
    expect((await run(p.cwd, ['promote', 'support-agent'])).code).toBe(0);
    expect((await run(p.cwd, ROLLOUT)).code).toBe(0);
    const r = await run(p.cwd, ['outcome', 'support-agent', 'Output tokens -24% | refusals flat']);
    expect(r.code).toBe(0);
    const rows = changelogRows(await p.read('CHANGELOG.md'));
    expect(rows[0]).toMatch(/\| Output tokens -24% \\\| refusals flat \|$/);
    expect(rows.slice(1).every((row) => row.endsWith('| |'))).toBe(true);
    const log = JSON.parse((await run(p.cwd, ['log', 'support-agent', '--json'])).stdout) as { observed: string }[];
    expect(log[0]!.observed).toBe('Output tokens -24% | refusals flat');
    expect((await run(p.cwd, ['outcome', 'billing/refund-agent', 'x'])).code).toBe(1);
  });
});

describe('promptpin diff', () => {
  it('should flag breaking changes: new required variable, removed variable, changed type, changed model', async () => {
    await p.write('support-agent/3.prompt', `---
model: gpt-4o
provider: openai
params: { temperature: 0.4, max_tokens: 400 }
variables:
  customer_name: string
  plan: { enum: [free, pro] }
  tone: string
  history: { type: string, optional: true, default: "" }
message: Tone-aware
---
{{#system}}
Answer in a {{tone}} tone.
{{/system}}
{{#user}}
{{history}}
Customer {{customer_name}} on the {{plan}} plan asks.
{{/user}}
`);
    const r = await run(p.cwd, ['diff', 'support-agent', '2', '3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('model:         gpt-4o-mini → gpt-4o');
    expect(r.stdout).toContain('params:        temperature 0.2 → 0.4');
    expect(r.stdout).toContain('BREAKING (4):');
    expect(r.stdout).toContain('! model changed: gpt-4o-mini → gpt-4o');
    expect(r.stdout).toContain('! variable "question" removed');
    expect(r.stdout).toContain('! new required variable "tone" (string): callers of v2 do not pass it');
    expect(r.stdout).toContain('! variable "plan" changed type: enum [free, pro, enterprise] → enum [free, pro]');
    expect(r.stdout).toContain('--- support-agent/2.prompt\tv2 template\n+++ support-agent/3.prompt\tv3 template\n@@');
    expect(r.stdout).toContain('+Answer in a {{tone}} tone.');
    const json = JSON.parse((await run(p.cwd, ['diff', 'support-agent', '2', '3', '--json'])).stdout) as { breaking: string[]; variables: { name: string; change: string }[] };
    expect(json.breaking).toHaveLength(4);
    expect(json.variables).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'tone', change: 'added' }), expect.objectContaining({ name: 'question', change: 'removed' })]));
  });

  it('should report a compatible change as not breaking, and refuse a missing version', async () => {
    const r = await run(p.cwd, ['diff', 'support-agent', '1', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('+ history: string, optional, default ""');
    expect(r.stdout).toContain('No breaking changes.');
    const missing = await run(p.cwd, ['diff', 'support-agent', '1', '7']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('"support-agent" has no v7 (versions: 1, 2)');
  });
});

describe('promptpin explain and status', () => {
  it('should give the four answers for a running rollout, with the exact rollback command', async () => {
    await lockAndPublishV3();
    expect((await run(p.cwd, ['promote', 'support-agent'])).code).toBe(0);
    expect((await run(p.cwd, ROLLOUT)).code).toBe(0);
    const r = await run(p.cwd, ['explain', 'support-agent']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1. What changed:    v2 → v3: template  (promptpin diff support-agent 2 3)');
    expect(r.stdout).toContain('2. Why:             v3: Cap answers at three sentences (ana)');
    expect(r.stdout).toContain('3. Expected signal: Output tokens fall 20-30%; refusal rate unchanged');
    expect(r.stdout).toContain('guards: refusal:+0.5pp, output_tokens:40%');
    expect(r.stdout).toContain('4. How to reverse:  promptpin rollback support-agent --reason "…"');
    const json = JSON.parse((await run(p.cwd, ['explain', 'support-agent', '--json'])).stdout) as { reverse: string; what: { from: number; to: number } };
    expect(json.what).toMatchObject({ from: 2, to: 3 });
    expect(json.reverse).toBe('promptpin rollback support-agent --reason "…"');
  });

  it('should show per prompt and environment what is live and since when', async () => {
    const r = await run(p.cwd, ['status', '--json']);
    expect(r.code).toBe(0);
    const rows = (JSON.parse(r.stdout) as { rows: { prompt: string; environment: string; stable: number; rollout: { candidate: number; percent: number; started: string; guards: string[] } | null }[] }).rows;
    expect(rows.map((x) => `${x.prompt}@${x.environment}`)).toEqual(['billing/refund-agent@production', 'billing/refund-agent@staging', 'support-agent@production', 'support-agent@staging']);
    expect(rows[2]).toMatchObject({ stable: 1, rollout: { candidate: 2, percent: 10, started: '2026-11-20T15:00:00Z', guards: ['refusal:+0.5pp', 'tool_call:-5pp', 'output_tokens:25%'] } });
    const human = await run(p.cwd, ['status', 'support-agent', '--env', 'production']);
    expect(human.stdout).toContain('rollout v2 at 10% since 2026-11-20T15:00:00Z by ana');
    expect(human.stdout).not.toContain('staging');
  });

  it('should still show versions and the last logged change when promptpin.yaml is not valid YAML (exit 1)', async () => {
    expect((await run(p.cwd, ['rollback', 'support-agent', '--reason', 'refusals up 2pp'])).code).toBe(0);
    await p.write('promptpin.yaml', `${await p.read('promptpin.yaml')}  staging: [\n`);
    const r = await run(p.cwd, ['status']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^promptpin status: prompts\/promptpin\.yaml:\d+: invalid YAML: .*: stable versions and rollouts cannot be shown\. Clients keep serving their last valid registry\./);
    expect(r.stdout).toContain('billing/refund-agent (latest v1)\n');
    expect(r.stdout).toMatch(/support-agent \(latest v2\)\n {2}production {3}release unknown \(promptpin\.yaml unreadable\); last change \d{4}-[\dT:-]+Z by ana: rollback v2 → v1 \(rollout of v2 at 10% ended\)\n/);
    const json = await run(p.cwd, ['status', 'support-agent', '--json']);
    expect(json.code).toBe(1);
    const body = JSON.parse(json.stdout) as { ok: boolean; error: { code: string; message: string }; rows: { prompt: string; environment: string | null; latestVersion: number; stable: null; lastChange: { change: string } | null }[] };
    expect(body.ok).toBe(false);
    expect(body.error.code).toBe('INVALID_CONFIG');
    expect(body.rows).toEqual([expect.objectContaining({ prompt: 'support-agent', environment: 'production', latestVersion: 2, stable: null, lastChange: expect.objectContaining({ change: 'rollback v2 → v1 (rollout of v2 at 10% ended)' }) })]);
  });
});

describe('promptpin build and types', () => {
  it('should write the compiled registry atomically, loadable by parseCompiledRegistry', async () => {
    const r = await run(p.cwd, ['build', '-o', 'out/registry.json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Wrote out\/registry\.json: 2 prompts, 3 versions, 2 environments, revision sha256:/);
    const json = JSON.parse(await readFile(join(p.cwd, 'out', 'registry.json'), 'utf8')) as unknown;
    const registry = parseCompiledRegistry(json);
    expect(registry.environments.get('production')?.get('support-agent')?.rollout?.candidate).toBe(2);
    const stdout = await run(p.cwd, ['build']);
    expect(JSON.parse(stdout.stdout)).toEqual(json);
  });

  it('should refuse to build an invalid folder (exit 1, every problem listed)', async () => {
    await p.write('promptpin.yaml', (await p.read('promptpin.yaml')).replace('stable: 1\n      rollout', 'stable: 7\n      rollout'));
    const r = await run(p.cwd, ['build']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('prompts/promptpin.yaml:4 (support-agent, field environments.production.support-agent.stable): stable: 7 names a missing version of "support-agent" (known: 1, 2)');
  });

  it('should generate variable declarations merged across referenced versions', async () => {
    const r = await run(p.cwd, ['types']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("declare module 'promptpin' {");
    expect(r.stdout).toContain("    'support-agent': {\n      customer_name: string;\n      /** Only declared by v2. */\n      history?: string;\n      plan: \"free\" | \"pro\" | \"enterprise\";\n      question: string;\n    };");
    expect(r.stdout).toContain("    'billing/refund-agent': {\n      amount: number;\n      order_id: string;\n    };");
    // v1 (stable) and v2 (candidate) are both live and disagree: a call passing history fails on v1.
    expect(r.stderr).toContain('warning: support-agent: variable "history" is declared by v2 but not by v1');
    const out = await run(p.cwd, ['types', '-o', 'src/promptpin-env.d.ts']);
    expect(out.code).toBe(0);
    expect(await readFile(join(p.cwd, 'src', 'promptpin-env.d.ts'), 'utf8')).toContain('// Generated by `promptpin types -o src/promptpin-env.d.ts` from prompts.');
  });
});
