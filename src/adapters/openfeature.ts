/**
 * `promptpin/openfeature`: an OpenFeature server provider that exposes prompt versions as flags,
 * so an app already evaluating flags through OpenFeature reads "which version of this prompt for
 * this user" the same way. The flag key is the prompt name; the targeting key is the unit id.
 *
 * The provider is written against the OpenFeature server `Provider` interface by shape (no import
 * of `@openfeature/server-sdk`, which stays the app's dependency): `metadata`, `runsOn`, and the
 * four `resolve*Evaluation` methods returning `{ value, variant, reason, flagMetadata }`.
 * A failure rejects with a {@link PromptFlagError} whose `code` is an OpenFeature error code
 * (`FLAG_NOT_FOUND`, `TYPE_MISMATCH`, `PROVIDER_NOT_READY`, `GENERAL`), as OpenFeature providers
 * throw theirs: the SDK's client never throws, it returns the default value with `reason: 'ERROR'`
 * and that `errorCode`.
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
  readonly variant: string;
  readonly reason: string;
  readonly flagMetadata: Readonly<Record<string, string | number | boolean>>;
}

/** OpenFeature error codes the provider rejects with. */
export type PromptFlagErrorCode = 'FLAG_NOT_FOUND' | 'TYPE_MISMATCH' | 'PROVIDER_NOT_READY' | 'GENERAL';

/**
 * A failed evaluation, shaped as OpenFeature's errors (`code` is an OpenFeature `ErrorCode`): the
 * SDK reads `code` and `message` into the evaluation details. The promptpin error, if any, is `cause`.
 */
export class PromptFlagError extends Error {
  override name = 'PromptFlagError';
  constructor(
    readonly code: PromptFlagErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
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
  resolveNumberEvaluation(flagKey: string, _defaultValue: number, context?: PromptFlagContext): Promise<PromptFlagResolution<number>> {
    return this.#resolve(flagKey, context, (p) => p.version);
  }

  /** Resolves `"name@version"` for a unit. */
  resolveStringEvaluation(flagKey: string, _defaultValue: string, context?: PromptFlagContext): Promise<PromptFlagResolution<string>> {
    return this.#resolve(flagKey, context, (p) => `${p.name}@${p.version}`);
  }

  /** Resolves `{ name, version, hash, slice }` for a unit. */
  resolveObjectEvaluation<T>(flagKey: string, _defaultValue: T, context?: PromptFlagContext): Promise<PromptFlagResolution<T>> {
    return this.#resolve(flagKey, context, (p) => ({ name: p.name, version: p.version, hash: p.hash, slice: p.slice }) as PromptFlagObject as T);
  }

  /** Prompt versions are not booleans: always rejects with `TYPE_MISMATCH` (the SDK serves the default). */
  resolveBooleanEvaluation(flagKey: string): Promise<PromptFlagResolution<boolean>> {
    return Promise.reject(
      new PromptFlagError('TYPE_MISMATCH', `Flag "${flagKey}" is a prompt version, not a boolean. Evaluate it as a number ("version") or a string ("name@version").`),
    );
  }

  #resolve<T>(flagKey: string, context: PromptFlagContext | undefined, valueOf: (p: ResolvedPrompt) => T): Promise<PromptFlagResolution<T>> {
    if (typeof flagKey !== 'string' || !flagKey.startsWith(this.#prefix)) {
      return Promise.reject(new PromptFlagError('FLAG_NOT_FOUND', `Flag "${String(flagKey)}" does not start with "${this.#prefix}": promptpin serves prompt names as flags.`));
    }
    const name = flagKey.slice(this.#prefix.length);
    const unit = context?.targetingKey;
    try {
      const prompt = this.#client.get(name, typeof unit === 'string' && unit !== '' ? unit : undefined);
      return Promise.resolve({ value: valueOf(prompt), variant: String(prompt.version), reason: reasonOf(prompt), flagMetadata: metadataOf(prompt) });
    } catch (err) {
      const code = isPromptError(err) ? err.code : undefined;
      const flagCode: PromptFlagErrorCode = code === 'PROMPT_NOT_FOUND' || code === 'PROMPT_NOT_RELEASED' ? 'FLAG_NOT_FOUND' : code === 'CLIENT_CLOSED' ? 'PROVIDER_NOT_READY' : 'GENERAL';
      return Promise.reject(new PromptFlagError(flagCode, err instanceof Error ? err.message : String(err), { cause: err }));
    }
  }
}
