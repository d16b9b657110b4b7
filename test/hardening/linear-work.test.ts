/**
 * Bounded work, asserted without a clock: every scanner over a value, a template, a note or a YAML
 * document reports its work to the step counter (src/internal/steps.ts). For each input that was
 * quadratic before (80 KB of newlines in a role-block value: 45 s; 40,000 spaces in a changelog
 * note: 4 s; 40,000 placeholders: 24 s; 20,000 overrides: 15 s) the work on 2n stays within 2.1x
 * the work on n, and under c per input character. The wall-clock figures live in
 * bench/worst-case.bench.ts.
 */
import { describe, expect, it } from 'vitest';
import { checkFolder, formatChangelogEntry, startRollout } from '../../src/authoring.js';
import { parseYamlSafely } from '../../src/internal/yaml.js';
import { countSteps } from '../../src/internal/steps.js';
import { collapseLineBreaks, cutAtWithSpace, isLf, stripSuffixWithSpace } from '../../src/internal/text.js';
import { parsePromptFile } from '../../src/registry/prompt-file.js';
import { parseReleaseFile } from '../../src/registry/release.js';
import type { PromptEntry } from '../../src/registry/types.js';
import { compileTemplate } from '../../src/render/compile.js';
import { parseTemplate } from '../../src/render/template.js';

/** The worst inputs, by size n. Each was super-linear before this change. */
const roleBlock = compileTemplate({ name: 'p', version: 1, template: '{{#user}}{{v}}{{/user}}', variables: { v: { type: 'string', optional: false } } });
// Starts with whitespace (so the edge trim runs), then many newlines before a last visible character.
const blankEdgeValue = (n: number): string => ` x${'\n'.repeat(n)}y`;
const trailingBlankValue = (n: number): string => `x${' \n'.repeat(n / 2)}`;
const changelogNote = (n: number): string => `${' '.repeat(n)}x`;
const placeholders = (n: number): string => '{{x}}\n'.repeat(n);
const spacedTag = (n: number): string => `{{${' '.repeat(n)}x`;
const overridesYaml = (n: number, version: number): string =>
  `environments:\n  production:\n    p:\n      stable: 1\n      overrides:\n${Array.from({ length: n }, (_, i) => `        u${i}: ${version}\n`).join('')}`;
const duplicateKeysYaml = (n: number): string => Array.from({ length: n }, (_, i) => `k${i % (n / 2)}: ${i}\n`).join('');
const PROMPT = { path: 'p/1.prompt', text: '---\nmodel: m\n---\nhi\n' };

function entry(): ReadonlyMap<string, PromptEntry> {
  const parsed = parsePromptFile(PROMPT.text, 'p', 1, PROMPT.path);
  if (!parsed.ok) throw new Error('fixture');
  return new Map([['p', { name: 'p', versions: new Map([[1, parsed.version]]) }]]);
}

interface WorkCase {
  readonly name: string;
  /** Input of size about n (characters or items). */
  readonly input: (n: number) => string;
  readonly run: (input: string) => unknown;
  readonly n: number;
  /** Steps allowed per input character. */
  readonly perChar: number;
}

const cases: WorkCase[] = [
  { name: 'render: role block, value with a blank edge and many newlines', input: blankEdgeValue, run: (v) => roleBlock.render({ v }), n: 20_000, perChar: 3 },
  { name: 'render: role block, value ending in blank lines', input: trailingBlankValue, run: (v) => roleBlock.render({ v }), n: 20_000, perChar: 3 },
  {
    name: 'changelog: a note of spaces',
    input: changelogNote,
    run: (why) => formatChangelogEntry({ date: '2026-11-20T15:00:00Z', author: 'a', prompt: 'p', environment: '', change: 'publish', why, expected: '', observed: '' }),
    n: 20_000,
    perChar: 3,
  },
  { name: 'template: many placeholders (line numbers)', input: placeholders, run: (t) => parseTemplate(t), n: 10_000, perChar: 4 },
  {
    name: 'template: undeclared placeholders, each reported with its line',
    input: (n) => Array.from({ length: n / 8 }, (_, i) => `{{v${i}}}\n`).join(''),
    run: (t) => parsePromptFile(`---\nmodel: m\n---\n${t}`, 'p', 1, 'p/1.prompt'),
    n: 40_000,
    perChar: 4,
  },
  { name: 'template: "{{" then a long run of spaces', input: spacedTag, run: (t) => expect(() => parseTemplate(t)).toThrow(/unrecognized tag/), n: 20_000, perChar: 3 },
  {
    name: 'promptpin.yaml: overrides naming a missing version (one issue and line each)',
    input: (n) => overridesYaml(n / 16, 9),
    run: (text) => parseReleaseFile(text, entry()),
    n: 32_000,
    perChar: 2,
  },
  { name: 'YAML: duplicate keys', input: duplicateKeysYaml, run: (text) => expect(() => parseYamlSafely(text, 1e9)).toThrow(/unique/), n: 4_000, perChar: 2 },
  { name: 'edit: expected note with a long run of spaces', input: (n) => `x${' '.repeat(n)}y`, run: (t) => collapseLineBreaks(t, isLf), n: 20_000, perChar: 2 },
  { name: 'messages: suffix after a long run of spaces', input: (n) => `x${' '.repeat(n)}y`, run: (t) => [stripSuffixWithSpace(t, 'Re-run the command.'), cutAtWithSpace(t, 'Fix it')], n: 20_000, perChar: 2 },
];

describe('bounded work per input (step counts, no clock)', () => {
  it.each(cases)('should do linear work: $name', ({ input, run, n, perChar }) => {
    const small = input(n);
    const large = input(2 * n);
    const a = countSteps(() => run(small)).steps;
    const b = countSteps(() => run(large)).steps;
    expect(a).toBeGreaterThan(0);
    expect(b / a).toBeLessThanOrEqual(2.1);
    expect(b).toBeLessThanOrEqual(perChar * large.length + 100);
  });

  it('should count nothing outside countSteps, and nest', () => {
    roleBlock.render({ v: blankEdgeValue(100) });
    const outer = countSteps(() => {
      const inner = countSteps(() => roleBlock.render({ v: trailingBlankValue(200) }));
      expect(inner.steps).toBeGreaterThan(100);
      return inner.steps;
    });
    expect(outer.steps).toBe(outer.result);
  });
});

describe('the inputs that stalled for tens of seconds complete', () => {
  it('should render 80 KB of "\\n" in a role-block value that starts with whitespace (was 45 s)', () => {
    // " x" is not a blank line: nothing is trimmed, but the trailing scan must not backtrack.
    const out = roleBlock.render({ v: ` x${'\n'.repeat(80_000)}y` }) as { content: string }[];
    expect(out[0]!.content).toBe(` x${'\n'.repeat(80_000)}y`);
    const trailing = roleBlock.render({ v: `\t${'\n'.repeat(80_000)}x${' \n'.repeat(40_000)}` }) as { content: string }[];
    // The space after "x" is not on a line of its own: /(?:\r?\n[ \t]*)+$/ kept it, and so do we.
    expect(trailing[0]!.content).toBe('x ');
  });

  it('should escape a changelog note of 40,000 spaces (was 4 s)', () => {
    const row = formatChangelogEntry({ date: '2026-11-20T15:00:00Z', author: 'a', prompt: 'p', environment: '', change: 'publish', why: `${' '.repeat(40_000)}x\n${' '.repeat(40_000)}y`, expected: '', observed: '' });
    expect(row).toBe('| 2026-11-20T15:00:00Z | a | p | | publish | x y | | |');
  });

  it('should parse a template of 40,000 placeholders, with each undeclared one on its line (was 24 s)', () => {
    const parsed = parseTemplate(placeholders(40_000));
    expect(parsed.placeholders).toEqual(['x']);
    expect(parsed.messages[0]!.vars).toHaveLength(40_000);
    const file = parsePromptFile(`---\nmodel: m\n---\n${placeholders(40_000)}`, 'p', 1, 'p/1.prompt');
    expect(file.ok).toBe(false);
    if (!file.ok) expect(file.issues.map((i) => i.line)).toEqual([4]);
    const distinct = Array.from({ length: 20_000 }, (_, i) => `{{v${i}}}\n`).join('');
    const many = parsePromptFile(`---\nmodel: m\n---\n${distinct}`, 'p', 1, 'p/1.prompt');
    expect(many.ok).toBe(false);
    if (!many.ok) {
      expect(many.issues).toHaveLength(20_000);
      expect(many.issues[19_999]).toMatchObject({ line: 4 + 19_999, message: expect.stringContaining('{{v19999}}') });
    }
    expect(() => parseTemplate(spacedTag(200_000))).toThrow(/unrecognized tag/);
  });

  it('should load, read and edit a release with 20,000 overrides (was 15 s)', () => {
    const text = overridesYaml(20_000, 1);
    const bad = checkFolder({ promptFiles: [PROMPT], releaseText: overridesYaml(20_000, 9) });
    expect(bad.issues).toHaveLength(20_000);
    // Each issue carries the line of its own override: line 6 is the first.
    expect(bad.issues[19_999]).toMatchObject({ field: 'environments.production.p.overrides.u19999', line: 6 + 19_999 });
    const edited = startRollout(text, 'production', 'p', { candidate: 2, percent: 10, guards: [{ signal: 'refusal', maxIncrease: 0.5 }], expected: 'Refusal rate unchanged; output length falls 10%.', author: 'a', started: '2026-11-20T15:00:00Z' });
    expect(edited).toContain('candidate: 2');
    const dup = `${text}        u0: 1\n`;
    expect(() => parseYamlSafely(dup, 1e9)).toThrow(expect.objectContaining({ message: 'Map keys must be unique', line: 6 + 20_000 }));
  });
});
