// "Start from what is live": the compiled index and archived versions. The code lives in
// compiled.ts (one module: the v1 parser dispatches to the index parser); this is its name.
export {
  buildLiveRegistry,
  checkArchived,
  INDEX_FILE,
  INDEX_SCHEMA_VERSION,
  knownVersions,
  liveVersions,
  missingArchived,
  parseCompiledIndex,
  parseVersionFile,
  registryToIndex,
  versionFilePath,
  VERSIONS_DIR,
  type CompiledIndexOutput,
} from './compiled.js';
