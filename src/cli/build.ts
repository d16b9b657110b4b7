/** `promptpin build [-o FILE]`: the compiled registry JSON for URL and file sources. */
import { resolve } from 'node:path';
import { compileFolder, registryToJson } from '../registry/registry.js';
import { checkFolder } from '../registry/registry.js';
import { schemaIssues } from '../registry/schema-check.js';
import { registryError } from '../registry/compiled.js';
import { COMMON_OPTIONS, command, loadFolder, makeCtx, parseVerbArgs, positionals, show, writeAtomic, type Io } from './context.js';

/** Usage of `build`. */
export const BUILD_USAGE = `promptpin build [-o FILE] [--dir DIR]

Compiles the prompts folder (every version and every environment's releases) into one registry JSON
document, validated whole. Writes FILE atomically, or prints to stdout without -o.`;

const OPTIONS = { ...COMMON_OPTIONS, output: { type: 'string', short: 'o' } } as const;

/** Runs `build`. */
export async function runBuild(io: Io, args: readonly string[]): Promise<number> {
  const { values, positionals: pos } = parseVerbArgs(args, OPTIONS, BUILD_USAGE);
  if (values.help) {
    io.out(`${BUILD_USAGE}\n`);
    return 0;
  }
  const ctx = makeCtx(io, values);
  positionals(pos, [], BUILD_USAGE);
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
  await writeAtomic(out, json);
  let versions = 0;
  for (const p of registry.prompts.values()) versions += p.versions.size;
  const summary = `Wrote ${show(ctx, out)}: ${registry.prompts.size} prompts, ${versions} versions, ${registry.environments.size} environments, revision ${registry.revision.slice(0, 19)}…`;
  if (ctx.json) io.out(`${JSON.stringify({ ok: true, file: show(ctx, out), revision: registry.revision, prompts: registry.prompts.size, versions }, null, 2)}\n`);
  else io.out(`${summary}\nServe it to clients with PromptClient.create({ source: 'https://…/${out.split(/[\\/]/).pop()}' }).\n`);
  return 0;
}
