/**
 * The worst inputs found for each parser and renderer, at sizes n, 2n and 4n, with the doubling
 * ratios (time at 2n / time at n). Linear work doubles: ratios near 2 (a quadratic pass gives 4).
 * Before the linear rewrite: 80 KB of "\n" in a role-block value took 45 s in render(); a
 * changelog note of 40,000 spaces 4 s; 40,000 placeholders 24 s; 20,000 overrides 15 s.
 * The matching step-count assertions (no clock) are in test/hardening/linear-work.test.ts.
 */
import { run, bench, do_not_optimize } from 'mitata';
import { checkFolder, formatChangelogEntry, startRollout } from '../src/authoring.js';
import { parsePromptFile } from '../src/registry/prompt-file.js';
import { compileTemplate } from '../src/render/compile.js';
import { parseTemplate } from '../src/render/template.js';

const roleBlock = compileTemplate({ name: 'p', version: 1, template: '{{#user}}{{v}}{{/user}}', variables: { v: { type: 'string', optional: false } } });
const PROMPT = { path: 'p/1.prompt', text: '---\nmodel: m\n---\nhi\n' };
const overridesYaml = (n: number, version: number): string =>
  `environments:\n  production:\n    p:\n      stable: 1\n      overrides:\n${Array.from({ length: n }, (_, i) => `        u${i}: ${version}\n`).join('')}`;

interface Case {
  readonly name: string;
  /** The sizes measured: n, 2n, 4n (the largest is the size reported as the worst input). */
  readonly sizes: readonly [number, number, number];
  readonly unit: string;
  readonly input: (n: number) => unknown;
  readonly run: (input: never) => unknown;
}

const cases: Case[] = [
  { name: 'render: role-block value " x" + "\\n"×n + "y"', sizes: [20_000, 40_000, 80_000], unit: 'newlines', input: (n) => ({ v: ` x${'\n'.repeat(n)}y` }), run: (vars: { v: string }) => roleBlock.render(vars) },
  { name: 'render: role-block value "x" + " \\n"×n', sizes: [20_000, 40_000, 80_000], unit: 'lines', input: (n) => ({ v: `x${' \n'.repeat(n)}` }), run: (vars: { v: string }) => roleBlock.render(vars) },
  {
    name: 'changelog: a note of n spaces',
    sizes: [10_000, 20_000, 40_000],
    unit: 'spaces',
    input: (n) => `${' '.repeat(n)}x`,
    run: (why: string) => formatChangelogEntry({ date: '2026-11-20T15:00:00Z', author: 'a', prompt: 'p', environment: '', change: 'publish', why, expected: '', observed: '' }),
  },
  { name: 'template: n placeholders "{{x}}\\n"', sizes: [10_000, 20_000, 40_000], unit: 'placeholders', input: (n) => '{{x}}\n'.repeat(n), run: (t: string) => parseTemplate(t) },
  {
    name: '.prompt file: n undeclared placeholders (an issue and a line each)',
    sizes: [5_000, 10_000, 20_000],
    unit: 'placeholders',
    input: (n) => `---\nmodel: m\n---\n${Array.from({ length: n }, (_, i) => `{{v${i}}}\n`).join('')}`,
    run: (text: string) => parsePromptFile(text, 'p', 1, 'p/1.prompt'),
  },
  {
    name: 'template: "{{" then n spaces (rejected)',
    sizes: [50_000, 100_000, 200_000],
    unit: 'spaces',
    input: (n) => `{{${' '.repeat(n)}x`,
    run: (t: string) => {
      try {
        parseTemplate(t);
      } catch (e) {
        return e;
      }
      throw new Error('expected a syntax error');
    },
  },
  { name: 'checkFolder: n overrides', sizes: [5_000, 10_000, 20_000], unit: 'overrides', input: (n) => overridesYaml(n, 1), run: (text: string) => checkFolder({ promptFiles: [PROMPT], releaseText: text }) },
  { name: 'checkFolder: n overrides naming a missing version', sizes: [5_000, 10_000, 20_000], unit: 'overrides', input: (n) => overridesYaml(n, 9), run: (text: string) => checkFolder({ promptFiles: [PROMPT], releaseText: text }) },
  {
    name: 'startRollout (promptpin rollout) with n overrides',
    sizes: [5_000, 10_000, 20_000],
    unit: 'overrides',
    input: (n) => overridesYaml(n, 1),
    run: (text: string) =>
      startRollout(text, 'production', 'p', { candidate: 2, percent: 10, guards: [{ signal: 'refusal', maxIncrease: 0.5 }], expected: 'Refusal rate unchanged; output length falls 10%.', author: 'a', started: '2026-11-20T15:00:00Z' }),
  },
];

for (const c of cases) {
  bench(`${c.name} | n=$n`, function* (state: { get(name: 'n'): number }) {
    const input = c.input(state.get('n'));
    yield () => do_not_optimize(c.run(input as never));
  }).args('n', [...c.sizes]);
}

const { benchmarks } = await run();

const fmt = (ns: number): string => (ns >= 1e6 ? `${(ns / 1e6).toFixed(1)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(1)} µs` : `${ns.toFixed(0)} ns`);
console.log('\nDoubling ratios (mean time at 2n / mean time at n; linear ≈ 2, quadratic ≈ 4):');
console.log('| input | n, 2n, 4n | mean at n, 2n, 4n | 2n/n | 4n/2n |');
console.log('| --- | --- | --- | --- | --- |');
benchmarks.forEach((trial, i) => {
  const c = cases[i]!;
  const avgs = trial.runs.map((r) => r.stats?.avg ?? Number.NaN);
  const [a, b, d] = avgs as [number, number, number];
  console.log(`| ${c.name} | ${c.sizes.join(', ')} ${c.unit} | ${avgs.map(fmt).join(', ')} | ${(b / a).toFixed(2)} | ${(d / b).toFixed(2)} |`);
});
