import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    alias: [
      // Tests run in Node: 'promptpin' is the Node entry, as the `node` export condition makes it.
      { find: /^promptpin(\/node)?$/, replacement: fileURLToPath(new URL('./src/node.ts', import.meta.url)) },
      { find: /^promptpin\/(authoring|semconv)$/, replacement: fileURLToPath(new URL('./src/$1.ts', import.meta.url)) },
      { find: /^promptpin\/(openai|anthropic|ai|langchain|openfeature)$/, replacement: fileURLToPath(new URL('./src/adapters/$1.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Tests that import src/ modules directly get the Node features, as `promptpin` in Node has them.
    setupFiles: ['test/support/node-setup.ts'],
    // Hang guards, not budgets: no test asserts how long anything takes (durations live in bench/).
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Test files share a worker instead of each re-importing the module graph: on a busy 2-core
    // machine that is about 2 s per file (the suite ran in 3m06s instead of 4m19s). Tests restore
    // what they change: fake timers (afterEach / finally), env stubs (below), global OTel state.
    isolate: false,
    unstubEnvs: true,
    unstubGlobals: true,
  },
});
