/** `promptpin check`: validates the folder for CI, listing every problem with file and line. */
import { LineCounter } from 'yaml';
import { ErrorCode, formatIssue, isPromptError, type RegistryIssue } from '../errors.js';
import { parseYamlDocument } from '../internal/yaml.js';
import { splitFrontMatter } from '../registry/prompt-file.js';
import { checkFolder, type FolderFiles } from '../registry/registry.js';
import type { PromptVersion } from '../registry/types.js';
import { compileTemplate } from '../render/compile.js';
import { guessProvider } from '../telemetry/prompt-info.js';
import { COMMON_OPTIONS, command, loadFolder, makeCtx, parseVerbArgs, positionals, show, type Io } from './context.js';

/** Usage of `check`. */
export const CHECK_USAGE = `promptpin check [--dir DIR] [--json]

Validates the prompts folder, for CI: every locked hash (no version edited in place), every version
in the lock, references in promptpin.yaml, templates against declared variables, rollout rules
(expected note, guards), and renders each version with the examples: its .prompt file declares.
Exits 1 listing every problem with file:line, 0 when all is well.`;

/** 1-based file line of `examples[index]` in a .prompt file (front matter starts on line 2). */
function exampleLine(text: string, index: number): number | undefined {
  const parts = splitFrontMatter(text);
  if (!parts) return undefined;
  const lineCounter = new LineCounter();
  const doc = parseYamlDocument(parts.yaml, { lineCounter });
  const node = (doc.getIn(['examples', index], true) ?? doc.get('examples', true)) as { range?: [number, number, number] } | undefined;
  return node?.range ? lineCounter.linePos(node.range[0]).line + 1 : undefined;
}

/** Renders every version against its declared examples; returns the failures as issues. */
export function exampleIssues(files: FolderFiles, versions: readonly PromptVersion[]): { issues: RegistryIssue[]; rendered: number } {
  const issues: RegistryIssue[] = [];
  let rendered = 0;
  for (const v of versions) {
    const file = `${v.name}/${v.version}.prompt`;
    (v.examples ?? []).forEach((example, i) => {
      try {
        compileTemplate(v).render(example);
        rendered++;
      } catch (err) {
        const text = files.promptFiles.find((f) => f.path === file)?.text ?? '';
        const line = exampleLine(text, i);
        const why = isPromptError(err) ? err.message.replace(/\n?Pass every required variable.*$/s, '').replace(/\n\s*/g, ' ') : String(err);
        issues.push({
          code: ErrorCode.INVALID_VARIABLES,
          file,
          ...(line !== undefined ? { line } : {}),
          prompt: v.name,
          version: v.version,
          field: `examples.${i}`,
          message: `example ${i + 1} does not render: ${why}. Fix the example or the variables: block`,
        });
      }
    });
  }
  return { issues, rendered };
}

/**
 * Warnings (not failures): versions without `provider:`. `gen_ai.provider.name` is required by the
 * GenAI conventions; without it, it is guessed from the model id, else taken from the request
 * builder's SDK, else `_OTHER`.
 */
export function providerWarnings(versions: readonly PromptVersion[]): string[] {
  const out: string[] = [];
  for (const v of versions) {
    if (v.provider !== undefined) continue;
    const guess = guessProvider(v.model);
    out.push(
      `${v.name}/${v.version}.prompt: no provider: (gen_ai.provider.name) — ${guess !== undefined ? `guessed "${guess}" from model "${v.model}"` : `model "${v.model}" names no provider, so spans say "_OTHER" unless a request builder knows it`}. Add provider: to the front matter`,
    );
  }
  return out;
}

/** Runs `check`. */
export async function runCheck(io: Io, args: readonly string[]): Promise<number> {
  const { values, positionals: pos } = parseVerbArgs(args, COMMON_OPTIONS, CHECK_USAGE);
  if (values.help) {
    io.out(`${CHECK_USAGE}\n`);
    return 0;
  }
  const ctx = makeCtx(io, values);
  positionals(pos, [], CHECK_USAGE);
  const state = await loadFolder(ctx);
  const result = checkFolder(state.files);
  const issues: RegistryIssue[] = [...result.issues];
  for (const u of result.unlocked) {
    issues.push({
      code: ErrorCode.VERSION_IMMUTABLE,
      file: `${u.name}/${u.version}.prompt`,
      prompt: u.name,
      version: u.version,
      message: `${u.name} v${u.version} is not in promptpin.lock (not released, so it may still change): publish it or run \`${command(ctx, 'lock')}\``,
    });
  }
  const examples = exampleIssues(state.files, result.versions);
  issues.push(...examples.issues);
  const relIssues = issues.map((i) => (i.file ? { ...i, file: show(ctx, `${ctx.dir}/${i.file}`) } : i));
  const promptCount = new Set(result.versions.map((v) => v.name)).size;
  const warnings = providerWarnings(result.versions);
  if (ctx.json) {
    io.out(`${JSON.stringify({ ok: issues.length === 0, prompts: promptCount, versions: result.versions.length, examplesRendered: examples.rendered, issues: relIssues, warnings }, null, 2)}\n`);
    return issues.length ? 1 : 0;
  }
  for (const w of warnings) io.out(`⚠ ${w}\n`);
  if (issues.length === 0) {
    const envs = result.registry?.environments.size ?? 0;
    io.out(`✓ ${show(ctx, ctx.dir)}: ${promptCount} prompts, ${result.versions.length} versions (all locked), ${envs} environments, ${examples.rendered} examples rendered. No problems.\n`);
    return 0;
  }
  io.out(`${relIssues.map((i) => `✖ ${formatIssue(i)}`).join('\n')}\n\n${issues.length} problem${issues.length === 1 ? '' : 's'} in ${show(ctx, ctx.dir)}.\n`);
  return 1;
}
