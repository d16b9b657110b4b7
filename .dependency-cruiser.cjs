/**
 * Import boundaries, checked in `npm test` (`npm run lint:deps`).
 * - The runtime entry (src/index.ts) reaches no Node built-in and no authoring-only library (yaml, diff).
 * - The pure core (model, resolve, render, guard statistics) imports no source, telemetry, client or CLI.
 * - Nothing but the CLI imports the CLI; no cycles anywhere.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules and folders form a DAG.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'runtime-no-node-builtins',
      severity: 'error',
      comment: 'The runtime entry bundles for browsers and edge runtimes: no Node built-in on its path.',
      from: { path: '^src/index\\.ts$' },
      to: { reachable: true, path: '^(node:|(fs|path|net|crypto|os|child_process|url|util|stream|events|http|https|zlib|worker_threads|vm|v8|process)(/|$))' },
    },
    {
      name: 'runtime-no-authoring-libs',
      severity: 'error',
      comment: 'yaml and diff belong to the authoring toolkit and Node sources, never to the runtime path.',
      from: { path: '^src/index\\.ts$' },
      to: { reachable: true, path: 'node_modules/(yaml|diff)/' },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment: 'model, resolve, render and guard statistics know nothing about I/O, telemetry, the client or the CLI.',
      from: { path: '^src/(model|resolve|render|guards/stats)/' },
      to: { path: '^src/(sources|node|telemetry|cli|authoring|adapters)/|^src/client\\.ts$' },
    },
    {
      name: 'nothing-imports-the-cli',
      severity: 'error',
      from: { pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|test|bench|examples)/' },
  },
};
