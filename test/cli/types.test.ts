import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, run, tempProject } from './helpers.js';

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

/**
 * Type-checks the files of `project` in process with the TypeScript compiler API, as `tsc -p
 * project` does for them: code 0 or 1, and the diagnostics formatted as tsc prints them
 * (`file(line,col): error TS…`). Only the project's own files are checked (src/ is checked by the
 * repo's own tsc run; the checker still reads the types the app uses from it). The previous
 * program is passed as `oldProgram`, so src/ and lib files are parsed once.
 */
let previous: ts.Program | undefined;
function tsc(project: string): { code: number; out: string } {
  const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => dirname(project), getNewLine: () => '\n' };
  const config = ts.getParsedCommandLineOfConfigFile(project, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.formatDiagnostics([d], host)); } });
  if (config === undefined) throw new Error(`cannot read ${project}`);
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, ...(previous ? { oldProgram: previous } : {}) });
  previous = program;
  const own = config.fileNames.map((f) => program.getSourceFile(f)).filter((f) => f !== undefined);
  const diagnostics = [
    ...config.errors,
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...own.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)]),
  ];
  return { code: diagnostics.length ? 1 : 0, out: ts.formatDiagnostics(diagnostics, host) };
}

async function writeTsconfig(dir: string, files: string[]): Promise<string> {
  const path = join(dir, 'tsconfig.json');
  await writeFile(
    path,
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.json'),
      compilerOptions: { noEmit: true, paths: { promptpin: [join(ROOT, 'src', 'index.ts')] }, typeRoots: [join(ROOT, 'node_modules', '@types')] },
      include: [],
      files,
    }),
  );
  return path;
}

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
