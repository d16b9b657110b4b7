import { rmSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

/**
 * Library entry points: each is built as ESM and CJS, with `.d.ts`/`.d.cts` types, and needs a
 * matching `exports` subpath in package.json. Add new entries here.
 */
const library: Record<string, string> = {
  index: 'src/index.ts',
  node: 'src/node.ts',
  authoring: 'src/authoring.ts',
  semconv: 'src/semconv.ts',
  // One subpath per SDK adapter (promptpin/openai, …): none is loaded unless imported.
  'adapters/openai': 'src/adapters/openai.ts',
  'adapters/anthropic': 'src/adapters/anthropic.ts',
  'adapters/ai': 'src/adapters/ai.ts',
  'adapters/langchain': 'src/adapters/langchain.ts',
  'adapters/openfeature': 'src/adapters/openfeature.ts',
};

/** Executables: ESM only, no types (the `bin` runs `dist/cli.js`; a `cli.cjs` would ship unused). */
const executables: Record<string, string> = {
  cli: 'src/cli/bin.ts',
};

const shared: Options = {
  outDir: 'dist',
  target: 'node20',
  platform: 'node',
  // Keep `node:fs`, not `fs`: unambiguous for bundlers and runtimes (Deno, Bun, edge) that need the prefix.
  removeNodeProtocol: false,
  // No source maps in the tarball (they were 1.7 MB); stack traces point at readable, unminified dist/.
  sourcemap: false,
  treeshake: true,
  // The two builds below run in parallel: tsup's `clean` in either would delete the other's files.
  clean: false,
};

export default defineConfig((options) => {
  if (!options.watch) rmSync('dist', { recursive: true, force: true });
  return [
    { ...shared, entry: library, format: ['esm', 'cjs'], dts: { entry: library } },
    { ...shared, entry: executables, format: ['esm'], dts: false },
  ];
});
