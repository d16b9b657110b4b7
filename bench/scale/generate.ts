/**
 * Writes a synthetic prompts folder: `prompts` prompts × `versions` versions of ~1 KB each, every
 * version locked, version 1 stable everywhere (no rollouts yet). Plain file writes: the folder is what `promptpin publish` would leave.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatLock } from '../../src/registry/lock.js';
import { parsePromptFile } from '../../src/registry/prompt-file.js';

const FILLER = 'You answer questions about the product. Be precise, cite the relevant section, and never invent features. '.repeat(8);

/** The text of version `v` of prompt `i` (~1 KB; differs per version so every hash differs). */
export function versionText(i: number, v: number): string {
  return `---\nmodel: gpt-4o-mini\nparams: { temperature: 0.2 }\nvariables:\n  customer: string\n  plan: { enum: [free, pro, team], default: free }\nauthor: bench@example.com\nmessage: version ${v} of prompt ${i}\n---\n{{#system}}\n${FILLER}Revision ${v}.\n{{/system}}\n{{#user}}\n{{customer}} on {{plan}} asks.\n{{/user}}\n`;
}

/** The release file for a generated folder; `stable` shifts every stable version (a release-only change). */
export function releaseText(prompts: number, versions: number, stable = 1): string {
  const lines = ['environments:', '  production:'];
  for (let i = 0; i < prompts; i++) {
    lines.push(`    p${i}:`, `      stable: ${Math.min(stable, versions)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Writes the folder into `dir` (which must exist and be empty). */
export function generateFolder(dir: string, prompts: number, versions: number): void {
  const lock = new Map<string, Map<number, string>>();
  // Hashing every version once here is the generator's cost, not the client's.
  for (let i = 0; i < prompts; i++) {
    const pdir = join(dir, `p${i}`);
    mkdirSync(pdir);
    const hashes = new Map<number, string>();
    for (let v = 1; v <= versions; v++) {
      const text = versionText(i, v);
      writeFileSync(join(pdir, `${v}.prompt`), text);
      const parsed = parsePromptFile(text, `p${i}`, v, `p${i}/${v}.prompt`);
      if (!parsed.ok) throw new Error(parsed.issues[0]!.message);
      hashes.set(v, parsed.version.hash);
    }
    lock.set(`p${i}`, hashes);
  }
  writeFileSync(join(dir, 'promptpin.lock'), formatLock(lock));
  writeFileSync(join(dir, 'promptpin.yaml'), releaseText(prompts, versions));
}
