import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tsc, writeTsconfig } from '../support/typecheck.js';
import { run, tempProject } from './helpers.js';

type Project = Awaited<ReturnType<typeof tempProject>>;

// Type-checks app code against the real sources, with and without the generated declarations.
const APP = `import { PromptClient } from 'promptpin';

export async function app(client: PromptClient): Promise<void> {
  const refund = client.get('billing/refund-agent', 'user-1');
  refund.render({ order_id: 'A-1', amount: 42.5 });
  // @ts-expect-error misspelled variable
  refund.render({ order_idd: 'A-1', amount: 42.5 });
  // @ts-expect-error missing required variable
  refund.render({ order_id: 'A-1' });
  // @ts-expect-error wrong type
  refund.render({ order_id: 'A-1', amount: '42.5' });

  const agent = client.get('support-agent', 'user-1');
  agent.render({ customer_name: 'Ann', plan: 'pro', question: 'Hi?' });
  // @ts-expect-error not one of the enum values
  agent.render({ customer_name: 'Ann', plan: 'gold', question: 'Hi?' });

  // A name read at run time (typed string) still type-checks; it is checked when called.
  const dynamic: string = process.env.PROMPT ?? 'support-agent';
  client.get(dynamic).render({ anything: 1 });
  await Promise.resolve();
}
`;

let p: Project;
beforeAll(async () => {
  p = await tempProject();
});
afterAll(async () => {
  await p.cleanup();
});

describe('promptpin types', () => {
  it('should make a misspelled, missing or mistyped variable a compile error in app code', async () => {
    const gen = await run(p.cwd, ['types', '-o', 'promptpin-env.d.ts']);
    expect(gen.code).toBe(0);
    await writeFile(join(p.cwd, 'app.ts'), APP);
    await writeFile(join(p.cwd, 'package.json'), '{ "type": "module" }\n');
    const withTypes = tsc(await writeTsconfig(p.cwd, ['app.ts', 'promptpin-env.d.ts']));
    // Only the app's own diagnostics count: src/ is type-checked by the repo's own tsc run.
    const appErrors = withTypes.out.split('\n').filter((l) => /(app\.ts|promptpin-env\.d\.ts)\(\d+,\d+\)/.test(l));
    expect(appErrors).toEqual([]);

    // Control: without the generated file every @ts-expect-error above is unused, so tsc fails.
    const without = tsc(await writeTsconfig(p.cwd, ['app.ts']));
    expect(without.code).not.toBe(0);
    expect(without.out.match(/Unused '@ts-expect-error' directive/g)).toHaveLength(4);
  }, 240_000);
});
