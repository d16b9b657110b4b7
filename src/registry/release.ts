import { ErrorCode, type RegistryIssue } from '../errors.js';
import { LIMITS, type YamlProblem } from '../internal/safe-data.js';
import { parseYamlSafely } from '../internal/yaml.js';
import { RELEASE_FILE, validateReleases } from './release-model.js';
import type { PromptEntry, Release } from './types.js';

export * from './release-model.js';

/** Parses and checks `promptpin.yaml` text against the known prompts. Returns releases plus issues. */
export function parseReleaseFile(
  text: string,
  prompts: ReadonlyMap<string, PromptEntry>,
  file: string = RELEASE_FILE,
): { environments: Map<string, Map<string, Release>>; issues: RegistryIssue[] } {
  const environments = new Map<string, Map<string, Release>>();
  const issues: RegistryIssue[] = [];
  let parsed;
  try {
    parsed = parseYamlSafely(text, LIMITS.configFileChars);
  } catch (e) {
    const p = e as YamlProblem;
    issues.push({ code: ErrorCode.INVALID_CONFIG, file, message: `invalid YAML: ${p.message}`, ...(p.line !== undefined ? { line: p.line } : {}) });
    return { environments, issues };
  }
  const checked = validateReleases(parsed.value ?? {}, prompts, file, (path) => parsed.lineOf(path), { checkSignals: true });
  issues.push(...checked.issues);
  return { environments: checked.environments, issues };
}

