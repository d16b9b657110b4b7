import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isPromptError } from '../../src/errors.js';
import {
  addToLock,
  listReleases,
  preparePublishText,
  promoteRollout,
  rampRollout,
  readRelease,
  releaseVersion,
  rollbackRelease,
  startRollout,
  type StartRolloutOptions,
} from '../../src/registry/edit.js';
import { parseLock } from '../../src/registry/lock.js';
import { parsePromptFile } from '../../src/registry/prompt-file.js';
import { checkFolder } from '../../src/registry/registry.js';

const EXAMPLE = readFileSync(new URL('../../examples/prompts/promptpin.yaml', import.meta.url), 'utf8');
// The example with its rollout already promoted, plus comments that must survive every edit.
const BASE = `# Releases: reviewed like code.
environments:
  production:
    support-agent:
      stable: 2 # promoted 2026-11-23
      overrides:
        qa-user-1: 2
    billing/refund-agent:
      stable: 1
  staging:
    support-agent: { stable: 2 }
`;

const rollout = (over: Partial<StartRolloutOptions> = {}): StartRolloutOptions => ({
  candidate: 3,
  percent: 10,
  expected: 'Output tokens fall 20-30%; refusal rate unchanged.',
  guards: [{ signal: 'refusal', maxIncrease: 0.5 }, { signal: 'output_tokens', maxChange: 40 }],
  author: 'ana',
  started: '2026-11-24T09:00:00Z',
  ...over,
});

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isPromptError(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('startRollout', () => {
  it('should add the rollout right after stable, keeping comments and the rest of the file byte for byte', () => {
    const out = startRollout(BASE, 'production', 'support-agent', rollout({ window: '24h' }));
    expect(out).toBe(`# Releases: reviewed like code.
environments:
  production:
    support-agent:
      stable: 2 # promoted 2026-11-23
      rollout:
        candidate: 3
        percent: 10
        salt: support-agent@3
        started: 2026-11-24T09:00:00Z
        author: ana
        expected: >-
          Output tokens fall 20-30%; refusal rate unchanged.
        guards:
          - { signal: refusal, max_increase: 0.5pp }
          - { signal: output_tokens, max_change: 40% }
        min_samples: 500
        window: 24h
        on_breach: rollback
      overrides:
        qa-user-1: 2
    billing/refund-agent:
      stable: 1
  staging:
    support-agent: { stable: 2 }
`);
  });

  it('should produce a release file the registry accepts, with the rollout as written', () => {
    const out = startRollout(BASE, 'production', 'support-agent', rollout({ salt: 'custom', onBreach: 'alert', minSamples: 200 }));
    const files = { promptFiles: ['1', '2', '3'].map((v) => ({ path: `support-agent/${v}.prompt`, text: `---\nmodel: m\nmessage: v${v}\n---\nHello ${v}\n` })).concat([{ path: 'billing/refund-agent/1.prompt', text: '---\nmodel: m\n---\nRefund?\n' }]), releaseText: out };
    const check = checkFolder(files);
    expect(check.issues).toEqual([]);
    const r = check.registry!.environments.get('production')!.get('support-agent')!.rollout!;
    expect(r).toMatchObject({ candidate: 3, percent: 10, salt: 'custom', onBreach: 'alert', minSamples: 200, author: 'ana', started: '2026-11-24T09:00:00Z' });
  });

  it('should turn a flow-style release into a block when a rollout is added', () => {
    const out = startRollout(BASE, 'staging', 'support-agent', rollout());
    expect(out).toContain('  staging:\n    support-agent:\n      stable: 2\n      rollout:\n        candidate: 3\n');
  });

  it('should refuse a missing or vague expected note, a rollout without guards, and a concurrent rollout', () => {
    expect(refusal(() => startRollout(BASE, 'production', 'support-agent', rollout({ expected: '' })))).toMatchInlineSnapshot(
      `"CHANGE_REFUSED: Cannot start a rollout of "support-agent" in production: the expected effect is missing: say which signal should move and which way, e.g. "Output length falls 10–20%; refusal and tool-call rates unchanged.""`,
    );
    expect(refusal(() => startRollout(BASE, 'production', 'support-agent', rollout({ expected: 'should be better' })))).toContain('is too vague');
    expect(refusal(() => startRollout(BASE, 'production', 'support-agent', rollout({ guards: [] })))).toMatchInlineSnapshot(
      `"CHANGE_REFUSED: Cannot start a rollout of "support-agent" in production without a guard: decide now what regression stops it, e.g. --guard "refusal:+0.5pp" --guard "output_tokens:25%"."`,
    );
    expect(refusal(() => startRollout(EXAMPLE, 'production', 'support-agent', rollout()))).toMatchInlineSnapshot(
      `"CHANGE_REFUSED: "support-agent" in production already has a rollout: v2 at 10% since 2026-11-20T15:00:00Z by ana. One rollout at a time: ramp, promote or roll back v2 first."`,
    );
  });

  it('should refuse a prompt with no stable release, the stable version as candidate, and bad numbers', () => {
    expect(refusal(() => startRollout(BASE, 'production', 'new-prompt', rollout()))).toContain('it has no stable release there to compare against');
    expect(refusal(() => startRollout(BASE, 'production', 'support-agent', rollout({ candidate: 2 })))).toContain('v2 is already stable');
    // One percent rule, one message (src/registry/percent.ts).
    expect(refusal(() => startRollout(BASE, 'production', 'support-agent', rollout({ percent: 10.005 })))).toMatchInlineSnapshot(
      `"CHANGE_REFUSED: Cannot start a rollout of "support-agent" in production: percent 10.005 is not a number from 0 to 100 with at most two decimals (one bucket is 0.01% of units)."`,
    );
    expect(refusal(() => startRollout(BASE, 'production', 'support-agent', rollout({ percent: 101 })))).toMatchInlineSnapshot(
      `"CHANGE_REFUSED: Cannot start a rollout of "support-agent" in production: percent 101 is not a number from 0 to 100 with at most two decimals (one bucket is 0.01% of units)."`,
    );
    expect(refusal(() => startRollout(BASE, 'production', 'support-agent', rollout({ window: 'a day' })))).toContain('is not a duration');
  });
});

describe('rampRollout, promoteRollout, releaseVersion', () => {
  const running = startRollout(BASE, 'production', 'support-agent', rollout());

  it('should change only the percent when ramping', () => {
    const out = rampRollout(running, 'production', 'support-agent', 50);
    expect(out).toBe(running.replace('percent: 10\n', 'percent: 50\n'));
    expect(refusal(() => rampRollout(BASE, 'production', 'support-agent', 50))).toContain('has no rollout to ramp');
    expect(refusal(() => rampRollout(running, 'production', 'support-agent', 10))).toContain('already at 10%');
  });

  it('should make the candidate stable and remove the rollout when promoting', () => {
    const out = promoteRollout(running, 'production', 'support-agent');
    expect(out).toBe(BASE.replace('stable: 2 # promoted', 'stable: 3 # promoted'));
    expect(refusal(() => promoteRollout(BASE, 'production', 'support-agent'))).toContain('has no rollout to promote');
  });

  it('should release a version directly, creating the release and the environment when missing', () => {
    const out = releaseVersion(BASE, 'canary', 'billing/refund-agent', 1);
    expect(out).toBe(`${BASE}  canary:\n    billing/refund-agent:\n      stable: 1\n`);
    expect(releaseVersion(undefined, 'production', 'x', 1)).toBe('environments:\n  production:\n    x:\n      stable: 1\n');
    expect(refusal(() => releaseVersion(running, 'production', 'support-agent', 1))).toContain('has a rollout of v3 running');
    expect(refusal(() => releaseVersion(BASE, 'production', 'support-agent', 2))).toContain('v2 is already stable');
  });
});

describe('rollbackRelease', () => {
  const running = startRollout(BASE, 'production', 'support-agent', rollout());

  it('should remove the rollout so the stable version serves everyone, keeping overrides and comments', () => {
    expect(rollbackRelease(running, 'production', 'support-agent')).toBe(BASE);
  });

  it('should set stable to --to and remove any rollout', () => {
    const out = rollbackRelease(running, 'production', 'support-agent', { to: 1 });
    expect(out).toBe(BASE.replace('stable: 2 # promoted', 'stable: 1 # promoted'));
    expect(readRelease(out, 'production', 'support-agent')).toEqual({ stable: 1, overrides: { 'qa-user-1': 2 } });
  });

  it('should be a no-op for a candidate whose rollout is gone (idempotent across a fleet)', () => {
    const once = rollbackRelease(running, 'production', 'support-agent', { candidate: 3 });
    expect(once).toBe(BASE);
    expect(rollbackRelease(once, 'production', 'support-agent', { candidate: 3 })).toBe(once);
    expect(rollbackRelease(running, 'production', 'support-agent', { candidate: 7 })).toBe(running);
  });

  it('should refuse when there is nothing to roll back', () => {
    expect(refusal(() => rollbackRelease(BASE, 'production', 'support-agent'))).toMatchInlineSnapshot(
      `"CHANGE_REFUSED: "support-agent" in production has no rollout to roll back; v2 serves everyone. To return to an earlier version, pass --to N (e.g. \`promptpin rollback support-agent --to 1 --reason "…"\`)."`,
    );
    expect(refusal(() => rollbackRelease(BASE, 'production', 'support-agent', { to: 2 }))).toContain('nothing to roll back');
    expect(refusal(() => rollbackRelease(BASE, 'production', 'nope'))).toContain('has no release to roll back');
  });
});

describe('readRelease and listReleases', () => {
  it('should read the example release file', () => {
    expect(readRelease(EXAMPLE, 'production', 'support-agent')).toEqual({
      stable: 1,
      rollout: {
        candidate: 2,
        percent: 10,
        salt: 'support-agent@2',
        started: '2026-11-20T15:00:00Z',
        author: 'ana',
        expected: 'Output length falls 10-20%. Tool-call rate and refusal rate unchanged.',
        guards: ['refusal:+0.5pp', 'tool_call:-5pp', 'output_tokens:25%'],
        minSamples: 500,
        window: '24h',
        onBreach: 'rollback',
      },
      overrides: { 'qa-user-1': 2 },
    });
    expect(readRelease(EXAMPLE, 'staging', 'nope')).toBeNull();
    expect(listReleases(EXAMPLE).map((r) => `${r.environment}/${r.prompt}`)).toEqual(['production/support-agent', 'production/billing/refund-agent', 'staging/support-agent', 'staging/billing/refund-agent']);
  });
});

describe('addToLock', () => {
  const h = (c: string) => `sha256:${c.repeat(64)}`;

  it('should add versions and never change a locked hash', () => {
    const text = addToLock(undefined, [{ name: 'a', version: 1, hash: h('a') }]);
    const more = addToLock(text, [{ name: 'a', version: 2, hash: h('b') }, { name: 'a', version: 1, hash: h('a') }]);
    expect([...parseLock(more).lock.get('a')!]).toEqual([[1, h('a')], [2, h('b')]]);
    expect(refusal(() => addToLock(more, [{ name: 'a', version: 1, hash: h('c') }]))).toContain('VERSION_IMMUTABLE: a v1 is locked with sha256:aaaaaaaaaaaa, not sha256:cccccccccccc');
  });
});

describe('preparePublishText', () => {
  const base = `---
model: gpt-4o-mini
params: { temperature: 0.2 }
variables:
  plan: { enum: [free, pro] }
author: bo # original author
message: |
  First version,
  two lines.
examples:
  - { plan: pro }
---
Hello {{plan}}
`;

  it('should set author and message in place, leaving the rest of the front matter as written', () => {
    const out = preparePublishText({ sourceText: base.replace('Hello', 'Hi'), author: 'ana', message: 'Say hi: shorter' });
    expect(out).toBe(base.replace('Hello', 'Hi').replace('bo # original', 'ana # original').replace('|\n  First version,\n  two lines.\n', '"Say hi: shorter"\n'));
    const parsed = parsePromptFile(out, 'p', 2, 'p/2.prompt');
    expect(parsed.ok && [parsed.version.author, parsed.version.message]).toEqual(['ana', 'Say hi: shorter']);
  });

  it("should reuse the base version's front matter for a bare template", () => {
    const out = preparePublishText({ sourceText: 'Bye {{plan}}\n', baseText: base, author: 'ana', message: 'Say bye' });
    expect(out.endsWith('---\nBye {{plan}}\n')).toBe(true);
    expect(out).toContain('params: { temperature: 0.2 }\nvariables:\n  plan: { enum: [free, pro] }\n');
    expect(parse(out.split('---')[1]!)).toMatchObject({ author: 'ana', message: 'Say bye', examples: [{ plan: 'pro' }] });
  });

  it('should append author and message when the file has none, and keep a message when none is given', () => {
    expect(preparePublishText({ sourceText: '---\nmodel: m\n---\nHi\n', author: 'ana', message: 'First' })).toBe('---\nmodel: m\nauthor: ana\nmessage: First\n---\nHi\n');
    expect(preparePublishText({ sourceText: '---\nmodel: m\nmessage: kept\n---\nHi\n', author: 'ana' })).toBe('---\nmodel: m\nmessage: kept\nauthor: ana\n---\nHi\n');
  });

  it('should treat only a whole "---" line as the closing fence, so a message ending in "---" stays in the front matter', () => {
    const dashed = base.replace('message: |\n  First version,\n  two lines.\n', 'message: Warmer greeting ---\n');
    // A draft keeping its own message: the template is exactly what follows the real fence.
    const draft = preparePublishText({ sourceText: dashed, author: 'ana' });
    expect(draft).toBe(dashed.replace('bo # original', 'ana # original'));
    const parsed = parsePromptFile(draft, 'p', 2, 'p/2.prompt');
    expect(parsed.ok && [parsed.version.message, parsed.version.template, parsed.version.examples]).toEqual(['Warmer greeting ---', 'Hello {{plan}}\n', [{ plan: 'pro' }]]);
    // A bare template reusing that front matter keeps all of it (examples included).
    const next = preparePublishText({ sourceText: 'Bye {{plan}}\n', baseText: dashed, author: 'ana', message: 'Say bye ---' });
    expect(next).toBe(dashed.replace('bo # original', 'ana # original').replace('Warmer greeting ---', 'Say bye ---').replace('Hello {{plan}}', 'Bye {{plan}}'));
  });

  it('should refuse a version without a message, and a bare template without a base', () => {
    expect(refusal(() => preparePublishText({ sourceText: '---\nmodel: m\n---\nHi\n', author: 'ana' }))).toContain('A version needs a message');
    expect(refusal(() => preparePublishText({ sourceText: 'Hi\n', author: 'ana', message: 'm' }))).toContain('no earlier version to take it from');
    expect(refusal(() => preparePublishText({ sourceText: 'Hi\n', baseText: base, author: 'ana' }))).toContain('pass --message');
  });
});
