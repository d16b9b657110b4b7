/** Compares two versions of a prompt: template patch, model/params/variables changes, breaking flags. */
import { createTwoFilesPatch } from 'diff';
import type { PromptVersion, VariableSpec } from '../registry/types.js';
import { parseTemplate } from '../render/template.js';

/** One variable that differs between two versions. */
export interface VariableChange {
  readonly name: string;
  readonly change: 'added' | 'removed' | 'changed';
  readonly from?: string;
  readonly to?: string;
}

/** One scalar setting (model, provider, operation, a param) that differs. */
export interface SettingChange {
  readonly key: string;
  readonly from: unknown;
  readonly to: unknown;
}

/** Everything that differs between two versions. */
export interface VersionDiff {
  readonly prompt: string;
  readonly from: number;
  readonly to: number;
  /** model, provider, operation and template kind (text/chat). */
  readonly settings: readonly SettingChange[];
  readonly params: readonly SettingChange[];
  readonly variables: readonly VariableChange[];
  /** Why callers or behaviour of `from` may break on `to`. */
  readonly breaking: readonly string[];
  readonly templateChanged: boolean;
  /** Unified diff of the two templates (empty when unchanged). */
  readonly patch: string;
}

/** Describes a variable declaration for humans: `enum [free, pro], optional, default "free"`. */
export function describeVariable(spec: VariableSpec): string {
  const type = spec.type === 'enum' ? `enum [${(spec.values ?? []).join(', ')}]` : spec.type;
  const parts = [type];
  if (spec.optional) parts.push('optional');
  if (spec.default !== undefined) parts.push(`default ${JSON.stringify(spec.default)}`);
  return parts.join(', ');
}

function kindOf(v: PromptVersion): 'text' | 'chat' {
  try {
    return parseTemplate(v.template).kind;
  } catch {
    return 'text';
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

// A value of type `from` always fits type `to` (the change widens what callers may pass).
function widens(from: VariableSpec, to: VariableSpec): boolean {
  if (from.type === to.type) {
    if (from.type !== 'enum') return true;
    return (from.values ?? []).every((v) => (to.values ?? []).includes(v));
  }
  if (from.type === 'enum' && to.type === 'string') return true;
  if (from.type === 'integer' && to.type === 'number') return true;
  return false;
}

/** Compares version `a` (before) with version `b` (after). */
export function compareVersions(a: PromptVersion, b: PromptVersion): VersionDiff {
  const settings: SettingChange[] = [];
  const breaking: string[] = [];
  if (a.model !== b.model) {
    settings.push({ key: 'model', from: a.model, to: b.model });
    breaking.push(`model changed: ${a.model} → ${b.model} (outputs, cost and limits change; check params and evals)`);
  }
  if ((a.provider ?? null) !== (b.provider ?? null)) {
    settings.push({ key: 'provider', from: a.provider ?? null, to: b.provider ?? null });
    breaking.push(`provider changed: ${a.provider ?? '(none)'} → ${b.provider ?? '(none)'} (the calling code must use the other provider's SDK)`);
  }
  if (a.operation !== b.operation) {
    settings.push({ key: 'operation', from: a.operation, to: b.operation });
    breaking.push(`operation changed: ${a.operation} → ${b.operation}`);
  }
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka !== kb) {
    settings.push({ key: 'template kind', from: ka, to: kb });
    breaking.push(`template kind changed: ${ka} → ${kb} (render() now returns ${kb === 'chat' ? 'messages instead of a string' : 'a string instead of messages'})`);
  }
  const params: SettingChange[] = [];
  for (const key of [...new Set([...Object.keys(a.params), ...Object.keys(b.params)])].sort()) {
    const from = Object.prototype.hasOwnProperty.call(a.params, key) ? a.params[key] : undefined;
    const to = Object.prototype.hasOwnProperty.call(b.params, key) ? b.params[key] : undefined;
    if (!same(from, to)) params.push({ key, from: from ?? null, to: to ?? null });
  }
  const variables: VariableChange[] = [];
  const names = [...new Set([...Object.keys(a.variables), ...Object.keys(b.variables)])];
  for (const name of names) {
    const va = Object.prototype.hasOwnProperty.call(a.variables, name) ? a.variables[name] : undefined;
    const vb = Object.prototype.hasOwnProperty.call(b.variables, name) ? b.variables[name] : undefined;
    if (va && !vb) {
      variables.push({ name, change: 'removed', from: describeVariable(va) });
      breaking.push(`variable "${name}" removed: callers that still pass it get INVALID_VARIABLES (not declared)`);
    } else if (!va && vb) {
      variables.push({ name, change: 'added', to: describeVariable(vb) });
      if (!vb.optional) breaking.push(`new required variable "${name}" (${describeVariable(vb)}): callers of v${a.version} do not pass it`);
    } else if (va && vb && !same(va, vb)) {
      variables.push({ name, change: 'changed', from: describeVariable(va), to: describeVariable(vb) });
      if (va.optional && !vb.optional) breaking.push(`variable "${name}" is now required: callers that omit it get INVALID_VARIABLES`);
      if (!widens(va, vb)) breaking.push(`variable "${name}" changed type: ${describeVariable(va)} → ${describeVariable(vb)} (values valid for v${a.version} may be refused)`);
    }
  }
  schemaChanges(a, b, settings, breaking);
  const templateChanged = a.template !== b.template;
  const patch = templateChanged
    ? createTwoFilesPatch(`${a.name}/${a.version}.prompt`, `${b.name}/${b.version}.prompt`, a.template, b.template, `v${a.version} template`, `v${b.version} template`, { context: 3 })
    : '';
  return { prompt: a.name, from: a.version, to: b.version, settings, params, variables, breaking, templateChanged, patch };
}

function value(v: unknown): string {
  return v === null || v === undefined ? '(unset)' : typeof v === 'string' ? v : JSON.stringify(v);
}

/** A one-line summary: `template; params temperature; variables +history -question; model`. */
export function summarizeDiff(d: VersionDiff): string {
  const parts: string[] = [];
  if (d.templateChanged) parts.push('template');
  for (const s of d.settings) parts.push(`${s.key} ${value(s.from)} → ${value(s.to)}`);
  if (d.params.length) parts.push(`params ${d.params.map((p) => `${p.key} ${value(p.from)} → ${value(p.to)}`).join(', ')}`);
  if (d.variables.length) parts.push(`variables ${d.variables.map((v) => `${v.change === 'added' ? '+' : v.change === 'removed' ? '-' : '~'}${v.name}`).join(' ')}`);
  return parts.length ? parts.join('; ') : 'nothing that changes behaviour';
}

/** The full human-readable diff. */
export function formatDiff(d: VersionDiff): string {
  const out: string[] = [`${d.prompt} v${d.from} → v${d.to}`, ''];
  const settingKeys = new Set(d.settings.map((s) => s.key));
  for (const s of d.settings) out.push(`${`${s.key}:`.padEnd(15)}${value(s.from)} → ${value(s.to)}`);
  if (!settingKeys.has('model')) out.push(`${'model:'.padEnd(15)}unchanged`);
  if (d.params.length === 0) out.push(`${'params:'.padEnd(15)}unchanged`);
  d.params.forEach((p, i) => out.push(`${(i === 0 ? 'params:' : '').padEnd(15)}${p.key} ${value(p.from)} → ${value(p.to)}`));
  if (d.variables.length === 0) out.push(`${'variables:'.padEnd(15)}unchanged`);
  d.variables.forEach((v, i) => {
    const label = (i === 0 ? 'variables:' : '').padEnd(15);
    if (v.change === 'added') out.push(`${label}+ ${v.name}: ${v.to}`);
    else if (v.change === 'removed') out.push(`${label}- ${v.name}: ${v.from}`);
    else out.push(`${label}~ ${v.name}: ${v.from} → ${v.to}`);
  });
  out.push('');
  if (d.breaking.length) {
    out.push(`BREAKING (${d.breaking.length}):`);
    for (const b of d.breaking) out.push(`  ! ${b}`);
  } else {
    out.push('No breaking changes.');
  }
  out.push('');
  if (d.templateChanged) {
    // Drop jsdiff's "Index:"/"===" preamble; keep the ---/+++ headers and hunks.
    const lines = d.patch.split('\n');
    const start = lines.findIndex((l) => l.startsWith('--- '));
    out.push(...lines.slice(start === -1 ? 0 : start).filter((l, i, all) => !(i === all.length - 1 && l === '')));
  } else {
    out.push('template:      unchanged');
  }
  return out.join('\n');
}

type Schema = Readonly<Record<string, unknown>>;

function typesOf(s: Schema): Set<string> | null {
  const t = s.type;
  return typeof t === 'string' ? new Set([t]) : Array.isArray(t) ? new Set(t.map(String)) : null;
}

/** Breaking differences between two JSON Schemas: newly required fields, removed fields, narrowed types or enums. */
export function schemaBreaks(a: Schema, b: Schema, at: string, removedBreaks: boolean, out: string[], depth = 0): void {
  if (depth > 32) return;
  const ta = typesOf(a);
  const tb = typesOf(b);
  if (tb !== null && (ta === null || [...ta].some((t) => !tb.has(t) && !(t === 'integer' && tb.has('number'))))) out.push(`${at}: type narrowed ${ta ? [...ta].join('|') : '(any)'} → ${[...tb].join('|')}`);
  if (Array.isArray(b.enum) && (!Array.isArray(a.enum) || a.enum.some((v) => !(b.enum as unknown[]).some((w) => JSON.stringify(w) === JSON.stringify(v))))) out.push(`${at}: enum narrowed`);
  const ra = new Set(Array.isArray(a.required) ? a.required.map(String) : []);
  for (const r of Array.isArray(b.required) ? b.required.map(String) : []) if (!ra.has(r)) out.push(`${at}: "${r}" is newly required`);
  const pa = (a.properties ?? {}) as Record<string, Schema>;
  const pb = (b.properties ?? {}) as Record<string, Schema>;
  for (const key of Object.keys(pa)) {
    if (!Object.hasOwn(pb, key)) {
      if (removedBreaks) out.push(`${at}: field "${key}" removed`);
    } else if (typeof pa[key] === 'object' && typeof pb[key] === 'object') schemaBreaks(pa[key], pb[key], `${at}.${key}`, removedBreaks, out, depth + 1);
  }
  if (typeof a.items === 'object' && a.items !== null && typeof b.items === 'object' && b.items !== null) schemaBreaks(a.items as Schema, b.items as Schema, `${at}[]`, removedBreaks, out, depth + 1);
}

/** Tools and output schema: what changed (settings) and what breaks callers or consumers. */
function schemaChanges(a: PromptVersion, b: PromptVersion, settings: SettingChange[], breaking: string[]): void {
  const ta = new Map((a.tools ?? []).map((t) => [t.name, t]));
  const tb = new Map((b.tools ?? []).map((t) => [t.name, t]));
  for (const [name, t] of ta) {
    const u = tb.get(name);
    if (!u) {
      settings.push({ key: `tool ${name}`, from: 'declared', to: null });
      breaking.push(`tool "${name}" removed: code that handles its calls no longer gets them, and the model can no longer call it`);
    } else if (!same(t, u)) {
      settings.push({ key: `tool ${name}`, from: 'v' + a.version, to: 'changed' });
      const out: string[] = [];
      schemaBreaks(t.parameters ?? {}, u.parameters ?? {}, `tool "${name}" parameters`, true, out);
      breaking.push(...out);
    }
  }
  for (const name of tb.keys()) if (!ta.has(name)) settings.push({ key: `tool ${name}`, from: null, to: 'added' });
  if (!same(a.outputSchema ?? null, b.outputSchema ?? null)) {
    settings.push({ key: 'output_schema', from: a.outputSchema ? 'declared' : null, to: b.outputSchema ? 'changed' : null });
    if (a.outputSchema && !b.outputSchema) breaking.push('output_schema removed: the response is no longer structured; code that parses it breaks');
    else if (a.outputSchema && b.outputSchema) {
      const out: string[] = [];
      // For a response, a removed field breaks whoever reads it.
      schemaBreaks(a.outputSchema, b.outputSchema, 'output_schema', true, out);
      breaking.push(...out);
    }
  }
}
