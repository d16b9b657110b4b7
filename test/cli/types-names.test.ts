import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTypes } from '../../src/cli/types.js';
import { compileFolder } from '../../src/registry/registry.js';
import { readFolder } from '../../src/sources/folder-source.js';
import { tsc, writeTsconfig } from '../support/typecheck.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// App code type-checked against the real sources, with and without the generated declarations.
const APP = `import { PromptClient, type PromptName } from 'promptpin';

export function app(client: PromptClient, fromConfig: string): void {
  client.get('support-agent', 'user-1').render({ customer_name: 'Ann', plan: 'pro', question: 'Hi?' });
  client.get('billing/refund-agent').render({ order_id: 'A-1', amount: 1 });
  // @ts-expect-error misspelled prompt name
  client.get('suport-agent', 'user-1');
  // @ts-expect-error a prompt the folder does not hold
  client.get('billing/refund', 'user-1');
  // @ts-expect-error misspelled prompt name (external selection)
  client.external('suport-agent', 2, { source: 'launchdarkly' });
  client.external('support-agent', 2, { source: 'launchdarkly' }).render({ customer_name: 'Ann', plan: 'pro', question: 'Hi?' });
  // A name read at run time still type-checks: get() checks it when called (PROMPT_NOT_FOUND).
  client.get(fromConfig);
  const names: PromptName[] = ['support-agent', 'billing/refund-agent'];
  // @ts-expect-error PromptName is the union of the generated names
  const wrong: PromptName = 'suport-agent';
  void names;
  void wrong;
}
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promptpin-names-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('promptpin types: prompt names', () => {
  it('should make a misspelled prompt name a compile error while a runtime string still passes', async () => {
    const registry = compileFolder(await readFolder(join(ROOT, 'examples', 'prompts')));
    const { text } = generateTypes(registry, '// test');
    expect(text).toContain("'support-agent': {");
    await writeFile(join(dir, 'promptpin-env.d.ts'), text);
    await writeFile(join(dir, 'app.ts'), APP);
    await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');

    const withTypes = tsc(await writeTsconfig(dir, ['app.ts', 'promptpin-env.d.ts'], 'tsconfig.with.json'));
    const appErrors = withTypes.out.split('\n').filter((l) => /(app\.ts|promptpin-env\.d\.ts)\(\d+,\d+\)/.test(l));
    expect(appErrors).toEqual([]);

    // Control: without the declarations any name passes, so every @ts-expect-error is unused.
    const without = tsc(await writeTsconfig(dir, ['app.ts'], 'tsconfig.without.json'));
    expect(without.code).not.toBe(0);
    expect(without.out.match(/Unused '@ts-expect-error' directive/g)).toHaveLength(4);
  }, 240_000);
});
