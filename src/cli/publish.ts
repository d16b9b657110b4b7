/** `promptpin publish <name> [--from FILE|-] --author A --message M`: the next immutable version. */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { addChangelogEntry, changelogDate } from '../registry/changelog.js';
import { addToLock, preparePublishText } from '../registry/edit.js';
import { parseLock } from '../registry/lock.js';
import { nameProblem } from '../registry/names.js';
import { parsePromptFile } from '../registry/prompt-file.js';
import { checkFolder } from '../registry/registry.js';
import { schemaIssues } from '../registry/schema-check.js';
import { MAX_VERSION, nextVersion } from '../registry/version-numbers.js';
import { CHANGE_OPTIONS, ChangeRefused, command, emit, knownList, loadFolder, paths, promptText, requireAuthor, show, validateAfter, versionNumbersOf, writeFolderChange } from '../edit/context.js';
import { defineVerb } from './verb.js';
import { compareVersions, summarizeDiff } from './version-diff.js';

/** Usage of `publish`. */
export const PUBLISH_USAGE = `promptpin publish <name> [--from FILE|-] --message "why" [--author NAME] [--dir DIR] [--json]

Writes <name>/<N+1>.prompt and records its hash in promptpin.lock (released: immutable from now on).
  --from FILE   a full .prompt file, or a bare template that reuses the latest version's front
                matter (model, params, variables, examples); "-" reads stdin.
  (no --from)   publishes a draft: the latest <name>/<N>.prompt you wrote by hand, not yet locked.
Publishing never makes a version live: a rollout or promote does.`;

const OPTIONS = { ...CHANGE_OPTIONS, from: { type: 'string' }, message: { type: 'string', short: 'm' } } as const;

/** Runs `publish`. `hooks` are test seams (see {@link writeFolderChange}). */
export const runPublish = defineVerb({ name: 'publish', usage: PUBLISH_USAGE, options: OPTIONS, positionals: ['name'] }, async ({ io, ctx, values, hooks, args: [name] }) => {
  const bad = nameProblem(name);
  if (bad) throw new ChangeRefused(`"${name}" is not a valid prompt name: ${bad}.`);
  const author = requireAuthor(ctx, values.author);
  const state = await loadFolder(ctx);
  const { files } = state;
  const lockParsed = files.lockText !== undefined ? parseLock(files.lockText) : { lock: new Map<string, ReadonlyMap<number, string>>(), issues: [] };
  if (lockParsed.issues.length) throw new ChangeRefused('promptpin.lock is invalid; restore it from git.', lockParsed.issues);
  const locked = lockParsed.lock.get(name);
  const nums = versionNumbersOf(files, name);
  const latest = nums.length ? nums[nums.length - 1]! : 0;

  let version: number;
  let text: string;
  let draft = false;
  if (values.from !== undefined) {
    const sourceText = values.from === '-' ? await io.readStdin() : await readFile(resolve(io.cwd, values.from), 'utf8');
    const next = nextVersion(nums);
    if (next === null) {
      throw new ChangeRefused(
        latest > MAX_VERSION
          ? `${name}/${latest}.prompt: version ${latest} is above the limit of ${MAX_VERSION}. Rename or remove this file (a typo or a bad merge?), then publish again.`
          : `"${name}" already has v${latest}, the highest version number promptpin accepts. Publish the change under a new prompt name.`,
      );
    }
    version = next;
    const baseText = latest ? promptText(files, name, latest) : undefined;
    text = preparePublishText({ sourceText, author, ...(baseText !== undefined ? { baseText } : {}), ...(values.message !== undefined ? { message: values.message } : {}) });
  } else {
    if (latest === 0) {
      throw new ChangeRefused(`"${name}" has no versions yet. Write the first one with --from FILE (a full .prompt file), or create ${show(ctx, join(ctx.dir, name, '1.prompt'))} and run publish again.`);
    }
    if (locked?.has(latest)) {
      throw new ChangeRefused(
        `nothing to publish for "${name}": v${latest} is already released. Write the new version with --from FILE, or create ${show(ctx, join(ctx.dir, name, `${latest + 1}.prompt`))} and run publish again.`,
      );
    }
    version = latest;
    draft = true;
    text = preparePublishText({ sourceText: promptText(files, name, latest)!, author, ...(values.message !== undefined ? { message: values.message } : {}) });
  }
  const relPath = `${name}/${version}.prompt`;
  const snippets = checkFolder(files).snippets;
  const parsed = parsePromptFile(text, name, version, relPath, snippets);
  if (!parsed.ok) throw new ChangeRefused(`${name} v${version} is not a valid prompt.`, parsed.issues);
  const v = parsed.version;
  const badSchemas = schemaIssues([v]);
  if (badSchemas.length) throw new ChangeRefused(`${name} v${version} declares an invalid schema.`, badSchemas);

  const prevText = version > 1 ? promptText(files, name, version - 1) : undefined;
  const prev = prevText !== undefined ? parsePromptFile(prevText, name, version - 1, `${name}/${version - 1}.prompt`, snippets) : undefined;
  if (prev?.ok && prev.version.hash === v.hash) {
    throw new ChangeRefused(`${name} v${version} would be identical to v${version - 1} (same template, variables, model and params; hash ${v.hash.slice(0, 19)}). Nothing to publish.`);
  }

  const lockText = addToLock(files.lockText, [{ name, version, hash: v.hash }]);
  const promptFiles = draft ? files.promptFiles.map((f) => (f.path === relPath ? { path: relPath, text } : f)) : [...files.promptFiles, { path: relPath, text }];
  const after = { ...files, promptFiles, lockText };
  validateAfter(files, after, `publishing ${name} v${version}`);

  const p = paths(ctx);
  const file = join(ctx.dir, ...relPath.split('/'));
  const date = changelogDate(io.now());
  const changelogText = addChangelogEntry(state.changelogText, { date, author, prompt: name, environment: '', change: `publish v${version}`, why: v.message ?? '', expected: '', observed: '' });
  // Order: the .prompt file first (its exclusive create is what claims v<N> against a racing
  // publish), then CHANGELOG.md, then promptpin.lock last (the lock is what releases the version).
  // Every file is checked unchanged before the first write, and a failed write puts the earlier
  // ones back; should that fail too, what is left is an unlocked draft (which `check` flags and
  // `publish <name>` completes), never a locked version without its file or an unlogged release.
  await writeFolderChange(
    ctx,
    [
      draft ? { path: file, text, expected: promptText(files, name, version) } : { path: file, text, expected: undefined, create: true },
      { path: p.changelog, text: changelogText, expected: state.changelogText },
      { path: p.lock, text: lockText, expected: files.lockText },
    ],
    hooks,
  );

  const diff = prev?.ok ? compareVersions(prev.version, v) : undefined;
  const changes = diff ? summarizeDiff(diff) : 'first version';
  const stillUnlocked = checkFolder(after)
    .unlocked.filter((u) => u.name === name)
    .map((u) => u.version);
  const next = command(ctx, `rollout ${name} --to ${version} --percent 10 --expect "…" --guard "refusal:+0.5pp"`);
  const lines = [
    `Published ${name} v${version} (${v.hash.slice(0, 19)}…), by ${author}: ${v.message ?? ''}`,
    `  ${show(ctx, file)}${draft ? '' : ' (new)'}: immutable from now on`,
    `  ${show(ctx, p.lock)}: v${version} locked`,
    `  ${show(ctx, p.changelog)}: 1 line`,
    `Changes from ${prev?.ok ? `v${version - 1}` : 'nothing'}: ${changes}`,
  ];
  if (diff?.breaking.length) {
    lines.push(`Breaking for callers of v${version - 1} (${diff.breaking.length}); update them before a rollout (${command(ctx, `diff ${name} ${version - 1} ${version}`)}):`);
    for (const b of diff.breaking) lines.push(`  ! ${b}`);
  }
  if (stillUnlocked.length) lines.push(`Note: ${name} v${knownList(stillUnlocked)} ${stillUnlocked.length === 1 ? 'is' : 'are'} not in the lock yet: run \`${command(ctx, 'lock')}\`.`);
  lines.push(`Nothing is live yet. Next: ${next}`);
  emit(ctx, lines.join('\n'), {
    ok: true,
    prompt: name,
    version,
    hash: v.hash,
    author,
    message: v.message ?? null,
    files: [show(ctx, file), show(ctx, p.lock), show(ctx, p.changelog)],
    changes,
    breaking: diff?.breaking ?? [],
    next,
  });
  return 0;
});
