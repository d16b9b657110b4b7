/** `promptpin types [-o FILE]`: TypeScript declarations of each prompt's variables. */
import { resolve } from 'node:path';
import { compileFolder } from '../registry/registry.js';
import type { Registry, VariableSpec } from '../registry/types.js';
import { maxVersion } from '../registry/version-numbers.js';
import { COMMON_OPTIONS, command, loadFolder, show, writeAtomic } from '../edit/context.js';
import { defineVerb } from './verb.js';

/** Usage of `types`. */
export const TYPES_USAGE = `promptpin types [-o FILE] [--dir DIR]

Generates a .d.ts that types client.get(name).render(vars) from the variables the .prompt files
declare, so a missing or misspelled variable is a compile error, and so is a misspelled prompt name
in client.get('name') / client.external('name', …) (a name typed string still passes). Per prompt it merges every version
any environment references (stable, candidate, overrides), or the latest version when none: a
variable required by any of them is required; types are unions. Re-run it after each release.`;

const OPTIONS = { ...COMMON_OPTIONS, output: { type: 'string', short: 'o' } } as const;

interface Merged {
  readonly name: string;
  readonly versions: number[];
  readonly vars: Map<string, { types: Set<string>; required: boolean; in: Set<number>; descriptions: Set<string> }>;
}

function tsType(spec: VariableSpec): string[] {
  switch (spec.type) {
    case 'string':
      return ['string'];
    case 'number':
    case 'integer':
      return ['number'];
    case 'boolean':
      return ['boolean'];
    case 'enum':
      return (spec.values ?? []).map((v) => JSON.stringify(v));
    case 'messages':
      return ["ReadonlyArray<{ readonly role: 'system' | 'user' | 'assistant'; readonly content: string }>"];
  }
}

/** The versions of each prompt whose variables the generated types cover. */
export function referencedVersions(registry: Registry): Map<string, number[]> {
  const out = new Map<string, Set<number>>();
  for (const releases of registry.environments.values()) {
    for (const [name, r] of releases) {
      const set = out.get(name) ?? new Set<number>();
      set.add(r.stable);
      if (r.rollout) set.add(r.rollout.candidate);
      for (const v of r.overrides.values()) set.add(v);
      out.set(name, set);
    }
  }
  const result = new Map<string, number[]>();
  for (const [name, entry] of [...registry.prompts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const set = out.get(name);
    result.set(name, set && set.size ? [...set].sort((a, b) => a - b) : [maxVersion(entry.versions.keys())]);
  }
  return result;
}

/** Generates the declaration file text for a registry. */
export function generateTypes(registry: Registry, header: string): { text: string; warnings: string[] } {
  const merged: Merged[] = [];
  const warnings: string[] = [];
  for (const [name, versions] of referencedVersions(registry)) {
    const entry = registry.prompts.get(name)!;
    const vars: Merged['vars'] = new Map();
    for (const n of versions) {
      for (const [k, spec] of Object.entries(entry.versions.get(n)!.variables)) {
        const m = vars.get(k) ?? { types: new Set<string>(), required: false, in: new Set<number>(), descriptions: new Set<string>() };
        for (const t of tsType(spec)) m.types.add(t);
        if (!spec.optional) m.required = true;
        m.in.add(n);
        if (spec.description) m.descriptions.add(spec.description);
        vars.set(k, m);
      }
    }
    for (const [k, m] of vars) {
      if (m.in.size !== versions.length) {
        const missing = versions.filter((v) => !m.in.has(v));
        warnings.push(`${name}: variable "${k}" is declared by v${[...m.in].join(', v')} but not by v${missing.join(', v')}; a call passing it fails on v${missing.join(', v')} while both are live`);
      }
    }
    merged.push({ name, versions, vars });
  }
  const lines = [
    header,
    '// The file must stay a module (the export below) so that `declare module` augments promptpin.',
    'export {};',
    '',
    "declare module 'promptpin' {",
    '  // Its keys are also the PromptName union: client.get() accepts only these literal names.',
    '  interface PromptVariablesByName {',
  ];
  for (const p of merged) {
    lines.push(`    /** Variables of ${p.name} v${p.versions.join(', v')}. */`);
    if (p.vars.size === 0) {
      lines.push(`    '${p.name}': Record<string, never>;`);
      continue;
    }
    lines.push(`    '${p.name}': {`);
    for (const k of [...p.vars.keys()].sort()) {
      const m = p.vars.get(k)!;
      const docs = [...m.descriptions];
      if (m.in.size !== p.versions.length) docs.push(`Only declared by v${[...m.in].sort((a, b) => a - b).join(', v')}.`);
      if (docs.length) lines.push(`      /** ${docs.join(' ').replace(/\*\//g, '* /')} */`);
      const types = [...m.types];
      const t = types.includes('string') ? ['string', ...types.filter((x) => !x.startsWith('"') && x !== 'string')] : types;
      lines.push(`      ${k}${m.required ? '' : '?'}: ${t.join(' | ')};`);
    }
    lines.push('    };');
  }
  lines.push('  }', '}', '');
  return { text: lines.join('\n'), warnings };
}

/** Runs `types`. */
export const runTypes = defineVerb({ name: 'types', usage: TYPES_USAGE, options: OPTIONS }, async ({ io, ctx, values }) => {
  const state = await loadFolder(ctx);
  const registry = compileFolder(state.files);
  const header = `// Generated by \`${command(ctx, `types${values.output !== undefined ? ` -o ${values.output}` : ''}`)}\` from ${show(ctx, ctx.dir)}. Do not edit; re-run after a release.`;
  const { text, warnings } = generateTypes(registry, header);
  for (const w of warnings) io.err(`warning: ${w}\n`);
  if (values.output === undefined) {
    io.out(text);
    return 0;
  }
  const out = resolve(io.cwd, values.output);
  await writeAtomic(out, text);
  io.out(`Wrote ${show(ctx, out)}: variable types for ${registry.prompts.size} prompts. Include it in your tsconfig; client.get(name) and .render(vars) are now checked.\n`);
  return 0;
});
