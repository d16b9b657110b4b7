/**
 * `promptpin/openfeature`: an OpenFeature server provider that exposes prompt versions as flags,
 * so an app already evaluating flags through OpenFeature reads "which version of this prompt for
 * this user" the same way. The flag key is the prompt name; the targeting key is the unit id.
 *
 * The provider is written against the OpenFeature server `Provider` interface by shape (no import
 * of `@openfeature/server-sdk`, which stays the app's dependency): `metadata`, `runsOn`, and the
 * four `resolve*Evaluation` methods returning `{ value, variant, reason, flagMetadata }`.
 * Evaluation never throws: a failure returns the default value with `reason: 'ERROR'` and an
 * OpenFeature `errorCode` (the SDK turns it into its evaluation details).
 *
 * @example
 * import { OpenFeature } from '@openfeature/server-sdk';
 * import { PromptFlagProvider } from 'promptpin/openfeature';
 * await OpenFeature.setProviderAndWait(new PromptFlagProvider(client));
 * const flags = OpenFeature.getClient();
 * const version = await flags.getNumberValue('support-agent', 0, { targetingKey: userId }); // 2
 *
 * @packageDocumentation
 */
import { isPromptError } from '../errors.js';
import type { PromptSlice, ResolvedPrompt } from '../resolved-prompt.js';
import { featureFlagReason } from '../telemetry/backend-links.js';

/** The part of {@link PromptClient} the provider uses. */
export interface PromptFlagSource {
  get(name: string, unitId?: string): ResolvedPrompt;
}

/** OpenFeature evaluation context (the fields the provider reads). */
export interface PromptFlagContext {
  readonly targetingKey?: string;
  readonly [key: string]: unknown;
}

/** OpenFeature resolution details, as the server `Provider` interface returns them. */
export interface PromptFlagResolution<T> {
  readonly value: T;
  readonly variant?: string;
  readonly reason?: string;
  readonly flagMetadata?: Readonly<Record<string, string | number | boolean>>;
  readonly errorCode?: 'FLAG_NOT_FOUND' | 'TYPE_MISMATCH' | 'PROVIDER_NOT_READY' | 'GENERAL';
  readonly errorMessage?: string;
}

/** The object value of {@link PromptFlagProvider.resolveObjectEvaluation}. */
export interface PromptFlagObject {
  readonly [key: string]: string | number;
  readonly name: string;
  readonly version: number;
  readonly hash: string;
  readonly slice: PromptSlice;
}

/** Options of {@link PromptFlagProvider}. */
export interface PromptFlagProviderOptions {
  /**
   * A prefix flag keys carry before the prompt name (e.g. `prompt:` to match the
   * `feature_flag.key` promptpin stamps with `compat.openFeature`). Keys without it are not found.
   * @defaultValue '' (the flag key is the prompt name)
   */
  readonly keyPrefix?: string;
}

/** OpenFeature reasons for promptpin slices (upper case, as `StandardResolutionReasons`). */
function reasonOf(prompt: ResolvedPrompt): string {
  return featureFlagReason(prompt).toUpperCase();
}

function metadataOf(prompt: ResolvedPrompt): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = { slice: prompt.slice, hash: prompt.hash, environment: prompt.environment, model: prompt.model };
  if (prompt.revision !== undefined) out.revision = prompt.revision;
  if (prompt.rolloutPercent !== undefined) out.rolloutPercent = prompt.rolloutPercent;
  return out;
}

/**
 * Serves prompt versions as OpenFeature flags: number flags resolve to the version (`2`), string
 * flags to `"name@version"` (`"support-agent@2"`), object flags to `{ name, version, hash, slice }`;
 * the variant is the version as a string, the reason comes from the slice (`SPLIT` during a
 * rollout, `TARGETING_MATCH` for an override, `STATIC` for a pin or a plain release, `DEFAULT` for
 * a fallback), and `flagMetadata` carries `slice`, `hash`, `environment`, `model`, `revision`.
 * Boolean flags are a `TYPE_MISMATCH`.
 */
export class PromptFlagProvider {
  /** OpenFeature provider metadata. */
  readonly metadata = Object.freeze({ name: 'promptpin' });
  /** OpenFeature: a server-side provider. */
  readonly runsOn = 'server' as const;
  readonly #client: PromptFlagSource;
  readonly #prefix: string;

  constructor(client: PromptFlagSource, options: PromptFlagProviderOptions = {}) {
    if (typeof client !== 'object' || client === null || typeof (client as { get?: unknown }).get !== 'function') {
      throw new TypeError('PromptFlagProvider needs a PromptClient (an object with get(name, unitId)). Pass the client from PromptClient.create.');
    }
    this.#client = client;
    this.#prefix = options.keyPrefix ?? '';
  }

  /** Resolves the version number a unit gets. */
  resolveNumberEvaluation(flagKey: string, defaultValue: number, context?: PromptFlagContext): Promise<PromptFlagResolution<number>> {
    return Promise.resolve(this.#resolve(flagKey, defaultValue, context, (p) => p.version));
  }

  /** Resolves `"name@version"` for a unit. */
  resolveStringEvaluation(flagKey: string, defaultValue: string, context?: PromptFlagContext): Promise<PromptFlagResolution<string>> {
    return Promise.resolve(this.#resolve(flagKey, defaultValue, context, (p) => `${p.name}@${p.version}`));
  }

  /** Resolves `{ name, version, hash, slice }` for a unit. */
  resolveObjectEvaluation<T>(flagKey: string, defaultValue: T, context?: PromptFlagContext): Promise<PromptFlagResolution<T>> {
    return Promise.resolve(this.#resolve(flagKey, defaultValue, context, (p) => ({ name: p.name, version: p.version, hash: p.hash, slice: p.slice }) as PromptFlagObject as T));
  }

  /** Prompt versions are not booleans: always `TYPE_MISMATCH` with the default value. */
  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean): Promise<PromptFlagResolution<boolean>> {
    return Promise.resolve({
      value: defaultValue,
      reason: 'ERROR',
      errorCode: 'TYPE_MISMATCH',
      errorMessage: `Flag "${flagKey}" is a prompt version, not a boolean. Evaluate it as a number ("version") or a string ("name@version").`,
    });
  }

  #resolve<T>(flagKey: string, defaultValue: T, context: PromptFlagContext | undefined, valueOf: (p: ResolvedPrompt) => T): PromptFlagResolution<T> {
    if (typeof flagKey !== 'string' || !flagKey.startsWith(this.#prefix)) {
      return { value: defaultValue, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND', errorMessage: `Flag "${String(flagKey)}" does not start with "${this.#prefix}"; promptpin serves prompt names as flags.` };
    }
    const name = flagKey.slice(this.#prefix.length);
    const unit = context?.targetingKey;
    try {
      const prompt = this.#client.get(name, typeof unit === 'string' && unit !== '' ? unit : undefined);
      return { value: valueOf(prompt), variant: String(prompt.version), reason: reasonOf(prompt), flagMetadata: metadataOf(prompt) };
    } catch (err) {
      const code = isPromptError(err) ? err.code : undefined;
      return {
        value: defaultValue,
        reason: 'ERROR',
        errorCode: code === 'PROMPT_NOT_FOUND' || code === 'PROMPT_NOT_RELEASED' ? 'FLAG_NOT_FOUND' : code === 'CLIENT_CLOSED' ? 'PROVIDER_NOT_READY' : 'GENERAL',
        errorMessage: err instanceof Error ? err.message : String(err),
      };
    }
  }
}
