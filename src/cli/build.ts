/** `promptpin build [-o FILE]`: the compiled registry JSON for URL and file sources. */
import { join, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { INDEX_FILE, registryToIndex } from '../registry/live.js';
import { compileFolder, registryToJson } from '../registry/registry.js';
import { checkFolder } from '../registry/registry.js';
import { COMMON_OPTIONS, command, loadFolder, show, writeAtomic } from '../edit/context.js';
import { defineVerb } from './verb.js';
import { schemaIssues } from '../registry/schema-check.js';
import { registryError } from '../registry/compiled.js';

/** Usage of `build`. */
export const BUILD_USAGE = `promptpin build [-o FILE | -o DIR/] [--dir DIR]

Compiles the prompts folder (every version and every environment's releases) into one registry JSON
document, validated whole. Writes FILE atomically, or prints to stdout without -o.
With -o DIR/ (a trailing slash or an existing directory) writes a compiled index instead:
DIR/registry.json (releases, every hash, live versions inline) and each archived version as
DIR/versions/<hash>.json (content-addressed, immutable: cacheable forever). Clients load archived
versions on demand (client.preload).`;

const OPTIONS = { ...COMMON_OPTIONS, output: { type: 'string', short: 'o' } } as const;

/** Runs `build`. */
export const runBuild = defineVerb({ name: 'build', usage: BUILD_USAGE, options: OPTIONS }, async ({ io, ctx, values }) => {
  const state = await loadFolder(ctx);
  const registry = compileFolder(state.files);
  const badSchemas = schemaIssues([...registry.prompts.values()].flatMap((p) => [...p.versions.values()]));
  if (badSchemas.length) throw registryError(badSchemas);
  const json = `${JSON.stringify(registryToJson(registry), null, 2)}\n`;
  const unlocked = checkFolder(state.files).unlocked;
  if (unlocked.length) {
    io.err(`note: ${unlocked.map((u) => `${u.name} v${u.version}`).join(', ')} ${unlocked.length === 1 ? 'is' : 'are'} not in promptpin.lock (\`${command(ctx, 'check')}\` fails until \`${command(ctx, 'lock')}\`).\n`);
  }
  if (values.output === undefined) {
    io.out(json);
    return 0;
  }
  const out = resolve(io.cwd, values.output);
  const isDir = /[\\/]$/.test(values.output) || (await stat(out).then((s) => s.isDirectory(), () => false));
  if (isDir) {
    const { index, files } = registryToIndex(registry);
    // Version files first: an index never names a file that is not there yet.
    for (const [rel, text] of files) {
      const target = join(out, rel);
      if (!(await stat(target).then(() => true, () => false))) await writeAtomic(target, text);
    }
    const indexFile = join(out, INDEX_FILE);
    await writeAtomic(indexFile, `${JSON.stringify(index)}\n`);
    let versions = 0;
    for (const p of registry.prompts.values()) versions += p.versions.size;
    if (ctx.json) io.out(`${JSON.stringify({ ok: true, file: show(ctx, indexFile), revision: index['revision'], prompts: registry.prompts.size, versions, archived: files.size }, null, 2)}\n`);
    else io.out(`Wrote ${show(ctx, indexFile)} and ${files.size} archived version file${files.size === 1 ? '' : 's'} in ${show(ctx, join(out, 'versions'))}: ${registry.prompts.size} prompts, ${versions} versions.\nServe the folder to clients with PromptClient.create({ source: 'https://…/${INDEX_FILE}' }).\n`);
    return 0;
  }
  await writeAtomic(out, json);
  let versions = 0;
  for (const p of registry.prompts.values()) versions += p.versions.size;
  const summary = `Wrote ${show(ctx, out)}: ${registry.prompts.size} prompts, ${versions} versions, ${registry.environments.size} environments, revision ${registry.revision.slice(0, 19)}…`;
  if (ctx.json) io.out(`${JSON.stringify({ ok: true, file: show(ctx, out), revision: registry.revision, prompts: registry.prompts.size, versions }, null, 2)}\n`);
  else io.out(`${summary}\nServe it to clients with PromptClient.create({ source: 'https://…/${out.split(/[\\/]/).pop()}' }).\n`);
  return 0;
});
