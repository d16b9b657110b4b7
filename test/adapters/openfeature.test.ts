/**
 * promptpin/openfeature with the real @openfeature/server-sdk, and the other direction: another
 * selector (an OpenFeature InMemoryProvider standing in for LaunchDarkly/GrowthBook/Statsig) picks
 * the version while promptpin serves only locked versions and stamps the trace.
 */
import { InMemoryProvider, OpenFeature, type Client } from '@openfeature/server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTR_PROMPT_SELECTOR, ATTR_PROMPT_SLICE, ATTR_PROMPT_VERSION } from 'promptpin/semconv';
import { isPromptError, parseExternalVersion, type PromptClient } from 'promptpin';
import { PromptFlagProvider } from 'promptpin/openfeature';
import { createClient, memoryProvider } from '../telemetry/fixtures.js';

let client: PromptClient;
let flags: Client;
beforeAll(async () => {
  client = await createClient();
  await OpenFeature.setProviderAndWait('promptpin', new PromptFlagProvider(client));
  flags = OpenFeature.getClient('promptpin');
});
afterAll(async () => {
  await OpenFeature.close();
  await client.close();
});

/** A unit id in the rollout's candidate slice, and one in stable (found by scanning, deterministic). */
function unitsBySlice(): { candidate: string; stable: string } {
  let candidate: string | undefined;
  let stable: string | undefined;
  for (let i = 0; i < 1000 && (candidate === undefined || stable === undefined); i++) {
    const id = `user-${i}`;
    const slice = client.get('support-agent', id).slice;
    if (slice === 'candidate') candidate ??= id;
    if (slice === 'stable') stable ??= id;
  }
  return { candidate: candidate!, stable: stable! };
}

describe('PromptFlagProvider (OpenFeature server SDK)', () => {
  it('should resolve a number flag to the version the unit gets, with variant, reason and metadata', async () => {
    const { candidate, stable } = unitsBySlice();
    const got = await flags.getNumberDetails('support-agent', 0, { targetingKey: candidate });
    expect(got).toMatchObject({ flagKey: 'support-agent', value: 2, variant: '2', reason: 'SPLIT' });
    expect(got.flagMetadata).toMatchObject({ slice: 'candidate', environment: 'production', model: 'gpt-4o-mini', rolloutPercent: 50 });
    expect(got.flagMetadata.hash).toBe(client.get('support-agent', candidate).hash);
    expect(got.errorCode).toBeUndefined();
    expect((await flags.getNumberDetails('support-agent', 0, { targetingKey: stable })).value).toBe(1);
  });

  it('should resolve a string flag to "name@version" and take the reason from the slice', async () => {
    const override = await flags.getStringDetails('support-agent', 'none', { targetingKey: 'qa-v2' });
    expect(override).toMatchObject({ value: 'support-agent@2', variant: '2', reason: 'TARGETING_MATCH' });
    expect(override.flagMetadata.slice).toBe('override');
    const plain = await flags.getStringDetails('billing/refund-agent', 'none', { targetingKey: 'u' });
    expect(plain).toMatchObject({ value: 'billing/refund-agent@1', reason: 'STATIC' });
    const obj = await flags.getObjectValue('billing/refund-agent', {}, {});
    expect(obj).toMatchObject({ name: 'billing/refund-agent', version: 1, slice: 'stable' });
  });

  it('should return the default with FLAG_NOT_FOUND for an unknown prompt, and TYPE_MISMATCH for a boolean', async () => {
    const missing = await flags.getNumberDetails('suport-agent', 7, { targetingKey: 'u' });
    expect(missing).toMatchObject({ value: 7, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(missing.errorMessage).toContain('Prompt "suport-agent" does not exist');
    const bool = await flags.getBooleanDetails('support-agent', false, { targetingKey: 'u' });
    expect(bool).toMatchObject({ value: false, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
  });

  it('should honour a key prefix and refuse a non-client', async () => {
    const prefixed = new PromptFlagProvider(client, { keyPrefix: 'prompt:' });
    expect((await prefixed.resolveNumberEvaluation('prompt:billing/refund-agent', 0, {})).value).toBe(1);
    await expect(prefixed.resolveNumberEvaluation('billing/refund-agent', 0, {})).rejects.toMatchObject({ name: 'PromptFlagError', code: 'FLAG_NOT_FOUND' });
    expect(() => new PromptFlagProvider({} as never)).toThrow(TypeError);
  });

  it('should reject with PROVIDER_NOT_READY once the client is closed, and the SDK serve the default', async () => {
    const closed = await createClient();
    const provider = new PromptFlagProvider(closed);
    await closed.close();
    await expect(provider.resolveNumberEvaluation('support-agent', 0, { targetingKey: 'u' })).rejects.toMatchObject({ code: 'PROVIDER_NOT_READY' });
    await OpenFeature.setProviderAndWait('closed', provider);
    expect(await OpenFeature.getClient('closed').getNumberDetails('support-agent', 5, { targetingKey: 'u' })).toMatchObject({ value: 5, reason: 'ERROR', errorCode: 'PROVIDER_NOT_READY' });
  });
});

describe('PromptClient.external (another selector drives)', () => {
  it('should serve the version a flag system chose, render it, and stamp prompt.slice=external and the source', async () => {
    const { provider, spans } = memoryProvider();
    const traced = await createClient({ tracerProvider: provider });
    // The flag system (here OpenFeature's InMemoryProvider, as LaunchDarkly would) owns the choice.
    await OpenFeature.setProviderAndWait('vendor', new InMemoryProvider({ 'prompt-support-agent': { variants: { old: 1, new: 2 }, defaultVariant: 'new', disabled: false } }));
    const vendor = OpenFeature.getClient('vendor');
    const chosen = await vendor.getNumberValue('prompt-support-agent', 1, { targetingKey: 'user-1' });
    const prompt = traced.external('support-agent', chosen, { source: 'launchdarkly' });
    expect(prompt).toMatchObject({ name: 'support-agent', version: 2, slice: 'external', selector: 'launchdarkly' });
    expect(Object.isFrozen(prompt)).toBe(true);
    const rendered = prompt.call((messages) => messages, { vars: { customer_name: 'Ann', question: 'Hi?' } });
    expect(JSON.stringify(rendered)).toContain('Be concise.');
    const [span] = spans();
    expect(span!.attributes).toMatchObject({ [ATTR_PROMPT_SLICE]: 'external', [ATTR_PROMPT_SELECTOR]: 'launchdarkly', [ATTR_PROMPT_VERSION]: 2 });
    // The same choice through get(), and a cached object for the same (version, source).
    expect(traced.get('support-agent', 'user-1', { external: { version: 'support-agent@2', source: 'launchdarkly' } })).toBe(prompt);
    await traced.close();
  });

  it('should refuse a version the registry does not hold, whatever the flag says (VERSION_NOT_FOUND)', () => {
    for (const bad of [3, '3', 'v9', 'billing/refund-agent@1', 'latest', -1, 1.5, '', ' '.repeat(100_000)]) {
      let error: unknown;
      try {
        client.external('support-agent', bad, { source: 'statsig' });
      } catch (err) {
        error = err;
      }
      expect(isPromptError(error), String(bad).slice(0, 20)).toBe(true);
      expect((error as { code: string }).code).toBe('VERSION_NOT_FOUND');
      expect((error as Error).message.length).toBeLessThan(400);
    }
    expect(() => client.external('support-agent', 3, { source: 'statsig' })).toThrowErrorMatchingInlineSnapshot(
      `[PromptNotFoundError: Prompt "support-agent" has no locked version "3" chosen by statsig (known: 1, 2). Make the flag return a published version (a number, "v3" or "support-agent@3"), or publish it first.]`,
    );
  });

  it('should refuse a malformed source (INVALID_OPTIONS) and an unknown prompt (PROMPT_NOT_FOUND)', () => {
    expect(() => client.external('support-agent', 1, { source: '' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    expect(() => client.external('support-agent', 1, { source: 'a b' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    expect(() => client.external('support-agent', 1, { source: 'x'.repeat(65) })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    expect(() => client.external('nope' as string, 1, { source: 'growthbook' })).toThrow(expect.objectContaining({ code: 'PROMPT_NOT_FOUND' }));
  });

  it('should never serve a fallback as external while no registry is loaded', async () => {
    const fb = await import('promptpin').then(({ PromptClient }) =>
      PromptClient.create({
        source: { load: () => Promise.reject(new Error('down')), description: 'down' },
        watch: false,
        initTimeoutMs: 50,
        fallbacks: { 'support-agent': { model: 'gpt-4o-mini', template: 'Hi' } },
        onError: () => {},
      }),
    );
    expect(fb.get('support-agent').slice).toBe('fallback');
    expect(() => fb.external('support-agent', 0, { source: 'launchdarkly' })).toThrow(expect.objectContaining({ code: 'VERSION_NOT_FOUND' }));
    await fb.close();
  });

  it('should parse the values flags return', () => {
    expect([3, '3', ' v3 ', 'V3', 'a/b@3'].map((v) => parseExternalVersion('a/b', v))).toEqual([3, 3, 3, 3, 3]);
    expect(['c@3', '3.0', '0x3', 'three', '@3', null, NaN, Infinity].map((v) => parseExternalVersion('a/b', v))).toEqual(Array(8).fill(undefined));
  });
});
