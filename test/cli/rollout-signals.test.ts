import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run, tempProject } from './helpers.js';

type Project = Awaited<ReturnType<typeof tempProject>>;

// A guard on a misspelled or undeclared signal would never trip: `rollout` refuses it before
// anything is written, with the loader's own message (one check: guardSignalProblem).
describe('promptpin rollout: guards must name known signals', () => {
  let p: Project;
  let before: string;
  beforeEach(async () => {
    p = await tempProject();
    const yaml = (await p.read('promptpin.yaml')).replace(/ {6}rollout:[\s\S]*?on_breach: rollback\n/, '');
    await p.write('promptpin.yaml', yaml);
    before = yaml;
  });
  afterEach(async () => {
    await p.cleanup();
  });

  it('should refuse a misspelled signal, suggest the right one, and write nothing', async () => {
    const r = await run(p.cwd, ['rollout', 'support-agent', '--to', '2', '--percent', '10', '--guard', 'refusl:+0.5pp', '--expect', 'Refusl unchanged; output length falls 10%.', '--author', 'ana']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('guard signal "refusl" is not a known signal (did you mean "refusal"?)');
    expect(await p.read('promptpin.yaml')).toBe(before);
  });

  it('should refuse a pp threshold on a mean signal', async () => {
    const r = await run(p.cwd, ['rollout', 'support-agent', '--to', '2', '--percent', '10', '--guard', 'output_tokens:+5pp', '--expect', 'Output tokens fall 10%; refusal unchanged.', '--author', 'ana']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"output_tokens" is a mean, so its threshold is a relative change in %');
    expect(await p.read('promptpin.yaml')).toBe(before);
  });

  it('should accept a custom signal once it is declared in promptpin.yaml', async () => {
    await p.write('promptpin.yaml', `signals: { escalation: rate }\n${before}`);
    const r = await run(p.cwd, ['rollout', 'support-agent', '--to', '2', '--percent', '10', '--guard', 'escalation:+1pp', '--expect', 'Escalation rate unchanged; output length falls 10%.', '--author', 'ana']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await p.read('promptpin.yaml')).toContain('signal: escalation');
  });
});
