// What the Node entry does on load (src/node.ts): plug folder/file sources, `{ files }`, fallback
// text and the disk cache into the runtime, for tests that import src/ modules directly.
import { installNode } from '../../src/node/install.js';

installNode();
