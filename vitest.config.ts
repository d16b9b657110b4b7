import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    alias: [
      { find: /^promptpin$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
      { find: /^promptpin\/(openai|anthropic|ai|langchain|openfeature)$/, replacement: fileURLToPath(new URL('./src/adapters/$1.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
