/**
 * `promptpin status` on guards: a rollout past its window is stale (computed from `started` and
 * `window` at the injected clock, from the folder alone), guards are shown in one unit each (pp
 * for rates, % for means), and `promptpin rollout` refuses a guard the loader would refuse before
 * it writes anything.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run, tempProject } from './helpers.js';

type Project = Awaited<ReturnType<typeof tempProject>>;
let p: Project;
beforeEach(async () => {
  p = await tempProject();
});
afterEach(async () => {
  await p.cleanup();
});

type Row = { prompt: string; environment: string; stale: { since: string } | null; rollout: { guards: string[] } | null };
const rowsOf = (stdout: string): Row[] => (JSON.parse(stdout) as { rows: Row[] }).rows;

describe('promptpin status: stale rollouts and guard units', () => {
  it('should show a rollout past its window as stale, with the commands that end it', async () => {
    // examples/prompts: started 2026-11-20T15:00:00Z, window 24h; the default test clock is 2027-01-15.
    const r = await run(p.cwd, ['status', 'support-agent', '--env', 'production']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('STALE: its 24h window closed at 2026-11-21T15:00:00Z; no guard judges it any more. Promote or roll back: promptpin promote support-agent · promptpin rollback support-agent --reason "…"');
    const rows = rowsOf((await run(p.cwd, ['status', '--json'])).stdout);
    expect(rows.find((x) => x.prompt === 'support-agent' && x.environment === 'production')?.stale).toEqual({ since: '2026-11-21T15:00:00Z' });
    expect(rows.filter((x) => x.stale !== null)).toHaveLength(1);
  });

  it('should not call it stale one second before the window closes, and call it stale one millisecond after', async () => {
    const before = await run(p.cwd, ['status', '--json'], { now: () => new Date('2026-11-21T14:59:59Z') });
    expect(rowsOf(before.stdout).every((x) => x.stale === null)).toBe(true);
    expect((await run(p.cwd, ['status'], { now: () => new Date('2026-11-21T14:59:59Z') })).stdout).not.toContain('STALE');
    const after = await run(p.cwd, ['status', '--json'], { now: () => new Date('2026-11-21T15:00:00.001Z') });
    expect(rowsOf(after.stdout).filter((x) => x.stale !== null)).toHaveLength(1);
  });

  it('should never call a rollout without a window stale, nor one whose stale state ended with a rollback', async () => {
    await p.write('promptpin.yaml', (await p.read('promptpin.yaml')).replace('        window: 24h\n', ''));
    expect(rowsOf((await run(p.cwd, ['status', '--json'])).stdout).every((x) => x.stale === null)).toBe(true);
    await p.write('promptpin.yaml', (await p.read('promptpin.yaml')).replace('        min_samples: 500\n', '        min_samples: 500\n        window: 24h\n'));
    expect((await run(p.cwd, ['rollback', 'support-agent', '--reason', 'window closed without a verdict'])).code).toBe(0);
    expect(rowsOf((await run(p.cwd, ['status', '--json'])).stdout).every((x) => x.stale === null)).toBe(true);
  });

  it('should show each guard in its unit: pp for rates, % for means, one-sided mean guards included', async () => {
    await p.write(
      'promptpin.yaml',
      (await p.read('promptpin.yaml')).replace('          - { signal: output_tokens, max_change: 25% }', '          - { signal: output_tokens, max_change: 25% }\n          - { signal: latency_ms, max_increase: 20% }\n          - { signal: cost, max_decrease: 10 }'),
    );
    expect((await run(p.cwd, ['check'])).code).toBe(0);
    const r = await run(p.cwd, ['status', 'support-agent', '--env', 'production']);
    expect(r.stdout).toContain('guards refusal:+0.5pp, tool_call:-5pp, output_tokens:25%, latency_ms:+20%, cost:-10% (500 samples per arm, window 24h, on breach rollback)');
  });
});

describe('promptpin rollout: declared signals are checked before anything is written', () => {
  const start = (guard: string, expect = 'Refusal rate unchanged; output length falls 10%.') => ['rollout', 'support-agent', '--env', 'staging', '--to', '1', '--percent', '5', '--expect', expect, '--guard', guard];

  it('should refuse a misspelled signal with the loader\'s message, and write nothing', async () => {
    const before = await p.read('promptpin.yaml');
    const r = await run(p.cwd, start('refusl:+0.5pp'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Cannot start a rollout of "support-agent" in staging: guard signal "refusl" is not a known signal (did you mean "refusal"?)');
    expect(await p.read('promptpin.yaml')).toBe(before);
    await expect(p.read('CHANGELOG.md')).rejects.toThrow(/ENOENT/);
  });

  it('should refuse a unit that does not fit the signal\'s kind, for built-in and declared signals', async () => {
    const pp = await run(p.cwd, start('output_tokens:+5pp', 'Output length falls 10%; refusal rate unchanged.'));
    expect(pp.code).toBe(1);
    expect(pp.stderr).toContain('"output_tokens" is a mean, so its threshold is a relative change in %');
    await p.write('promptpin.yaml', `signals: { resolved: rate }\n${await p.read('promptpin.yaml')}`);
    const pct = await run(p.cwd, start('resolved:10%', 'Resolved share unchanged; output length falls.'));
    expect(pct.code).toBe(1);
    expect(pct.stderr).toContain('"resolved" is a rate, so its threshold is in percentage points');
    const ok = await run(p.cwd, start('resolved:-2pp', 'Resolved share unchanged; output length falls.'));
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });

  it('should refuse a custom signal used before it is declared, naming how to declare it', async () => {
    const r = await run(p.cwd, start('resolved:-2pp', 'Resolved share unchanged; output length falls.'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('declare a custom one at the top of promptpin.yaml, e.g. signals: { resolved: rate }');
  });
});
