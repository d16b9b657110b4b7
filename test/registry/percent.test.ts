import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { percentProblem } from '../../src/authoring.js';
import { parseCompiledRegistry, registryToJson } from '../../src/registry/compiled.js';
import { compileFolder, type FolderFiles } from '../../src/registry/registry.js';
import { candidateThreshold } from '../../src/index.js';
import { run, tempProject } from '../cli/helpers.js';

/** The one message of the one percent rule (src/registry/percent.ts). */
const rule = (shown: string): string => `percent ${shown} is not a number from 0 to 100 with at most two decimals (one bucket is 0.01% of units)`;

describe('percentProblem: the one rollout percent rule', () => {
  it('should accept every two-decimal percent from 0 to 100, floating-point error absorbed', () => {
    for (let bp = 0; bp <= 10_000; bp++) expect(percentProblem(bp / 100)).toBeNull();
    expect(percentProblem(33.33)).toBeNull();
  });

  it('should give one message for every way a percent is wrong', () => {
    expect(percentProblem(-0.01)).toBe(rule('-0.01'));
    expect(percentProblem(100.01)).toBe(rule('100.01'));
    expect(percentProblem(10.125)).toBe(rule('10.125'));
    expect(percentProblem(Number.NaN)).toBe(rule('NaN'));
    expect(percentProblem(Number.POSITIVE_INFINITY)).toBe(rule('Infinity'));
    expect(percentProblem('lots')).toBe(rule('"lots"'));
    expect(percentProblem(null)).toBe(rule('object'));
  });

  it('should quote at most 40 characters of a hostile text', () => {
    const message = percentProblem(' '.repeat(100_000))!;
    expect(message).toBe(rule(JSON.stringify(`${' '.repeat(40)}…`)));
  });

  it('should be what candidateThreshold throws', () => {
    expect(() => candidateThreshold(120)).toThrow(new RangeError(rule('120')));
    expect(() => candidateThreshold(33.333)).toThrow(new RangeError(rule('33.333')));
  });
});

describe('every reader of a percent says the same', () => {
  const GREET = (n: number): string => `---\nmodel: gpt-4o\nvariables:\n  name: { type: string }\n---\nHello {{name}} v${n}\n`;
  const files = (percent: string): FolderFiles => ({
    promptFiles: [
      { path: 'greet/1.prompt', text: GREET(1) },
      { path: 'greet/2.prompt', text: GREET(2) },
    ],
    releaseText: `environments:\n  production:\n    greet:\n      stable: 1\n      rollout:\n        candidate: 2\n        percent: ${percent}\n        expected: Refusal rate unchanged, output length falls.\n        guards: [{ signal: refusal, max_increase: 0.5pp }]\n`,
  });

  it('should refuse promptpin.yaml and a compiled registry with the rule', () => {
    const yamlError = (() => {
      try {
        compileFolder(files('10.125'));
      } catch (err) {
        return err as { issues: { message: string }[] };
      }
      throw new Error('compileFolder accepted percent 10.125');
    })();
    expect(yamlError.issues.map((i) => i.message)).toEqual([rule('10.125')]);

    const json = registryToJson(compileFolder(files('10'))) as unknown as { environments: { production: { greet: { rollout: { percent: unknown } } } } };
    for (const [bad, shown] of [[10.125, '10.125'], [120, '120']] as const) {
      json.environments.production.greet.rollout.percent = bad;
      expect(() => parseCompiledRegistry(json)).toThrow(expect.objectContaining({ issues: [expect.objectContaining({ message: rule(shown) })] }) as Error);
    }
  });

  describe('promptpin ramp', () => {
    let p: Awaited<ReturnType<typeof tempProject>>;
    beforeEach(async () => {
      p = await tempProject();
    });
    afterEach(() => p.cleanup());

    it('should refuse a text percent (usage, exit 2) and a number out of the rule (refused, exit 1) with the rule', async () => {
      const text = await run(p.cwd, ['ramp', 'support-agent', 'lots']);
      expect(text.code).toBe(2);
      expect(text.stderr.split('\n')[0]).toBe(`promptpin ramp: ${rule('"lots"')}.`);
      const big = await run(p.cwd, ['ramp', 'support-agent', '120']);
      expect(big.code).toBe(1);
      expect(big.stderr.trim()).toBe(`promptpin ramp: refused: Cannot ramp "support-agent" in production: ${rule('120')}.`);
    });
  });
});
