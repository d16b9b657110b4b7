/**
 * The linear scanners keep the exact results of the regular expressions and library calls they
 * replace: each is checked against the old code on seeded random inputs small enough for the old
 * code's quadratic paths to be quick.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineCounter, parseDocument } from 'yaml';
import { formatChangelogEntry } from '../../src/authoring.js';
import { YamlProblem } from '../../src/internal/safe-data.js';
import { parseYamlDocument, parseYamlSafely } from '../../src/internal/yaml.js';
import { collapseLineBreaks, cutAtWithSpace, isCrOrLf, isJsWhitespace, isLf, stripSuffixWithSpace, trimBlankLines } from '../../src/internal/text.js';
import { parseTemplate, TemplateSyntaxError } from '../../src/render/template.js';
import { parseTemplate as parseTemplateByRegex, TemplateSyntaxError as RegexSyntaxError } from './reference/template-regex.js';

const SEED = 20_261_120;
const RUNS = 2_000;

/** Strings over the characters the expressions treat specially. */
const spacey = fc
  .array(fc.constantFrom(' ', '\t', '\n', '\r', '\r\n', 'x', 'y', '\u00a0', '\u2028', '\v', '\f', '\ufeff', '|', '\\', 'pp', '%', 'Fix it', 'Re-run the command.'), { maxLength: 40 })
  .map((parts) => parts.join(''));

describe('text scanners agree with the expressions they replace', () => {
  it('should classify whitespace exactly as \\s does', () => {
    const disagree: number[] = [];
    for (let c = 0; c <= 0xffff; c++) if (isJsWhitespace(c) !== /\s/.test(String.fromCharCode(c))) disagree.push(c);
    expect(disagree).toEqual([]);
  });

  it('should trim blank lines like /^(?:[ \\t]*\\r?\\n)+/ then /(?:\\r?\\n[ \\t]*)+$/', () => {
    fc.assert(
      fc.property(spacey, (s) => {
        expect(trimBlankLines(s)).toBe(s.replace(/^(?:[ \t]*\r?\n)+/, '').replace(/(?:\r?\n[ \t]*)+$/, ''));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('should collapse line-break runs like /\\s*[\\r\\n]+\\s*/g and /\\s*\\n\\s*/g', () => {
    fc.assert(
      fc.property(spacey, (s) => {
        expect(collapseLineBreaks(s, isCrOrLf)).toBe(s.replace(/\s*[\r\n]+\s*/g, ' '));
        expect(collapseLineBreaks(s, isLf)).toBe(s.replace(/\s*\n\s*/g, ' '));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('should strip a suffix and cut at a marker like /\\s*SUFFIX$/ and /\\s*MARKER.*$/s', () => {
    fc.assert(
      fc.property(spacey, (s) => {
        expect(stripSuffixWithSpace(s, 'Re-run the command.')).toBe(s.replace(/\s*Re-run the command\.$/, ''));
        expect(stripSuffixWithSpace(s, s.endsWith('pp') ? 'pp' : '%')).toBe(s.replace(/\s*(pp|%)$/, ''));
        expect(cutAtWithSpace(s, 'Fix it')).toBe(s.replace(/\s*Fix it.*$/s, ''));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('should escape changelog cells as before', () => {
    const escapeByRegex = (t: string): string => t.replace(/\s*[\r\n]+\s*/g, ' ').trim().replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
    fc.assert(
      fc.property(spacey, (why) => {
        const row = formatChangelogEntry({ date: '2026-11-20T15:00:00Z', author: 'a', prompt: 'p', environment: '', change: 'publish', why, expected: '', observed: '' });
        const cell = escapeByRegex(why);
        expect(row).toBe(`| 2026-11-20T15:00:00Z | a | p | | publish |${cell === '' ? ' ' : ` ${cell} `}| | |`);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('the template parser agrees with the regular-expression parser it replaces', () => {
  const fragment = fc.constantFrom(
    '{{',
    '}}',
    '{{x}}',
    '{{ x }}',
    '{{#user}}',
    '{{/user}}',
    '{{# system }}',
    '{{/ system}}',
    '{{#assistant}}',
    '{{/assistant}}',
    '{{#bogus}}',
    '{{ y2 }}',
    '{{_z}}',
    '{{2}}',
    ' ',
    '\t',
    '\n',
    '\r\n',
    '\u00a0',
    '#',
    '/',
    'x',
    'text',
    '{',
    '}',
  );
  const template = fc.array(fragment, { maxLength: 24 }).map((parts) => parts.join(''));

  const outcome = (parse: () => unknown, SyntaxError: new (...args: never[]) => Error & { line: number }): unknown => {
    try {
      return { ok: parse() };
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      return { error: err.message, line: err.line };
    }
  };

  it('should give the same messages, statics, placeholders and error lines', () => {
    fc.assert(
      fc.property(template, (src) => {
        const next = outcome(() => {
          const { placeholderLines: _lines, ...rest } = parseTemplate(src);
          return rest;
        }, TemplateSyntaxError);
        expect(next).toEqual(outcome(() => parseTemplateByRegex(src), RegexSyntaxError));
      }),
      { seed: SEED, numRuns: RUNS * 2 },
    );
  });

  it('should give each placeholder the line of its first use, as the per-placeholder search did', () => {
    const lineIndexOf = (t: string, name: string): number => {
      const m = new RegExp(`\\{\\{\\s*${name}\\s*\\}\\}`).exec(t);
      return m ? t.slice(0, m.index).split('\n').length : 1;
    };
    fc.assert(
      fc.property(template, (src) => {
        let parsed;
        try {
          parsed = parseTemplate(src);
        } catch {
          return;
        }
        expect(parsed.placeholderLines).toEqual(parsed.placeholders.map((p) => lineIndexOf(src, p)));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('YAML: unique keys and lineOf agree with the yaml package', () => {
  const line = fc.constantFrom(
    'a: 1',
    'a: 2',
    'b:',
    '  a: 1',
    '  a: 2',
    '  c: [1, 2]',
    '- a: 1',
    '- b',
    '{a: 1, a: 2}',
    '{a: 1, b: 2}',
    '"a": 3',
    '1: x',
    "'1': y",
    '? a',
    ': b',
    '&k a: 1',
    '.nan: 1',
    '.nan: 2',
    '-0: a',
    '0: b',
    '~: 1',
    'null: 2',
    'a: [',
    '  - x',
    '  - y: 1',
    '    y: 2',
    '# comment',
    '',
  );
  const doc = fc.array(line, { maxLength: 12 }).map((lines) => lines.join('\n'));

  // NB: yaml reports errors in composition order, not offset order; a duplicate key is merged in
  // by offset, at the repeated key itself. Differences, on documents rejected either way: with
  // other (syntax) errors too, duplicates of malformed keys may be counted or ordered differently;
  // after a key with an empty value (`b:`), yaml placed a duplicate on the line before it, where
  // we name the key's own line.
  it('should report the same errors with the same messages and lines (a duplicate on its own key line)', () => {
    const errorsOf = (d: { readonly errors: readonly { code: string; pos: [number, number]; message: string }[] }, lc: LineCounter) => d.errors.map((e) => ({ code: e.code, line: lc.linePos(e.pos[0]).line, message: e.message }));
    fc.assert(
      fc.property(doc, (text) => {
        const lcA = new LineCounter();
        const lcB = new LineCounter();
        const before = errorsOf(parseDocument(text, { lineCounter: lcA, uniqueKeys: true, schema: 'core', prettyErrors: false }), lcA);
        const after = errorsOf(parseYamlDocument(text, { lineCounter: lcB, schema: 'core', prettyErrors: false }), lcB);
        const dup = (e: { code: string }): boolean => e.code === 'DUPLICATE_KEY';
        const others = (list: typeof before) => list.filter((e) => !dup(e)).map((e) => `${e.code} ${e.line} ${e.message}`);
        expect(others(after).sort()).toEqual(others(before).sort());
        expect(after.length > 0).toBe(before.length > 0);
        // Malformed documents (other errors too): the same errors besides duplicates, and rejected.
        if (before.some((e) => !dup(e))) return;
        expect(after.map((e) => e.message)).toEqual(before.map((e) => e.message));
        after.forEach((e, i) => {
          expect(e.line - before[i]!.line).toBeGreaterThanOrEqual(0);
          expect(e.line - before[i]!.line).toBeLessThanOrEqual(1);
        });
      }),
      { seed: SEED, numRuns: RUNS / 2 },
    );
  });

  it('should find the line of every path as doc.getIn did', () => {
    const segment = fc.constantFrom<string | number>('a', 'b', 'c', 'y', '1', 0, 1, 2, 'x', '0');
    fc.assert(
      fc.property(doc, fc.array(fc.array(segment, { maxLength: 4 }), { maxLength: 8 }), (text, paths) => {
        let parsed;
        try {
          parsed = parseYamlSafely(text, 1e6);
        } catch (e) {
          expect(e).toBeInstanceOf(YamlProblem);
          return;
        }
        const lc = new LineCounter();
        const old = parseDocument(text, { lineCounter: lc, uniqueKeys: true, schema: 'core', prettyErrors: false });
        const oldLineOf = (path: readonly (string | number)[]): number | undefined => {
          for (let n = path.length; n >= 0; n--) {
            const node = old.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
            if (node && typeof node === 'object' && node.range) return lc.linePos(node.range[0]).line;
          }
          return undefined;
        };
        for (const path of paths) expect(parsed.lineOf(path)).toBe(oldLineOf(path));
      }),
      { seed: SEED, numRuns: RUNS / 4 },
    );
  });
});
