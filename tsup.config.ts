import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    node: 'src/node.ts',
    authoring: 'src/authoring.ts',
    semconv: 'src/semconv.ts',
    cli: 'src/cli/bin.ts',
    // One subpath per SDK adapter (promptpin/openai, …): none is loaded unless imported.
    'adapters/openai': 'src/adapters/openai.ts',
    'adapters/anthropic': 'src/adapters/anthropic.ts',
    'adapters/ai': 'src/adapters/ai.ts',
    'adapters/langchain': 'src/adapters/langchain.ts',
    'adapters/openfeature': 'src/adapters/openfeature.ts',
  },
  format: ['esm', 'cjs'],
  dts: {
    entry: {
      index: 'src/index.ts',
      node: 'src/node.ts',
      authoring: 'src/authoring.ts',
      semconv: 'src/semconv.ts',
      'adapters/openai': 'src/adapters/openai.ts',
      'adapters/anthropic': 'src/adapters/anthropic.ts',
      'adapters/ai': 'src/adapters/ai.ts',
      'adapters/langchain': 'src/adapters/langchain.ts',
      'adapters/openfeature': 'src/adapters/openfeature.ts',
    },
  },
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  treeshake: true,
});
