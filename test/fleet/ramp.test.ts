import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPromptError } from '../../src/errors.js';
import { advanceRamp, rampDecision } from '../../src/fleet/ramp.js';
import { GuardMonitor } from '../../src/guards/monitor.js';
import { parseChangelog } from '../../src/registry/changelog.js';
import { readRelease } from '../../src/registry/edit.js';
import { rampStepsProblem } from '../../src/registry/ramp-model.js';
import { checkFolder } from '../../src/registry/registry.js';
import type { Rollout } from '../../src/registry/types.js';
import { readFolder } from '../../src/sources/folder-source.js';
import { run, tempProject } from '../cli/helpers.js';
import { mulberry32 } from '../support/random.js';

type Project = Awaited<ReturnType<typeof tempProject>>;

const base: Rollout = Object.freeze({
  candidate: 2,
  percent: 5,
  salt: 's',
  expected: 'Refusal rate unchanged; output tokens fall 10-20%.',
  guards: [{ signal: 'refusal', maxIncrease: 0.5 }, { signal: 'output_tokens', maxChange: 25 }],
  minSamples: 500,
  onBreach: 'rollback',
  steps: [1, 5, 25, 50],
  minSamplesPerStep: 2000,
});

describe('rampDecision', () => {
  it('should advance one step only when every guard excluded a regression with the minimum evidence', () => {
    const d = rampDecision(base, [
      { signal: 'refusal', verdict: 'excluded', nArm: 2400 },
      { signal: 'output_tokens', verdict: 'excluded', nArm: 2100 },
    ]);
    expect(d).toEqual({ action: 'advance', toPercent: 25, reason: 'every guard excluded a regression beyond its threshold at 5% (step 2 of 4)' });
  });

  it('should hold on "continue" (not tripped is not enough), on too little evidence, and on a missing guard', () => {
    expect(rampDecision(base, [{ signal: 'refusal', verdict: 'continue', nArm: 9000 }, { signal: 'output_tokens', verdict: 'excluded', nArm: 9000 }]).action).toBe('hold');
    const few = rampDecision(base, [{ signal: 'refusal', verdict: 'excluded', nArm: 1999 }, { signal: 'output_tokens', verdict: 'excluded', nArm: 9000 }]);
    expect(few.action).toBe('hold');
    expect(few.reason).toMatchInlineSnapshot(`"at 5%, waiting for refusal (excluded, but n=2k < 2k per step)"`);
    expect(rampDecision(base, [{ signal: 'refusal', verdict: 'excluded', nArm: 9000 }]).reason).toContain('output_tokens (no verdict yet)');
    // Several rows for one guard (arms, segments): all must exclude.
    expect(rampDecision(base, [{ signal: 'refusal', verdict: 'excluded', nArm: 9000 }, { signal: 'refusal', verdict: 'continue', nArm: 9000 }, { signal: 'output_tokens', verdict: 'excluded', nArm: 9000 }]).action).toBe('hold');
  });

  it('should promote after the last step below 100% and roll back on any trip', () => {
    const all = [{ signal: 'refusal', verdict: 'excluded', nArm: 5000 }, { signal: 'output_tokens', verdict: 'excluded', nArm: 5000 }] as const;
    expect(rampDecision({ ...base, percent: 50 }, all).action).toBe('promote');
    expect(rampDecision(base, [...all, { signal: 'refusal', verdict: 'tripped', nArm: 10 }])).toEqual({ action: 'rollback', reason: 'guard refusal tripped at 5%' });
  });

  it('should hold a rollout without steps, a paused ramp, and default the per-step minimum to minSamples', () => {
    const rows = [{ signal: 'refusal', verdict: 'excluded', nArm: 600 }, { signal: 'output_tokens', verdict: 'excluded', nArm: 600 }] as const;
    const { steps: _s, minSamplesPerStep: _m, ...plain } = base;
    expect(rampDecision(plain, rows).action).toBe('hold');
    expect(rampDecision({ ...base, percent: 0 }, rows).action).toBe('hold');
    const { minSamplesPerStep: _x, ...noMin } = base;
    expect(rampDecision(noMin, rows).action).toBe('advance');
  });
});

describe('rampStepsProblem', () => {
  it('should accept ascending steps in (0, 100) with percent on a step, and say why otherwise', () => {
    expect(rampStepsProblem([1, 5, 25, 50], 5)).toBeNull();
    expect(rampStepsProblem([1, 5, 25, 50], 0)).toBeNull();
    expect(rampStepsProblem([5, 1], 5)).toMatchInlineSnapshot(`"steps [5, 1] are not ascending: each step is larger than the one before, e.g. [1, 5, 25, 50]"`);
    expect(rampStepsProblem([1, 100], 1)).toContain('step 100 is out of range');
    expect(rampStepsProblem([0, 5], 5)).toContain('step 0 is out of range');
    expect(rampStepsProblem([1, 5], 10)).toMatchInlineSnapshot(`"percent 10 is not one of the steps [1, 5]: a ramped rollout sits on a step (or at 0, paused). Set percent to 1 or add 10 to the steps"`);
    expect(rampStepsProblem([1, 1.001], 1)).toContain('more than two decimals');
    expect(rampStepsProblem([], 1)).toContain('steps is empty');
  });
});

describe('guard verdicts per step (GuardMonitor.verdicts)', () => {
  function feed(m: GuardMonitor, phase: number, n: number, candidateEvery: number): void {
    const rnd = mulberry32(1313);
    for (let i = 0; i < n; i++) {
      m.record('stable', { refusal: rnd() < 0.01 }, 0, { phase, cluster: Math.floor(rnd() * 64) });
      m.record('candidate', { refusal: rnd() < 1 / candidateEvery }, 0, { phase, cluster: Math.floor(rnd() * 64) });
    }
  }

  it('should be "excluded" only with evidence gathered at that step, "continue" elsewhere', () => {
    const m = new GuardMonitor({ guards: [{ signal: 'refusal', maxIncrease: 0.5 }], minSamples: 500 });
    feed(m, 500, 20_000, 100);
    expect(m.tripped).toBeNull();
    expect(m.verdicts(500)).toEqual([{ signal: 'refusal', verdict: 'excluded', nArm: 20_000, nControl: 20_000 }]);
    // The next step (25% = phase 2500) has no evidence of its own yet.
    expect(m.verdicts(2500)).toEqual([{ signal: 'refusal', verdict: 'continue', nArm: 0, nControl: 0 }]);
    expect(m.verdicts()[0]!.verdict).toBe('excluded');
  });

  it('should say "continue" while little is known and "tripped" on a regression, tripping exactly as before', () => {
    const small = new GuardMonitor({ guards: [{ signal: 'refusal', maxIncrease: 0.5 }], minSamples: 500 });
    feed(small, 100, 600, 100);
    expect(small.verdicts(100)[0]!.verdict).toBe('continue');
    const bad = new GuardMonitor({ guards: [{ signal: 'refusal', maxIncrease: 0.5 }], minSamples: 500 });
    feed(bad, 500, 20_000, 20);
    expect(bad.tripped).not.toBeNull();
    expect(bad.verdicts(500)[0]!.verdict).toBe('tripped');
  });

  it('should need both sides of a max_change guard to exclude', () => {
    const m = new GuardMonitor({ guards: [{ signal: 'output_tokens', maxChange: 25 }], minSamples: 500 });
    const rnd = mulberry32(7);
    for (let i = 0; i < 5000; i++) {
      m.record('stable', { output_tokens: 100 + rnd() * 20 }, 0, { phase: 500, cluster: Math.floor(rnd() * 64) });
      m.record('candidate', { output_tokens: 100 + rnd() * 20 }, 0, { phase: 500, cluster: Math.floor(rnd() * 64) });
    }
    expect(m.verdicts(500)[0]!.verdict).toBe('excluded');
  });
});

describe('advanceRamp and promptpin ramp --next', () => {
  let p: Project;
  beforeEach(async () => {
    p = await tempProject();
    const y = await p.read('promptpin.yaml');
    await p.write('promptpin.yaml', y.replace('        percent: 10\n', '        percent: 5\n        steps: [1, 5, 25, 50]\n        min_samples_per_step: 2000\n'));
  });
  afterEach(() => p.cleanup());

  it('should load steps into the model and refuse an invalid ramp with a located issue', async () => {
    const r = checkFolder(await readFolder(p.dir));
    expect(r.issues).toEqual([]);
    const y = await p.read('promptpin.yaml');
    await p.write('promptpin.yaml', y.replace('steps: [1, 5, 25, 50]', 'steps: [1, 25, 5]'));
    const bad = checkFolder(await readFolder(p.dir));
    expect(bad.issues.map((i) => [i.field, i.message])).toEqual([['environments.production.support-agent.rollout.steps', 'steps [1, 25, 5] are not ascending: each step is larger than the one before, e.g. [1, 5, 25, 50]']]);
  });

  it('should move one step with one changelog line, and refuse a double apply by a second judge', async () => {
    const r = await advanceRamp(p.dir, 'production', 'support-agent', 25, { author: 'promptpin-judge', reason: 'every guard excluded', now: () => new Date('2027-01-15T10:00:00Z') });
    expect(r).toMatchObject({ from: 5, to: 25, step: 3 });
    expect(readRelease(await p.read('promptpin.yaml'), 'production', 'support-agent')!.rollout!.percent).toBe(25);
    const log = parseChangelog(await p.read('CHANGELOG.md'));
    expect(log[0]).toMatchObject({ author: 'promptpin-judge', change: 'ramp v2 5% → 25% (step 3 of 4)', why: 'every guard excluded', date: '2027-01-15T10:00:00Z' });
    // The second judge decided on the same state: the edit refuses, nothing is written twice.
    await expect(advanceRamp(p.dir, 'production', 'support-agent', 25, { author: 'promptpin-judge', reason: 'x' })).rejects.toMatchObject({ code: 'CHANGE_REFUSED' });
    expect(parseChangelog(await p.read('CHANGELOG.md')).filter((e) => e.action === 'ramp')).toHaveLength(1);
  });

  it('should refuse a percent that is not a step, and take --next until the last step', async () => {
    const off = await run(p.cwd, ['ramp', 'support-agent', '30']);
    expect(off.code).toBe(1);
    expect(off.stderr).toContain('its ramp has the steps [1, 5, 25, 50]');
    expect((await run(p.cwd, ['ramp', 'support-agent', '--next'])).stdout).toContain('now serves 25% of units (was 5%), step 3 of 4');
    expect((await run(p.cwd, ['ramp', 'support-agent', '--next'])).stdout).toContain('step 4 of 4');
    const last = await run(p.cwd, ['ramp', 'support-agent', '--next']);
    expect(last.code).toBe(1);
    expect(last.stderr).toContain('is at its last step (50%): promote it');
    const json = JSON.parse((await run(p.cwd, ['ramp', 'support-agent', '0', '--json'])).stdout);
    expect(json).toMatchObject({ from: 50, to: 0, steps: [1, 5, 25, 50], step: null });
  });

  it('should start a ramped rollout from the CLI with --steps', async () => {
    expect((await run(p.cwd, ['rollback', 'support-agent', '--reason', 'restart'])).code).toBe(0);
    const r = await run(p.cwd, ['rollout', 'support-agent', '--to', '2', '--percent', '1', '--steps', '1,5,25', '--min-samples-per-step', '3000', '--expect', 'Output length falls 10-20%; refusal rate unchanged.', '--guard', 'refusal:+0.5pp']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ro = readRelease(await p.read('promptpin.yaml'), 'production', 'support-agent')!.rollout!;
    expect(ro).toMatchObject({ percent: 1, steps: [1, 5, 25], minSamplesPerStep: 3000 });
    expect(await p.read('promptpin.yaml')).toContain('steps: [ 1, 5, 25 ]');
    const bad = await run(p.cwd, ['rollback', 'support-agent', '--reason', 'again']).then(() => run(p.cwd, ['rollout', 'support-agent', '--to', '2', '--percent', '10', '--steps', '1,5', '--expect', 'Output length falls 10-20%; refusal rate unchanged.', '--guard', 'refusal:+0.5pp']));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('percent 10 is not one of the steps [1, 5]');
    expect(isPromptError(new Error())).toBe(false);
  });
});
