import type { AttributeValue, Span } from '@opentelemetry/api';
import type { ResolvedPrompt } from '../resolved-prompt.js';
import {
  ATTR_GEN_AI_OUTPUT_TYPE,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from './attributes.js';
import type { SentRequest } from './call-handle.js';
import { guessProvider, requestAttributes } from './prompt-info.js';

/** `gen_ai.provider.name` when nothing says better: the semconv value for "another provider". */
export const PROVIDER_OTHER = '_OTHER' as const;

/**
 * The span attributes of what a request builder sent: the model, request params, server, stream,
 * output type, and `gen_ai.provider.name` when the version did not give it (from the model sent,
 * else the SDK). `spanName` is set when the model sent differs from the version's.
 */
export function sentAttributes(
  prompt: ResolvedPrompt,
  request: SentRequest,
  providerKnown: boolean,
): { attributes: Record<string, AttributeValue>; spanName: string | undefined; provider: string | undefined } {
  const attributes: Record<string, AttributeValue> = {};
  let spanName: string | undefined;
  const model = request.model;
  if (typeof model === 'string' && model !== '') {
    attributes[ATTR_GEN_AI_REQUEST_MODEL] = model;
    if (model !== prompt.model) spanName = `${prompt.operation} ${model}`;
  }
  if (request.params !== undefined) requestAttributes(request.params, attributes as Record<string, string | number | string[]>);
  if (request.serverAddress !== undefined && request.serverAddress !== '') attributes[ATTR_SERVER_ADDRESS] = request.serverAddress;
  if (request.serverPort !== undefined && Number.isSafeInteger(request.serverPort)) attributes[ATTR_SERVER_PORT] = request.serverPort;
  if (request.stream !== undefined) attributes[ATTR_GEN_AI_REQUEST_STREAM] = request.stream;
  if (request.outputType !== undefined) attributes[ATTR_GEN_AI_OUTPUT_TYPE] = request.outputType;
  let provider: string | undefined;
  if (!providerKnown) {
    provider = (typeof model === 'string' ? guessProvider(model) : undefined) ?? request.provider;
    if (provider !== undefined) attributes[ATTR_GEN_AI_PROVIDER_NAME] = provider;
  }
  return { attributes, spanName, provider };
}

/** Sets `gen_ai.provider.name` at the end of a call that never learned it: from the result's shape, else `_OTHER`. */
export function finishProvider(span: Span, format: string | undefined): void {
  const provider = format === undefined ? PROVIDER_OTHER : format.startsWith('openai.') ? 'openai' : format.startsWith('anthropic.') ? 'anthropic' : PROVIDER_OTHER;
  span.setAttribute(ATTR_GEN_AI_PROVIDER_NAME, provider);
}

/** `gen_ai.system_instructions` parts; a piece the redactor drops is left out. */
export function systemInstructionParts(texts: readonly string[], redact: (text: string) => string | undefined): { type: 'text'; content: string }[] {
  const out: { type: 'text'; content: string }[] = [];
  for (const text of texts) {
    const content = redact(text);
    if (content !== undefined) out.push({ type: 'text', content });
  }
  return out;
}

/** host and port of a base URL (`https://api.openai.com/v1` → api.openai.com, 443); undefined when unparsable. */
export function serverOf(baseURL: string | undefined): { address: string; port: number } | undefined {
  if (baseURL === undefined) return undefined;
  try {
    const url = new URL(baseURL);
    const port = url.port !== '' ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
    return { address: url.hostname, port };
  } catch {
    return undefined;
  }
}
