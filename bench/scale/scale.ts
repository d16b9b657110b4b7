/**
 * Scale series (partial, issue 11): cold start of a compiled registry from the single file
 * (schemaVersion 1, every version validated) and from the compiled index (schemaVersion 2, live
 * versions only), and heap, for prompts × versions given on the command line.
 * Run: npx tsx bench/scale/scale.ts 1000 10
 */
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { generateFolder } from './generate.js';
import { compileFolder, registryToJson } from '../../src/registry/registry.js';
import { registryToIndex } from '../../src/registry/live.js';
import { readFolder } from '../../src/sources/folder-source.js';

const child = process.argv[2] === '--child';
if (child) {
  // One cold parse in a fresh process: what a client start costs.
  const { parseRegistryText } = await import('../../src/registry/compiled.js');
  const file = process.argv[3]!;
  const t = performance.now();
  const text = readFileSync(file, 'utf8');
  parseRegistryText(text, file);
  const ms = performance.now() - t;
  console.log(JSON.stringify({ ms, heapMB: process.memoryUsage().heapUsed / 2 ** 20, bytes: text.length }));
  process.exit(0);
}
const [prompts = 1000, versions = 10] = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), 'promptpin-scale-'));
try {
  generateFolder(dir, prompts, versions);
  const registry = compileFolder(await readFolder(dir));
  writeFileSync(join(dir, 'single.json'), JSON.stringify(registryToJson(registry)));
  const { index } = registryToIndex(registry);
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
  for (const f of ['single.json', 'index.json']) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--child', join(dir, f)], { encoding: 'utf8' });
    console.log(`${prompts}x${versions} ${f}: ${r.stdout.trim() || r.stderr.slice(0, 400)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
