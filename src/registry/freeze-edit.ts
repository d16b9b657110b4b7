/**
 * The incident freeze as release-file edits (pure: text in, text out): `freeze:` at the top of
 * promptpin.yaml refuses new rollouts, ramps and promotions until it is lifted. Rolling back every
 * live rollout is done by the caller with `rollbackRelease`, one changelog line each (see
 * `src/fleet/freeze.ts`).
 */
import { isMap, type Document } from 'yaml';
import { ErrorCode, PromptError } from '../errors.js';
import { LIMITS } from '../internal/safe-data.js';
import { parseYamlDocument, parseYamlSafely } from '../internal/yaml.js';
import type { Freeze } from './ramp-model.js';

export type { Freeze } from './ramp-model.js';

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

/**
 * The freeze recorded in promptpin.yaml text, or null. Any `freeze:` mapping counts, even one with
 * fields missing: an edit never goes ahead because the freeze was written by hand.
 */
export function readFreeze(text: string | undefined): Freeze | null {
  if (text === undefined || text.trim() === '') return null;
  let value: unknown;
  try {
    value = parseYamlSafely(text, LIMITS.configFileChars).value;
  } catch {
    return null; // invalid YAML: every edit refuses it on its own
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const f = (value as Record<string, unknown>).freeze;
  if (f === undefined || f === null || f === false) return null;
  const r = typeof f === 'object' && !Array.isArray(f) ? (f as Record<string, unknown>) : {};
  return Object.freeze({ since: str(r.since), author: str(r.author), reason: str(r.reason) });
}

/** Describes a freeze for messages: `since 2026-12-04T10:00:00Z by ana: "incident 42"`. */
export function describeFreeze(f: Freeze): string {
  return `${f.since ? `since ${f.since}` : ''}${f.author ? ` by ${f.author}` : ''}${f.reason ? `: "${f.reason}"` : ''}`.trim();
}

/**
 * Refuses an edit while the folder is frozen.
 *
 * @throws {PromptError} REGISTRY_FROZEN when promptpin.yaml has `freeze:`.
 */
export function assertNotFrozen(text: string | undefined, what: string): void {
  const f = readFreeze(text);
  if (f === null) return;
  const err = new PromptError(
    ErrorCode.REGISTRY_FROZEN,
    `Cannot ${what}: the prompts folder is frozen ${describeFreeze(f)}. Rollbacks still work; lift the freeze first with \`promptpin freeze --lift --reason "…"\` when the incident is over.`,
  );
  Error.captureStackTrace?.(err, assertNotFrozen);
  throw err;
}

function openDoc(text: string | undefined): Document {
  const doc = parseYamlDocument(text === undefined || text.trim() === '' ? 'environments: {}\n' : text, { schema: 'core', uniqueKeys: true, prettyErrors: false });
  const err = doc.errors[0];
  if (err) throw new PromptError(ErrorCode.CHANGE_REFUSED, `promptpin.yaml is not valid YAML (${err.message.split('\n')[0]}). Fix it (promptpin check shows where), then retry.`);
  if (!isMap(doc.contents)) throw new PromptError(ErrorCode.CHANGE_REFUSED, 'promptpin.yaml must be a mapping with an environments: key. Fix it, then retry.');
  return doc;
}

/**
 * Records `freeze:` (first key of the file, where people look). Replaces an earlier freeze.
 *
 * @throws {PromptError} CHANGE_REFUSED when the reason or author is empty or the YAML is invalid.
 */
export function setFreeze(text: string | undefined, freeze: Freeze): string {
  if (freeze.reason.trim() === '') throw new PromptError(ErrorCode.CHANGE_REFUSED, 'A freeze needs a reason for the changelog: --reason "incident 42: refusals spiking".');
  if (freeze.author.trim() === '') throw new PromptError(ErrorCode.CHANGE_REFUSED, 'A freeze needs an author. Pass --author or set PROMPTPIN_AUTHOR.');
  const doc = openDoc(text);
  const map = doc.contents as unknown as { items: unknown[]; delete: (k: string) => boolean; flow?: boolean };
  map.delete('freeze');
  const node = doc.createNode({ since: freeze.since, author: freeze.author.trim(), reason: freeze.reason.trim() });
  (node as { flow?: boolean }).flow = true;
  map.items.unshift(doc.createPair('freeze', node));
  return doc.toString({ lineWidth: 0 });
}

/**
 * Removes `freeze:`.
 *
 * @throws {PromptError} CHANGE_REFUSED when the folder is not frozen.
 */
export function liftFreeze(text: string | undefined): string {
  if (readFreeze(text) === null) throw new PromptError(ErrorCode.CHANGE_REFUSED, 'The prompts folder is not frozen: nothing to lift.');
  const doc = openDoc(text);
  doc.delete('freeze');
  return doc.toString({ lineWidth: 0 });
}
