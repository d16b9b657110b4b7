// The template parser as it was before the linear rewrite (commit 5fefc9e), kept verbatim as the
// reference the new one must agree with on small inputs. Test-only: its line numbering is quadratic.
/**
 * The template language, complete:
 *
 * - `{{name}}` (spaces inside the braces allowed) inserts the variable `name` literally: the value
 *   is never re-expanded and never escaped.
 * - `{{#system}}…{{/system}}`, `{{#user}}…{{/user}}`, `{{#assistant}}…{{/assistant}}` are role
 *   blocks. A template with role blocks is a chat template; only whitespace may stand outside the
 *   blocks; blocks do not nest. Each block's content is trimmed of leading and trailing blank
 *   lines (the template text here; lines left blank at the edges by an empty variable at render). A template without role blocks is one text prompt, with its final newline trimmed.
 * - Any other `{{` is an error (there is no escape: pass literal braces in a variable).
 */

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
}

/** A parsed template. */
export interface ParsedTemplate {
  readonly kind: 'text' | 'chat';
  readonly messages: readonly TemplateMessage[];
  /** Every variable name used, in first-use order. */
  readonly placeholders: readonly string[];
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

const TAG = /\{\{\s*([#/]?)\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/y;
const LEADING_BLANK_LINES = /^(?:[ \t]*\r?\n)+/;
const TRAILING_BLANK_LINES = /(?:\r?\n[ \t]*)+$/;

function lineAt(src: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (src.charCodeAt(i) === 10) line++;
  return line;
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
  const seen = new Set<string>();
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
    if (at < 0) {
      appendText(src.slice(pos));
      break;
    }
    appendText(src.slice(pos, at));
    TAG.lastIndex = at;
    const m = TAG.exec(src);
    if (!m) {
      const snippet = src.slice(at, Math.min(src.length, at + 24)).split('\n')[0];
      throw new TemplateSyntaxError(
        `unrecognized tag "${snippet}": use {{variable}} or a role block {{#system}}, {{#user}}, {{#assistant}}`,
        lineAt(src, at),
      );
    }
    const [whole, sigil, ident] = m as unknown as [string, string, string];
    const line = lineAt(src, at);
    if (sigil === '') {
      const target = open ?? top;
      target.vars.push(ident);
      target.statics.push('');
      if (!open) outsideText += '\u0000';
      if (!seen.has(ident)) {
        seen.add(ident);
        placeholders.push(ident);
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
    pos = at + whole.length;
  }
  if (open) throw new TemplateSyntaxError(`{{#${open.role}}} is never closed: add {{/${open.role}}}`, open.line);

  if (sawBlock) {
    if (outsideText.trim() !== '') {
      const idx = src.search(/\S/);
      throw new TemplateSyntaxError(
        'text or variables outside role blocks: in a chat template everything must be inside {{#system}}, {{#user}} or {{#assistant}}',
        lineAt(src, idx < 0 ? 0 : idx),
      );
    }
    return { kind: 'chat', messages, placeholders };
  }
  const statics = [...top.statics];
  const last = statics.length - 1;
  statics[last] = statics[last]!.replace(/\r?\n$/, '');
  return { kind: 'text', messages: [{ role: undefined, statics, vars: top.vars }], placeholders };
}

function trimMessage(role: Role, statics: string[], vars: string[]): TemplateMessage {
  const s = [...statics];
  s[0] = s[0]!.replace(LEADING_BLANK_LINES, '');
  const last = s.length - 1;
  s[last] = s[last]!.replace(TRAILING_BLANK_LINES, '');
  return { role, statics: s, vars };
}
