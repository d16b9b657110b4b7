/** `promptpin check` warns on versions without provider: (gen_ai.provider.name is required by the GenAI conventions). */
import { describe, expect, it } from 'vitest';
import { providerWarnings } from '../../src/cli/check.js';
import type { PromptVersion } from '../../src/registry/types.js';

const v = (name: string, model: string, provider?: string): PromptVersion =>
  ({ name, version: 1, hash: 'sha256:x', model, ...(provider ? { provider } : {}), operation: 'chat', params: {}, variables: {}, template: 'x' }) as PromptVersion;

describe('providerWarnings', () => {
  it('should warn on each version without provider, saying what spans will carry', () => {
    expect(providerWarnings([v('a', 'gpt-4o', 'openai'), v('b', 'claude-sonnet-4-5'), v('c', 'llama-3.1-70b')])).toMatchInlineSnapshot(`
      [
        "b/1.prompt: no provider: (gen_ai.provider.name) — guessed "anthropic" from model "claude-sonnet-4-5". Add provider: to the front matter",
        "c/1.prompt: no provider: (gen_ai.provider.name) — model "llama-3.1-70b" names no provider, so spans say "_OTHER" unless a request builder knows it. Add provider: to the front matter",
      ]
    `);
  });
});
