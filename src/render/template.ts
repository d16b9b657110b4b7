/**
 * The template language, complete:
 *
 * - `{{name}}` (spaces inside the braces allowed) inserts the variable `name` literally: the value
 *   is never re-expanded and never escaped.
 * - `{{#system}}…{{/system}}`, `{{#user}}…{{/user}}`, `{{#assistant}}…{{/assistant}}` are role
 *   blocks. A template with role blocks is a chat template; only whitespace may stand outside the
 *   blocks; blocks do not nest. Each block's content is trimmed of leading and trailing blank
 *   lines (the template text here; lines left blank at the edges by an empty variable at render). A template without role blocks is one text prompt, with its final newline trimmed.
 * - `{{...history}}`, alone on its line between the role blocks of a chat template, inserts the
 *   messages of `history` (a `type: messages` variable) at that position, each as its own message:
 *   never flattened into text.
 * - `{{> snippet}}` includes a shared snippet; the authoring side replaces it before this parser
 *   runs (see `registry/snippets.ts`), so it never reaches a runtime.
 * - Any other `{{` is an error (there is no escape: pass literal braces in a variable).
 */

import { step } from '../internal/steps.js';
import { isJsWhitespace, leadingBlankLinesEnd, trailingBlankLinesStart } from '../internal/text.js';

/** Chat roles a role block may name. */
export const ROLES = ['system', 'user', 'assistant'] as const;
/** A chat role. */
export type Role = (typeof ROLES)[number];

/** One message of a parsed template: static text interleaved with variable names. */
export interface TemplateMessage {
  /** `undefined` for a text (non-chat) template. */
  readonly role: Role | undefined;
  /** `statics.length === vars.length + 1`; output is statics[0] + v0 + statics[1] + v1 + … */
  readonly statics: readonly string[];
  readonly vars: readonly string[];
  /** A `{{...name}}` slot: the messages of variable `name` go here (role, statics and vars empty). */
  readonly spread?: string;
}

/** A parsed template. */
export interface ParsedTemplate {
  readonly kind: 'text' | 'chat';
  readonly messages: readonly TemplateMessage[];
  /** Every variable name used, in first-use order. */
  readonly placeholders: readonly string[];
  /** The 1-based line (within the template) of each placeholder's first use, index for index. */
  readonly placeholderLines: readonly number[];
  /** Variables used as `{{...name}}` message slots; absent when there are none. */
  readonly spreads?: readonly string[];
}

/** A syntax error in a template, with its 1-based line within the template body. */
export class TemplateSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

/**
 * Reads the tag at `at` (where `{{` stands): `{{`, spaces, an optional `#` or `/`, spaces, an
 * identifier, spaces, `}}` — the language of `/\{\{\s*([#/]?)\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/y`.
 * One forward pass (the expression backtracked quadratically over `{{` and a long run of spaces).
 */
function readTag(src: string, at: number): { sigil: '' | '#' | '/' | '...'; ident: string; end: number } | null {
  const n = src.length;
  let i = at + 2;
  try {
    while (i < n && isJsWhitespace(src.charCodeAt(i))) i++;
    let sigil: '' | '#' | '/' | '...' = '';
    const c = src.charCodeAt(i);
    if (c === 35 || c === 47) {
      sigil = c === 35 ? '#' : '/';
      i++;
      while (i < n && isJsWhitespace(src.charCodeAt(i))) i++;
    } else if (c === 46 && src.charCodeAt(i + 1) === 46 && src.charCodeAt(i + 2) === 46) {
      sigil = '...';
      i += 3;
    }
    const identStart = i;
    if (i >= n || !isIdentStart(src.charCodeAt(i))) return null;
    i++;
    while (i < n && isIdentPart(src.charCodeAt(i))) i++;
    const ident = src.slice(identStart, i);
    while (i < n && isJsWhitespace(src.charCodeAt(i))) i++;
    if (src.charCodeAt(i) !== 125 || src.charCodeAt(i + 1) !== 125) return null;
    return { sigil, ident, end: i + 2 };
  } finally {
    step(i - at + 1);
  }
}

/**
 * 1-based line numbers of positions, for positions asked in increasing order: each call counts the
 * newlines since the previous one, so numbering every tag of a template costs one pass over it.
 */
function lineCounter(src: string): (index: number) => number {
  let pos = 0;
  let line = 1;
  return (index) => {
    if (index < pos) {
      pos = 0;
      line = 1;
    }
    step(index - pos + 1);
    for (; pos < index; pos++) if (src.charCodeAt(pos) === 10) line++;
    return line;
  };
}

/** Parses a template body. Throws {@link TemplateSyntaxError} on any malformed tag. */
export function parseTemplate(src: string): ParsedTemplate {
  interface Open {
    role: Role;
    statics: string[];
    vars: string[];
    line: number;
  }
  const messages: TemplateMessage[] = [];
  const placeholders: string[] = [];
  const placeholderLines: number[] = [];
  const seen = new Set<string>();
  const spreads: string[] = [];
  const lineAt = lineCounter(src);
  const top: { statics: string[]; vars: string[] } = { statics: [''], vars: [] };
  let outsideText = '';
  let open: Open | null = null;
  let sawBlock = false;
  let pos = 0;

  const appendText = (text: string): void => {
    const target = open ?? top;
    target.statics[target.statics.length - 1] += text;
    if (!open) outsideText += text;
  };

  while (pos < src.length) {
    const at = src.indexOf('{{', pos);
    step((at < 0 ? src.length : at) - pos + 1);
    if (at < 0) {
      appendText(src.slice(pos));
      break;
    }
    appendText(src.slice(pos, at));
    const m = readTag(src, at);
    if (!m) {
      const snippet = src.slice(at, Math.min(src.length, at + 24)).split('\n')[0];
      throw new TemplateSyntaxError(
        `unrecognized tag "${snippet}": use {{variable}} or a role block {{#system}}, {{#user}}, {{#assistant}}`,
        lineAt(at),
      );
    }
    const { sigil, ident } = m;
    const line = lineAt(at);
    if (sigil === '...') {
      if (open) {
        throw new TemplateSyntaxError(`{{...${ident}}} stands inside {{#${open.role}}} (line ${open.line}): a message slot goes on its own line between role blocks`, line);
      }
      if (!aloneOnLine(src, at, m.end)) {
        throw new TemplateSyntaxError(`{{...${ident}}} must stand alone on its line (it inserts whole messages, not text)`, line);
      }
      messages.push({ role: undefined, statics: [], vars: [], spread: ident });
      spreads.push(ident);
      if (!seen.has(ident)) {
        seen.add(ident);
        placeholders.push(ident);
        placeholderLines.push(line);
      }
    } else if (sigil === '') {
      const target = open ?? top;
      target.vars.push(ident);
      target.statics.push('');
      if (!open) outsideText += '\u0000';
      if (!seen.has(ident)) {
        seen.add(ident);
        placeholders.push(ident);
        placeholderLines.push(line);
      }
    } else {
      if (!(ROLES as readonly string[]).includes(ident)) {
        throw new TemplateSyntaxError(`unknown role block "${ident}": roles are ${ROLES.join(', ')}`, line);
      }
      const role = ident as Role;
      if (sigil === '#') {
        if (open) {
          throw new TemplateSyntaxError(`{{#${role}}} opens inside {{#${open.role}}} (line ${open.line}): role blocks do not nest`, line);
        }
        open = { role, statics: [''], vars: [], line };
        sawBlock = true;
      } else {
        if (!open) throw new TemplateSyntaxError(`{{/${role}}} closes a block that is not open`, line);
        if (open.role !== role) {
          throw new TemplateSyntaxError(`{{/${role}}} closes {{#${open.role}}} (line ${open.line}): use {{/${open.role}}}`, line);
        }
        messages.push(trimMessage(open.role, open.statics, open.vars));
        open = null;
      }
    }
    pos = m.end;
  }
  if (open) throw new TemplateSyntaxError(`{{#${open.role}}} is never closed: add {{/${open.role}}}`, open.line);

  if (sawBlock) {
    step(outsideText.length + 1);
    if (outsideText.trim() !== '') {
      const idx = src.search(/\S/);
      throw new TemplateSyntaxError(
        'text or variables outside role blocks: in a chat template everything must be inside {{#system}}, {{#user}} or {{#assistant}}',
        lineAt(idx < 0 ? 0 : idx),
      );
    }
    return { kind: 'chat', messages, placeholders, placeholderLines, ...(spreads.length ? { spreads } : {}) };
  }
  if (spreads.length > 0) {
    throw new TemplateSyntaxError(`{{...${spreads[0]}}} inserts messages, so it needs a chat template: write the other text inside {{#system}}, {{#user}} or {{#assistant}} blocks`, lineAt(src.indexOf('{{')));
  }
  const statics = [...top.statics];
  const last = statics.length - 1;
  statics[last] = dropFinalNewline(statics[last]!);
  return { kind: 'text', messages: [{ role: undefined, statics, vars: top.vars }], placeholders, placeholderLines };
}

/** True when only spaces and tabs stand between the line's edges and `[start, end)`. */
function aloneOnLine(src: string, start: number, end: number): boolean {
  for (let i = start - 1; i >= 0; i--) {
    step(1);
    const c = src.charCodeAt(i);
    if (c === 10) break;
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  for (let i = end; i < src.length; i++) {
    step(1);
    const c = src.charCodeAt(i);
    if (c === 10) break;
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

/** `text.replace(/\r?\n$/, '')`: drops one final line break. */
function dropFinalNewline(text: string): string {
  if (text.charCodeAt(text.length - 1) !== 10) return text;
  return text.slice(0, text.charCodeAt(text.length - 2) === 13 ? -2 : -1);
}

function trimMessage(role: Role, statics: string[], vars: string[]): TemplateMessage {
  const s = [...statics];
  const first = s[0]!;
  s[0] = first.slice(leadingBlankLinesEnd(first));
  const last = s.length - 1;
  const tail = s[last]!;
  s[last] = tail.slice(0, trailingBlankLinesStart(tail));
  return { role, statics: s, vars };
}
