/**
 * The published artifact, as a user gets it: `npm pack`, install the tarball into an empty
 * folder, then `import` and `require` it, and type-check a consumer in ESM and CJS mode.
 * Needs `dist/` (npm test builds it first) and the npm registry for the dependencies.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const hasDist = existsSync(join(root, 'dist/index.js')) && existsSync(join(root, 'dist/index.cjs'));
let dir = '';

const run = (cmd: string, args: string[], cwd: string): string => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });

describe.skipIf(!hasDist)('packed tarball', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'promptpin-pack-'));
    run('npm', ['pack', '--pack-destination', dir, '--silent'], root);
    const tarball = (await readdir(dir)).find((f) => f.endsWith('.tgz'))!;
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, tarball), '@opentelemetry/api@1.7.0', `typescript@${require_version('typescript')}`], dir);
  }, 300_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('should ship only dist, package.json and README', async () => {
    const files = run('tar', ['-tzf', join(dir, (await readdir(dir)).find((f) => f.endsWith('.tgz'))!)], dir).trim().split('\n');
    expect(files.every((f) => /^package\/(dist\/|package\.json$|README\.md$|LICENSE)/.test(f))).toBe(true);
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/dist/index.d.cts');
    expect(files).toContain('package/dist/cli.js');
  });

  it('should ship no unused build output: no source map, no CommonJS CLI', async () => {
    const files = run('tar', ['-tzf', join(dir, (await readdir(dir)).find((f) => f.endsWith('.tgz'))!)], dir).trim().split('\n');
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => /\/cli\.(cjs|d\.c?ts)$/.test(f))).toEqual([]);
  });

  it('should keep the node: prefix on every Node built-in in the shipped JavaScript', async () => {
    const dist = join(dir, 'node_modules/promptpin/dist');
    const files = (await readdir(dist, { recursive: true })).filter((f) => /\.(c?js)$/.test(f));
    const builtins = builtinModules.filter((m) => !m.startsWith('_') && !m.startsWith('node:'));
    const bare = new RegExp(`(?:\\bfrom\\s*|\\brequire\\(\\s*|\\bimport\\(\\s*)['"](?:${builtins.map((m) => m.replace(/[/.]/g, '\\$&')).join('|')})['"]`, 'g');
    const found: string[] = [];
    let prefixed = 0;
    for (const f of files) {
      const text = await readFile(join(dist, f), 'utf8');
      for (const m of text.matchAll(bare)) found.push(`${f}: ${m[0]}`);
      prefixed += text.match(/['"]node:[a-z_/]+['"]/g)?.length ?? 0;
    }
    expect(found).toEqual([]);
    expect(prefixed).toBeGreaterThan(0);
  });

  it('should type-check a consumer that has no @opentelemetry/sdk-trace-base, libraries checked too (no TS2307)', async () => {
    // The optional peer is not installed here (npm installs no optional peer): its absence is the point.
    expect(existsSync(join(dir, 'node_modules/@opentelemetry/sdk-trace-base'))).toBe(false);
    const code = `import { PromptClient, PromptSpanProcessor } from 'promptpin';
const processor = new PromptSpanProcessor({ fromBaggage: true });
const done: Promise<void> = processor.shutdown(); void done;
const client: Promise<PromptClient> = PromptClient.create({ source: './prompts' }); void client;
`;
    await writeFile(join(dir, 'peerless.mts'), code);
    await writeFile(join(dir, 'peerless.cts'), code);
    const tsc = join(dir, 'node_modules/typescript/bin/tsc');
    // No --skipLibCheck: with it, an unresolved import in our .d.ts silently becomes `any`.
    let out = '';
    try {
      run('node', [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', 'peerless.mts', 'peerless.cts'], dir);
    } catch (err) {
      out = String((err as { stdout?: string }).stdout);
    }
    expect(out).toBe('');
  });

  it('should work with import and with require', () => {
    const script = `
      const folder = { files: { 'greet/1.prompt': '---\\nmodel: m\\nvariables: { who: string }\\n---\\nHi {{who}}', 'promptpin.yaml': 'environments: { production: { greet: { stable: 1 } } }' } };
      const c = await PromptClient.create({ source: folder, watch: false });
      console.log(c.get('greet', 'u').render({ who: 'Ann' }), typeof bucketOf);
      await c.close();`;
    expect(run('node', ['--input-type=module', '-e', `import { PromptClient, bucketOf } from 'promptpin';${script}`], dir).trim()).toBe('Hi Ann function');
    expect(run('node', ['-e', `const { PromptClient, bucketOf } = require('promptpin'); (async () => {${script}})()`], dir).trim()).toBe('Hi Ann function');
  });

  it('should install the promptpin command', () => {
    const examples = join(root, 'examples/prompts');
    expect(run(join(dir, 'node_modules/.bin/promptpin'), ['check', '--dir', examples], dir)).toMatch(/No problems/);
    const built = JSON.parse(run(join(dir, 'node_modules/.bin/promptpin'), ['build', '--dir', examples], dir)) as { schemaVersion: number };
    expect(built.schemaVersion).toBe(1);
  });

  it('should type-check a consumer in ESM and CJS mode, and catch a wrong option type', async () => {
    const consumer = (imp: string) => `${imp}
const client: Promise<PromptClient> = PromptClient.create({ source: './prompts', environment: 'production' });
void client.then((c) => { const p = c.get('support-agent', 'u1'); const v: number = p.version; const s: 'stable' | 'candidate' | 'override' | 'pinned' | 'fallback' | 'external' | \`rule:\${string}\` = p.slice; const x: typeof p.slice = 'external'; void v; void s; void x; const q = c.external('support-agent', 2, { source: 'launchdarkly' }); void q.selector; });
const e: string = ErrorCode.PROMPT_NOT_FOUND; void e;
`;
    await writeFile(join(dir, 'esm.mts'), consumer(`import { PromptClient, ErrorCode } from 'promptpin';`));
    await writeFile(join(dir, 'cjs.cts'), consumer(`import { PromptClient, ErrorCode } from 'promptpin';`));
    await writeFile(join(dir, 'bad.mts'), `import { PromptClient } from 'promptpin';\nvoid PromptClient.create({ source: './p', environment: 42 });\n`);
    const tsc = join(dir, 'node_modules/typescript/bin/tsc');
    const flags = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck'];
    run('node', [tsc, ...flags, 'esm.mts', 'cjs.cts'], dir);
    let failed = '';
    try {
      run('node', [tsc, ...flags, 'bad.mts'], dir);
    } catch (err) {
      failed = String((err as { stdout?: string }).stdout);
    }
    expect(failed).toMatch(/bad\.mts.*Type 'number' is not assignable to type 'string'/);
  });
});

function require_version(name: string): string {
  return (JSON.parse(execFileSync('node', ['-p', `JSON.stringify(require('${name}/package.json'))`], { cwd: root, encoding: 'utf8' })) as { version: string }).version;
}
