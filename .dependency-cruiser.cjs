/**
 * Import boundaries, checked in `npm test` (`npm run lint`, after ESLint).
 * - The runtime entry (src/index.ts) reaches no Node built-in and no authoring-only library (yaml, diff).
 * - The pure core (model, resolve, render, guard statistics) imports no source, telemetry, client or CLI,
 *   and no Node built-in.
 * - Nothing but the CLI imports the CLI; no cycles between modules nor between folders.
 * - No import of the optional peer `@opentelemetry/sdk-trace-base`, not even of its types: the
 *   bundled `.d.ts` would import it, and a TypeScript user without it would get TS2307.
 */
const { builtinModules } = require('node:module');

// Every Node built-in, as dependency-cruiser names the resolved module (`fs`, `fs/promises`), and `node:…`.
const builtins = builtinModules.filter((m) => !m.startsWith('_')).map((m) => m.replace(/[/.]/g, '\\$&'));
const NODE_BUILTIN = `^(node:|(${builtins.join('|')})$)`;
// The pure core, in the target layout (model/, guards/stats/) and the files that hold it today.
const CORE = '^src/(model|resolve|render|guards/stats)/|^src/guards/(sequential|stratified|alpha)\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules form a DAG, type-only imports included.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      severity: 'error',
      comment:
        'Folders form a DAG. One pair is exempt here because its back edge is type-only, which the folder scope ' +
        'cannot see: render/ reads the model types while the model parser uses render/ (rule render-model-types-only). ' +
        'A cycle through any third folder is still reported from that folder.',
      scope: 'folder',
      from: { pathNot: '^src/(render|registry|model)$' },
      to: { circular: true },
    },
    {
      name: 'render-model-types-only',
      severity: 'error',
      comment: 'render/ may import the model only for its types (import type): a value import would close the render ⇄ model cycle at runtime.',
      from: { path: '^src/render/' },
      to: { path: '^src/(registry|model)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'runtime-no-node-builtins',
      // becomes 'error' with the runtime entry split
      severity: 'warn',
      comment: 'The runtime entry bundles for browsers and edge runtimes: no Node built-in on its path.',
      from: { path: '^src/index\\.ts$' },
      to: { reachable: true, path: NODE_BUILTIN },
    },
    {
      name: 'runtime-no-authoring-libs',
      // becomes 'error' with the runtime entry split
      severity: 'warn',
      comment: 'yaml, diff and ajv (JSON Schema checks of tools and output schemas) belong to the authoring toolkit and Node sources, never to the runtime path.',
      from: { path: '^src/index\\.ts$' },
      to: { reachable: true, path: '^node_modules/(yaml|diff|ajv)/' },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment: 'model, resolve, render and guard statistics know nothing about I/O, telemetry, the client or the CLI.',
      from: { path: CORE },
      to: { path: '^src/(sources|node|telemetry|cli|authoring|adapters)/|^src/client\\.ts$' },
    },
    {
      name: 'core-no-node-builtins',
      severity: 'error',
      comment: 'The pure core does no I/O and reads no clock through Node: no Node built-in at all.',
      from: { path: CORE },
      to: { path: NODE_BUILTIN },
    },
    {
      name: 'nothing-imports-the-cli',
      severity: 'error',
      from: { pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'no-optional-peer-imports',
      severity: 'error',
      comment: 'Declare the few structural shapes needed locally (see src/telemetry/span-processor.ts) instead.',
      from: { path: '^src/' },
      to: { path: '^node_modules/@opentelemetry/sdk-trace-base/' },
    },
    {
      name: 'only-declared-packages',
      severity: 'error',
      comment: 'src/ imports only what package.json declares as a dependency or peer, and nothing unresolvable.',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev', 'npm-no-pkg', 'npm-unknown', 'unknown', 'undetermined'], dependencyTypesNot: ['npm-peer'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|test|bench|examples)/' },
  },
};
