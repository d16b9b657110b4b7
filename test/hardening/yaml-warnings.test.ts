import { describe, expect, it } from 'vitest';
import { checkFolder, folderFilesOf } from '../../src/authoring.js';
import { parseLock } from '../../src/registry/lock.js';
import { parsePromptFile } from '../../src/registry/prompt-file.js';

// Found by the fuzz worst-case bench: the yaml package called process.emitWarning ("Keys with
// collection values will be stringified") for a mapping key that is a collection. Library code
// inside someone's process must not write warnings of its own for hostile input: it is rejected.
describe('YAML input with collection keys', () => {
  it('should be read without any process warning (and refused where a name is expected)', async () => {
    const warnings: string[] = [];
    const listener = (w: Error): void => void warnings.push(w.message);
    process.on('warning', listener);
    try {
      const hostile = '{ [a, b]: 1, { x: 1 }: 2 }\n';
      expect(parseLock(hostile).issues.length).toBeGreaterThan(0);
      // In params (opaque) the key is kept as its YAML text, as before; only the warning goes.
      parsePromptFile(`---\nmodel: m\nparams: ${hostile}---\nHi`, 'p', 1, 'p/1.prompt');
      expect(checkFolder(folderFilesOf({ 'p/1.prompt': '---\nmodel: m\n---\nHi', 'promptpin.yaml': `environments:\n  ${hostile}` })).registry).toBeNull();
      // process.emitWarning delivers on the next tick.
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', listener);
    }
    expect(warnings.filter((m) => /collection values/.test(m))).toEqual([]);
  });
});
