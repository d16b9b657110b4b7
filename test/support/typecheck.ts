import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Type-checks the files of `project` in process with the TypeScript compiler API, as `tsc -p
 * project` does for them: code 0 or 1, and the diagnostics formatted as tsc prints them
 * (`file(line,col): error TS…`). Only the project's own files are checked (src/ is checked by the
 * repo's own tsc run; the checker still reads the types the app uses from it). The previous
 * program is passed as `oldProgram`, so src/ and lib files are parsed once.
 */
let previous: ts.Program | undefined;
export function tsc(project: string): { code: number; out: string } {
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

/** Writes a tsconfig in `dir` that checks `files` against the repo's config, `promptpin` resolving to the sources. */
export async function writeTsconfig(dir: string, files: string[], name = 'tsconfig.json'): Promise<string> {
  const path = join(dir, name);
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

