/** `promptpin check`: validates the folder for CI, listing every problem with file and line. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { LineCounter } from 'yaml';
import { ErrorCode, formatIssue, isPromptError, type RegistryIssue } from '../errors.js';
import { LIMITS } from '../internal/safe-data.js';
import { parseYamlDocument, parseYamlSafely } from '../internal/yaml.js';
import { CHANGELOG_FILE } from '../registry/changelog.js';
import { listReleases } from '../registry/edit.js';
import { liveChangeProblems, rolloutStaleness, type LiveChange } from '../registry/release-diff.js';
import { RELEASE_FILE } from '../registry/release.js';
import { splitFrontMatter } from '../registry/prompt-file.js';
import { checkFolder, type FolderFiles } from '../registry/registry.js';
import { schemaIssues } from '../registry/schema-check.js';
import type { PromptVersion } from '../registry/types.js';
import { compileTemplate } from '../render/compile.js';
import { guessProvider } from '../telemetry/prompt-info.js';
import { COMMON_OPTIONS, command, loadFolder, show, UsageError, type Ctx } from '../edit/context.js';
import { defineVerb } from './verb.js';

/** Usage of `check`. */
export const CHECK_USAGE = `promptpin check [--base REF] [--dir DIR] [--json]

Validates the prompts folder, for CI: every locked hash (no version edited in place), every version
in the lock, references in promptpin.yaml, templates against declared variables, rollout rules
(expected note, guards, declared signals), and renders each version with the examples: its .prompt
file declares. Warns about a rollout past its window (no longer guarded: promote or roll back).
  --base REF  on a pull request: compare promptpin.yaml with the git commit REF (e.g. origin/main)
              and refuse a live change (stable flip, new or ended rollout, candidate, percent, rollout
              rules) that comes without its CHANGELOG.md line. The folder must be in a git checkout.
Exits 1 listing every problem with file:line, 0 when all is well, 2 on a usage error (unknown REF).`;

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

/** Largest file read from git (`--base`). */
const MAX_GIT_BYTES = LIMITS.configFileChars * 4;

interface GitResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs git without a shell, in `cwd`; a missing git is a usage error. */
function git(ctx: Ctx, cwd: string, args: readonly string[]): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile('git', [...args], { cwd, env: { ...ctx.io.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' }, encoding: 'utf8', maxBuffer: MAX_GIT_BYTES, timeout: 30_000, windowsHide: true }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: unknown };
      if (e.code === 'ENOENT') return reject(new UsageError('--base needs git, and git is not on PATH. Install git, or run promptpin check without --base.', CHECK_USAGE));
      if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return reject(new UsageError(`git ${args[0]} wrote more than ${MAX_GIT_BYTES} bytes: the file at the base is too large to be a promptpin file.`, CHECK_USAGE));
      resolve({ code: typeof e.code === 'number' ? e.code : 1, stdout, stderr });
    });
  });
}

/** A file of the prompts folder as it was at `commit`; undefined when it did not exist there. */
async function fileAt(ctx: Ctx, commit: string, file: string): Promise<string | undefined> {
  const ls = await git(ctx, ctx.dir, ['ls-tree', '-z', commit, '--', file]);
  if (ls.code !== 0) throw new UsageError(`--base: git ls-tree failed for ${file} at ${commit.slice(0, 12)}: ${ls.stderr.trim()}.`, CHECK_USAGE);
  const m = /^(\d+) (\w+) ([0-9a-f]+)\t/.exec(ls.stdout);
  if (!m || m[2] !== 'blob') return undefined;
  const blob = await git(ctx, ctx.dir, ['cat-file', 'blob', m[3]!]);
  if (blob.code !== 0) throw new UsageError(`--base: git could not read ${file} at ${commit.slice(0, 12)}: ${blob.stderr.trim()}.`, CHECK_USAGE);
  return blob.stdout;
}

/** Resolves `--base REF` to a commit of the folder's repository, or a usage error saying why not. */
async function baseCommit(ctx: Ctx, ref: string): Promise<string> {
  if (ref.trim() === '' || ref.startsWith('-') || /[\0\n]/.test(ref)) throw new UsageError(`--base "${ref}" is not a git ref: name a branch, tag or commit, e.g. --base origin/main.`, CHECK_USAGE);
  const inside = await git(ctx, ctx.dir, ['rev-parse', '--is-inside-work-tree']);
  if (inside.code !== 0 || inside.stdout.trim() !== 'true') {
    throw new UsageError(`--base needs a git checkout: ${show(ctx, ctx.dir)} is not inside a git work tree (${inside.stderr.trim().replace(/^fatal: /, '') || 'git said no'}). Run check --base in the repository's checkout, or drop --base.`, CHECK_USAGE);
  }
  const rev = await git(ctx, ctx.dir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  const commit = rev.stdout.trim();
  if (rev.code !== 0 || !/^[0-9a-f]{40,64}$/.test(commit)) {
    throw new UsageError(`--base "${ref}": no such commit in this repository. In CI, fetch the base branch first (e.g. git fetch origin main) and pass --base origin/main.`, CHECK_USAGE);
  }
  return commit;
}

/** A stale rollout, as `check` and `status` report it. */
export interface StaleRollout {
  readonly prompt: string;
  readonly environment: string;
  readonly candidate: number;
  readonly percent: number;
  readonly window: string;
  /** When the window closed (ISO). */
  readonly since: string;
  readonly line?: number;
}

/** The rollouts past their `window` in `releaseText` at `now` (none when the text cannot be read). */
export function staleRollouts(releaseText: string | undefined, now: Date): StaleRollout[] {
  let listing;
  let parsed;
  try {
    listing = listReleases(releaseText);
    parsed = releaseText === undefined ? undefined : parseYamlSafely(releaseText, LIMITS.configFileChars);
  } catch {
    return [];
  }
  const out: StaleRollout[] = [];
  for (const { environment, prompt, release } of listing) {
    const r = release.rollout;
    if (!r?.window) continue;
    const stale = rolloutStaleness(r, now);
    if (!stale) continue;
    const line = parsed?.lineOf(['environments', environment, prompt, 'rollout', 'window']);
    out.push({ prompt, environment, candidate: r.candidate, percent: r.percent, window: r.window, since: stale.since, ...(line !== undefined ? { line } : {}) });
  }
  return out;
}

/** The warning line of a stale rollout. */
export function staleWarning(ctx: Ctx, s: StaleRollout): string {
  const here: Ctx = { ...ctx, env: s.environment };
  return `${show(ctx, join(ctx.dir, RELEASE_FILE))}${s.line !== undefined ? `:${s.line}` : ''}: ${s.prompt} in ${s.environment}: rollout v${s.candidate} at ${s.percent}% is stale: its ${s.window} window closed at ${s.since}, so no guard judges it any more. Promote or roll back: ${command(here, `promote ${s.prompt}`)} · ${command(here, `rollback ${s.prompt} --reason "…"`)}`;
}

/** Runs `check`. */
export const runCheck = defineVerb({ name: 'check', usage: CHECK_USAGE, options: { ...COMMON_OPTIONS, base: { type: 'string' } } }, async ({ io, ctx, values }) => {
  const state = await loadFolder(ctx);
  const commit = values.base !== undefined ? await baseCommit(ctx, values.base) : undefined;
  const result = checkFolder(state.files);
  const issues: RegistryIssue[] = [...result.issues, ...schemaIssues(result.versions)];
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
  const baseWarnings: string[] = [];
  let changes: readonly LiveChange[] = [];
  if (commit !== undefined) {
    const [baseRelease, baseChangelog] = [await fileAt(ctx, commit, RELEASE_FILE), await fileAt(ctx, commit, CHANGELOG_FILE)];
    let compared;
    try {
      compared = liveChangeProblems({ baseRelease, headRelease: state.files.releaseText, baseChangelog, headChangelog: state.changelogText });
    } catch {
      try {
        compared = liveChangeProblems({ baseRelease: undefined, headRelease: state.files.releaseText, baseChangelog, headChangelog: state.changelogText });
        baseWarnings.push(`${RELEASE_FILE} at ${values.base} is not valid YAML: every release is compared as new`);
      } catch {
        compared = undefined; // the file now is not valid YAML: checkFolder reports it.
      }
    }
    if (compared) {
      changes = compared.changes;
      for (const p of compared.problems) {
        issues.push({ code: ErrorCode.CHANGE_REFUSED, file: RELEASE_FILE, ...(p.change.line !== undefined ? { line: p.change.line } : {}), prompt: p.change.prompt, field: p.change.field, message: `${p.message} (compared with ${values.base})` });
      }
    }
  }
  const relIssues = issues.map((i) => (i.file ? { ...i, file: show(ctx, `${ctx.dir}/${i.file}`) } : i));
  const promptCount = new Set(result.versions.map((v) => v.name)).size;
  const stale = staleRollouts(state.files.releaseText, io.now());
  const warnings = [...providerWarnings(result.versions), ...baseWarnings, ...stale.map((s) => staleWarning(ctx, s))];
  const base = commit !== undefined ? { ref: values.base, commit, changes } : undefined;
  if (ctx.json) {
    io.out(`${JSON.stringify({ ok: issues.length === 0, prompts: promptCount, versions: result.versions.length, examplesRendered: examples.rendered, issues: relIssues, warnings, stale, ...(base ? { base } : {}) }, null, 2)}\n`);
    return issues.length ? 1 : 0;
  }
  for (const w of warnings) io.out(`⚠ ${w}\n`);
  if (issues.length === 0) {
    const envs = result.registry?.environments.size ?? 0;
    const against = base ? ` ${changes.length} live change${changes.length === 1 ? '' : 's'} since ${values.base}${changes.length ? ', each with its changelog line' : ''}.` : '';
    io.out(`✓ ${show(ctx, ctx.dir)}: ${promptCount} prompts, ${result.versions.length} versions (all locked), ${envs} environments, ${examples.rendered} examples rendered.${against} No problems.\n`);
    return 0;
  }
  io.out(`${relIssues.map((i) => `✖ ${formatIssue(i)}`).join('\n')}\n\n${issues.length} problem${issues.length === 1 ? '' : 's'} in ${show(ctx, ctx.dir)}.\n`);
  return 1;
});
