/**
 * Issue 9, item 9d: `window: 1e308` passed `promptpin check`, but the compiled registry wrote it as
 * `Infinityms`, which every client refused. What check accepts, a client must load: any folder
 * check accepts builds to a registry that parseCompiledRegistry accepts with the same revision.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkFolder, compileFolder, parseCompiledRegistry, registryToJson, type FolderFiles } from '../../src/registry/registry.js';
import { GREET_V1, GREET_V2, releaseYaml } from '../support/folders.js';

function folder(rollout: string): FolderFiles {
  const yaml = releaseYaml(`  production:
    greet:
      stable: 1
      rollout:
        candidate: 2
${rollout}`);
  return { promptFiles: [{ path: 'greet/1.prompt', text: GREET_V1 }, { path: 'greet/2.prompt', text: GREET_V2 }], releaseText: yaml };
}

const scalar = fc.oneof(
  fc.constantFrom('1e308', '1e-308', '1e21', '1e-7', '0', '-1', 'NaN', '.inf', '0.1', '1.1', '365', '31536000', '31536001'),
  fc.double({ noNaN: false }).map(String),
  fc.nat().map(String),
);
const durationText = fc.oneof(
  fc.tuple(fc.oneof(fc.nat(1_000_000).map(String), fc.double({ min: 0, max: 1e6, noNaN: true }).map((x) => x.toFixed(7)), fc.constantFrom('1e308', '0', '0.0000001', '9999999999999999999999')), fc.constantFrom('ms', 's', 'm', 'h', 'd', ' h', '')).map(([n, u]) => `${n}${u}`),
  scalar,
  fc.constantFrom('365d', '366d', '8760h', '8761h', '24h', '1ms', '0.5ms', '1.5s', '1.1h'),
);
const rolloutArb = fc.record({
  percent: fc.oneof({ arbitrary: fc.double({ min: 0, max: 100, noNaN: true }).map(String), weight: 4 }, { arbitrary: scalar, weight: 1 }),
  window: fc.oneof({ arbitrary: fc.tuple(fc.double({ min: 0.001, max: 365, noNaN: true }), fc.constantFrom('h', 'd', 'm', 's')).map(([n, u]) => `${n}${u}`), weight: 2 }, { arbitrary: durationText, weight: 2 }),
  minSamples: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 1e6 }).map(String), weight: 4 }, { arbitrary: scalar, weight: 1 }),
  threshold: fc.oneof({ arbitrary: fc.double({ min: 0, max: 100, noNaN: true }).map((x) => `${x}pp`), weight: 3 }, { arbitrary: scalar, weight: 1 }, { arbitrary: fc.constantFrom('0.5pp', '1e308pp', '25%'), weight: 1 }),
});

function rolloutYaml(r: { percent: string; window: string; minSamples: string; threshold: string }): string {
  return `        percent: ${r.percent}
        expected: Refusal rate unchanged.
        guards:
          - { signal: refusal, max_increase: ${r.threshold} }
        min_samples: ${r.minSamples}
        window: ${r.window}
`;
}

/** The property: accepted by check ⇒ built, loaded by a client, same revision. */
function roundTrips(files: FolderFiles): 'refused' | 'ok' {
  const check = checkFolder(files);
  if (check.issues.length > 0 || check.registry === null) return 'refused';
  const built = compileFolder(files);
  const json = JSON.parse(JSON.stringify(registryToJson(built))) as unknown;
  const loaded = parseCompiledRegistry(json, 'registry.json');
  expect(loaded.revision).toBe(built.revision);
  expect(loaded.revision).toBe(check.registry.revision);
  return 'ok';
}

describe('what check accepts, a client loads (compiled registry round trip)', () => {
  it('should refuse window: 1e308 in check, with a message that says the range', () => {
    const check = checkFolder(folder(rolloutYaml({ percent: '10', window: '1e308', minSamples: '500', threshold: '0.5pp' })));
    expect(check.issues.map((i) => i.message)).toEqual([expect.stringMatching(/window "1e\+308" is out of range: a guard window is between 1ms and 365d/)]);
  });

  it.each(['365d', '8760h', '1ms', '1.1h', '24h', '86400'])('should accept window %s and load its build', (w) => {
    expect(roundTrips(folder(rolloutYaml({ percent: '10', window: w, minSamples: '500', threshold: '0.5pp' })))).toBe('ok');
  });

  it.each(['366d', '8761h', '0.5ms', '1e21', '1e-7', '9999999999999999999999ms'])('should refuse window %s in check', (w) => {
    expect(roundTrips(folder(rolloutYaml({ percent: '10', window: w, minSamples: '500', threshold: '0.5pp' })))).toBe('refused');
  });

  it('should round-trip every generated rollout check accepts (seeded)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(rolloutArb, (r) => {
        if (roundTrips(folder(rolloutYaml(r))) === 'ok') accepted++;
      }),
      { seed: 1e308 % 2 ** 31, numRuns: 250 },
    );
    // The generator must exercise both sides.
    expect(accepted).toBeGreaterThan(15);
  });
});
