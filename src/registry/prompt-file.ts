import { stringify as yamlStringify } from 'yaml';
import { LIMITS, type YamlProblem } from '../internal/safe-data.js';
import { parseYamlSafely } from '../internal/yaml.js';
import { buildVersion, type ParsePromptFileResult } from './version.js';
import { expandSnippets, type SnippetLookup } from './snippets.js';
import { ErrorCode, type RegistryIssue } from '../errors.js';

export * from './version.js';

/**
 * Parses the text of a `.prompt` file (YAML front matter between `---` lines, then the template)
 * into a frozen {@link PromptVersion}, checking variables against placeholders.
 */
export function parsePromptFile(text: string, name: string, version: number, file: string, snippets?: SnippetLookup): ParsePromptFileResult {
  const issues: RegistryIssue[] = [];
  const at = (message: string, extra: { line?: number; field?: string } = {}): ParsePromptFileResult => {
    issues.push({ code: ErrorCode.INVALID_CONFIG, file, prompt: name, version, message, ...extra });
    return { ok: false, issues };
  };
  if (text.length > LIMITS.promptFileChars) {
    return at(`file is ${text.length} characters; a .prompt file may have at most ${LIMITS.promptFileChars}`);
  }
  const split = splitFrontMatter(text);
  if (!split) {
    return at('missing front matter: start the file with a "---" line, the YAML (at least `model:`), then a closing "---" line', { line: 1 });
  }
  const { yaml: yamlText, template, bodyStartLine } = split;

  let parsed;
  try {
    parsed = parseYamlSafely(yamlText, LIMITS.promptFileChars);
  } catch (e) {
    const p = e as YamlProblem;
    return at(`invalid front matter YAML: ${p.message}`, p.line !== undefined ? { line: p.line + 1 } : {});
  }
  const front = (parsed.value ?? {}) as Record<string, unknown>;
  const rawPins = front.snippets;
  const pins = typeof rawPins === 'object' && rawPins !== null && !Array.isArray(rawPins) ? (rawPins as Record<string, number>) : {};
  const expanded = expandSnippets(template, pins, snippets);
  if (!expanded.ok) {
    for (const p of expanded.problems) {
      issues.push({ code: p.code, file, prompt: name, version, field: p.field ?? 'template', ...(p.line !== undefined ? { line: bodyStartLine + p.line - 1 } : {}), message: p.message });
    }
    return { ok: false, issues };
  }
  return buildVersion(front, expanded.text, { name, version, file, lineOf: (path) => parsed.lineOf(path), bodyStartLine, written: template });
}

/** The parts of a `.prompt` file: front-matter YAML, template body, and the body's first line. */
export interface PromptFileParts {
  readonly yaml: string;
  readonly template: string;
  /** 1-based line of the file where the template body starts. */
  readonly bodyStartLine: number;
}

/**
 * Splits a `.prompt` file into front matter and template (line endings normalized to `\n`, a BOM
 * dropped). The fences are whole lines: the first line is `---`, and the front matter ends at the
 * next line that is exactly `---` (trailing spaces allowed). Returns null without front matter.
 */
export function splitFrontMatter(text: string): PromptFileParts | null {
  const src = text.replace(/\r\n/g, '\n').replace(/^\uFEFF/, '');
  if (!/^---[ \t]*\n/.test(src)) return null;
  const open = src.indexOf('\n') + 1;
  const close = /^---[ \t]*$/m;
  close.lastIndex = 0;
  const rest = src.slice(open);
  const m = close.exec(rest);
  if (!m) return null;
  const yaml = rest.slice(0, m.index).replace(/\n$/, '');
  let bodyStart = open + m.index + m[0].length;
  if (src[bodyStart] === '\n') bodyStart++;
  const yamlLines = m.index === 0 ? 0 : rest.slice(0, m.index).split('\n').length - 1;
  return { yaml, template: src.slice(bodyStart), bodyStartLine: yamlLines + 3 };
}

/** Serializes a version back to `.prompt` text (used by `promptpin publish`). */
export function formatPromptFile(front: Record<string, unknown>, template: string): string {
  return `---\n${Object.keys(front).length ? stringifyYaml(front) : ''}---\n${template}`;
}

function stringifyYaml(value: unknown): string {
  return yamlStringify(value, { lineWidth: 0 });
}
