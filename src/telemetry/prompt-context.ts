import { createContextKey, type Attributes, type Context } from '@opentelemetry/api';

/**
 * The OpenTelemetry Context key under which a running `prompt.call` keeps its `prompt.*`
 * attributes. `createContextKey` returns `Symbol.for(description)`, so the ESM and CJS copies of
 * promptpin (and {@link PromptSpanProcessor} from either) share it.
 */
export const PROMPT_CONTEXT_KEY = createContextKey('promptpin.prompt-call');

/** The `prompt.*` attributes of the innermost `prompt.call` active in `ctx`, if any. */
export function promptAttributesIn(ctx: Context): Attributes | undefined {
  return ctx.getValue(PROMPT_CONTEXT_KEY) as Attributes | undefined;
}
