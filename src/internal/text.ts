/**
 * Linear scanners for text that users control (variable values, notes, template bodies). Each one
 * replaces a regular expression that backtracked on long whitespace runs (`\s*X`, `(?:\r?\n[ \t]*)+$`)
 * with a single pass, keeping the expression's exact result. Each scan reports its work to
 * {@link step}, so tests can assert the work is linear without a clock.
 *
 * @internal Never re-exported from the package entry.
 */
import { step } from './steps.js';

/** True for the characters JavaScript's `\s` (and `String.prototype.trim`) treats as whitespace. */
export function isJsWhitespace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

/**
 * The index after the leading blank lines of `text[from..]`: what `/^(?:[ \t]*\r?\n)+/` removes.
 * Returns `from` when the text does not start with a blank line.
 */
export function leadingBlankLinesEnd(text: string, from = 0): number {
  const n = text.length;
  let pos = from;
  let i = from;
  for (;;) {
    while (i < n && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
    if (i < n && text.charCodeAt(i) === 13 && i + 1 < n && text.charCodeAt(i + 1) === 10) i += 2;
    else if (i < n && text.charCodeAt(i) === 10) i++;
    else break;
    pos = i;
  }
  step(i - from + 1);
  return pos;
}

/**
 * The end index once the trailing blank lines of `text[from..to]` are removed: what
 * `/(?:\r?\n[ \t]*)+$/` removes (a final line of spaces only goes with the line break before it).
 * Scans backwards, so the work is the length of what is removed plus the last line's trailing blanks.
 */
export function trailingBlankLinesStart(text: string, from = 0, to = text.length): number {
  let end = to;
  let i = to;
  for (;;) {
    while (i > from && (text.charCodeAt(i - 1) === 32 || text.charCodeAt(i - 1) === 9)) i--;
    if (i > from && text.charCodeAt(i - 1) === 10) {
      i--;
      if (i > from && text.charCodeAt(i - 1) === 13) i--;
      end = i;
    } else break;
  }
  step(to - i + 1);
  return end;
}

/**
 * Removes leading and trailing blank lines (lines of spaces/tabs only), keeping other whitespace:
 * `text.replace(/^(?:[ \t]*\r?\n)+/, '').replace(/(?:\r?\n[ \t]*)+$/, '')`, in linear time.
 */
export function trimBlankLines(text: string): string {
  const start = leadingBlankLinesEnd(text);
  const end = trailingBlankLinesStart(text, start);
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** True for the line-break characters of a changelog cell (`[\r\n]`). */
export const isCrOrLf = (c: number): boolean => c === 10 || c === 13;
/** True for `\n` only. */
export const isLf = (c: number): boolean => c === 10;

/**
 * Replaces every whitespace run that contains a line break (as `isBreak` defines it) with one
 * space: `text.replace(/\s*[\r\n]+\s*\/g, ' ')` (with `isCrOrLf`) or `/\s*\n\s*\/g` (with `isLf`),
 * in one pass. Runs without a break are kept as they are.
 */
export function collapseLineBreaks(text: string, isBreak: (c: number) => boolean): string {
  const n = text.length;
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < n) {
    if (!isJsWhitespace(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const runStart = i;
    let hasBreak = false;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (!isJsWhitespace(c)) break;
      if (isBreak(c)) hasBreak = true;
      i++;
    }
    if (hasBreak) {
      out += `${text.slice(copied, runStart)} `;
      copied = i;
    }
  }
  step(n + 1);
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * Removes `suffix` from the end of `text` together with the whitespace before it:
 * `text.replace(/\s*SUFFIX$/, '')` for a literal suffix, in linear time.
 */
export function stripSuffixWithSpace(text: string, suffix: string): string {
  if (!text.endsWith(suffix)) return text;
  let i = text.length - suffix.length;
  const end = i;
  while (i > 0 && isJsWhitespace(text.charCodeAt(i - 1))) i--;
  step(end - i + suffix.length + 1);
  return text.slice(0, i);
}

/**
 * Cuts `text` at the first `marker`, dropping the whitespace before it:
 * `text.replace(/\s*MARKER.*$/s, '')` for a literal marker, in linear time.
 */
export function cutAtWithSpace(text: string, marker: string): string {
  const at = text.indexOf(marker);
  if (at < 0) {
    step(text.length + 1);
    return text;
  }
  let i = at;
  while (i > 0 && isJsWhitespace(text.charCodeAt(i - 1))) i--;
  step(at + 1);
  return text.slice(0, i);
}
