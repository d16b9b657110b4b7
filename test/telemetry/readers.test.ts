import { describe, expect, it } from 'vitest';
import { readResult, StreamReader, type ResultReading } from '../../src/telemetry/readers.js';
import { chatChunks, chatCompletion } from './fixtures.js';

function streamed(chunks: readonly unknown[], withContent = false): ResultReading | undefined {
  const reader = new StreamReader(withContent);
  for (const c of chunks) reader.observe(c);
  return reader.reading();
}

describe('readResult: OpenAI Chat Completions', () => {
  it('should read usage, finish reasons, id and model', () => {
    expect(readResult(chatCompletion(), false)).toEqual({
      format: 'openai.chat',
      responseId: 'chatcmpl-123',
      responseModel: 'gpt-4o-mini-2024-07-18',
      finishReasons: ['stop'],
      inputTokens: 42,
      outputTokens: 7,
      cacheReadTokens: undefined,
      cacheCreationTokens: undefined,
      refusal: false,
      toolCall: false,
      output: undefined,
    });
  });

  it('should read a refusal and tool calls, and their content only when asked', () => {
    const refused = chatCompletion({ choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: 'I can’t help with that.' }, finish_reason: 'stop' }] });
    expect(readResult(refused, false)).toMatchObject({ refusal: true, toolCall: false });
    const tool = chatCompletion({
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'book', arguments: '{"day":"mon"}' } }] },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 4 } },
    });
    const r = readResult(tool, true)!;
    expect(r).toMatchObject({ refusal: false, toolCall: true, finishReasons: ['tool_calls'], cacheReadTokens: 4, inputTokens: 10 });
    expect(r.output).toEqual([{ role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'book', arguments: { day: 'mon' } }], finish_reason: 'tool_call' }]);
  });
});

describe('readResult: OpenAI Responses', () => {
  const response = (over: Record<string, unknown>): Record<string, unknown> => ({
    id: 'resp_1',
    object: 'response',
    model: 'gpt-4.1-2025-04-14',
    status: 'completed',
    output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hi', annotations: [] }] }],
    usage: { input_tokens: 20, output_tokens: 5, input_tokens_details: { cached_tokens: 2 } },
    ...over,
  });

  it('should read usage, status and text', () => {
    expect(readResult(response({}), true)).toMatchObject({
      format: 'openai.responses',
      responseId: 'resp_1',
      responseModel: 'gpt-4.1-2025-04-14',
      finishReasons: ['stop'],
      inputTokens: 20,
      outputTokens: 5,
      cacheReadTokens: 2,
      refusal: false,
      toolCall: false,
      output: [{ role: 'assistant', parts: [{ type: 'text', content: 'Hi' }], finish_reason: 'stop' }],
    });
  });

  it('should read function calls, refusal parts and incomplete status', () => {
    expect(readResult(response({ output: [{ type: 'function_call', call_id: 'c1', name: 'book', arguments: '{}' }] }), false)).toMatchObject({ toolCall: true, finishReasons: ['tool_call'] });
    expect(readResult(response({ output: [{ type: 'message', content: [{ type: 'refusal', refusal: 'No.' }] }] }), false)).toMatchObject({ refusal: true });
    expect(readResult(response({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } }), false)).toMatchObject({ finishReasons: ['length'] });
  });
});

describe('readResult: Anthropic Messages', () => {
  const message = (over: Record<string, unknown>): Record<string, unknown> => ({
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [{ type: 'text', text: 'approve' }],
    stop_reason: 'end_turn',
    usage: { input_tokens: 100, output_tokens: 9, cache_read_input_tokens: 50, cache_creation_input_tokens: 10 },
    ...over,
  });

  it('should read usage with cached input tokens added in, and the stop reason', () => {
    expect(readResult(message({}), false)).toMatchObject({
      format: 'anthropic.messages',
      responseId: 'msg_1',
      responseModel: 'claude-sonnet-4-5-20250929',
      finishReasons: ['end_turn'],
      inputTokens: 160,
      outputTokens: 9,
      cacheReadTokens: 50,
      cacheCreationTokens: 10,
      refusal: false,
      toolCall: false,
    });
  });

  it('should read refusal and tool_use blocks', () => {
    expect(readResult(message({ stop_reason: 'refusal', content: [] }), false)).toMatchObject({ refusal: true });
    const r = readResult(message({ stop_reason: 'tool_use', content: [{ type: 'tool_use', id: 'tu_1', name: 'refund', input: { amount: 3 } }] }), true)!;
    expect(r.toolCall).toBe(true);
    expect(r.output).toEqual([{ role: 'assistant', parts: [{ type: 'tool_call', id: 'tu_1', name: 'refund', arguments: { amount: 3 } }], finish_reason: 'tool_call' }]);
  });
});

describe('readResult: unknown shapes', () => {
  it.each([null, undefined, 'text', 42, {}, { choices: 'x' }, { object: 'response' }, { type: 'message' }, [1, 2]])('should read %j as nothing known', (value) => {
    expect(readResult(value, true)).toBeUndefined();
  });
});

describe('StreamReader', () => {
  it('should read OpenAI chat chunks with usage on the final chunk', () => {
    expect(streamed(chatChunks(['Hel', 'lo']), true)).toEqual({
      format: 'openai.chat',
      responseId: 'chatcmpl-s1',
      responseModel: 'gpt-4o-mini-2024-07-18',
      finishReasons: ['stop'],
      inputTokens: 30,
      outputTokens: 2,
      cacheReadTokens: undefined,
      cacheCreationTokens: undefined,
      refusal: false,
      toolCall: false,
      output: [{ role: 'assistant', parts: [{ type: 'text', content: 'Hello' }], finish_reason: 'stop' }],
    });
  });

  it('should assemble streamed tool calls and refusals', () => {
    const base = { id: 'c', object: 'chat.completion.chunk', model: 'm' };
    const r = streamed(
      [
        { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_9', function: { name: 'bo', arguments: '{"d' } }] } }] },
        { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { name: 'ok', arguments: '":1}' } }] } }] },
        { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
      ],
      true,
    )!;
    expect(r.toolCall).toBe(true);
    expect(r.output?.[0]?.parts).toEqual([{ type: 'tool_call', id: 'call_9', name: 'book', arguments: { d: 1 } }]);
    expect(streamed([{ ...base, choices: [{ index: 0, delta: { refusal: 'No' } }] }])!.refusal).toBe(true);
  });

  it('should read Responses stream events, preferring response.completed', () => {
    const r = streamed([
      { type: 'response.created', response: { id: 'resp_2', model: 'gpt-4.1', object: 'response', status: 'in_progress', output: [] } },
      { type: 'response.output_item.added', item: { type: 'function_call', name: 'book' } },
      { type: 'response.output_text.delta', delta: 'x' },
      { type: 'response.completed', response: { id: 'resp_2', object: 'response', model: 'gpt-4.1', status: 'completed', output: [{ type: 'function_call', name: 'book', arguments: '{}' }], usage: { input_tokens: 8, output_tokens: 2 } } },
    ])!;
    expect(r).toMatchObject({ format: 'openai.responses', responseId: 'resp_2', inputTokens: 8, outputTokens: 2, toolCall: true, finishReasons: ['tool_call'] });
  });

  it('should read Anthropic stream events: message_start, content_block_start, message_delta', () => {
    const r = streamed(
      [
        { type: 'message_start', message: { id: 'msg_9', model: 'claude-x', usage: { input_tokens: 12, output_tokens: 1, cache_read_input_tokens: 3 } } },
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Let me check.' } },
        { type: 'content_block_stop', index: 0 },
        { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'tu_2', name: 'lookup', input: {} } },
        { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"id":"A"}' } },
        { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 40 } },
        { type: 'message_stop' },
      ],
      true,
    )!;
    expect(r).toMatchObject({ format: 'anthropic.messages', responseId: 'msg_9', responseModel: 'claude-x', inputTokens: 15, outputTokens: 40, toolCall: true, refusal: false, finishReasons: ['tool_use'] });
    expect(r.output).toEqual([
      {
        role: 'assistant',
        parts: [
          { type: 'text', content: 'Let me check.' },
          { type: 'tool_call', id: 'tu_2', name: 'lookup', arguments: { id: 'A' } },
        ],
        finish_reason: 'tool_call',
      },
    ]);
    expect(streamed([{ type: 'message_delta', delta: { stop_reason: 'refusal' } }])!.refusal).toBe(true);
  });

  it('should know nothing from chunks of unknown shape, and keep no content unless asked', () => {
    expect(streamed(['a', 1, { foo: 1 }])).toBeUndefined();
    expect(streamed(chatChunks(['secret']))!.output).toBeUndefined();
  });
});
