import { countOpenAIPromptTokens, type OpenAIChatRequest } from '@allowance/provider-sim';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { countConversationInput, countEmbeddingInput, prepareInputCount } from './count-input.js';

const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };
const exactly = (text: string) => countTokens(text, PLAIN_TEXT);
const MODEL = 'gpt-4.1-mini';

/** Arrays nested `depth` levels deep around one string. */
function nested(depth: number): unknown {
  let value: unknown = 'deep';
  for (let level = 0; level < depth; level += 1) value = [value];
  return value;
}

describe('countConversationInput (spec MTR-14)', () => {
  it('counts an ordinary conversation exactly, and never below what the provider reports', () => {
    const messages = [
      { role: 'system', content: 'You answer in one short sentence.' },
      { role: 'user', content: [{ type: 'text', text: 'What does the gateway reserve before a call?' }] },
      { role: 'assistant', content: 'The worst-case cost of the call.' },
      { role: 'user', content: 'And after it? <|endoftext|> is just text.' },
    ];
    const body = { model: MODEL, messages };
    const texts = [
      'system',
      'You answer in one short sentence.',
      'user',
      'What does the gateway reserve before a call?',
      'assistant',
      'The worst-case cost of the call.',
      'user',
      'And after it? <|endoftext|> is just text.',
    ];
    const estimate = countConversationInput(body, 'o200k');
    expect(estimate).toBe(texts.reduce((sum, text) => sum + exactly(text), 0) + 4 * messages.length + 3);
    expect(estimate).toBeGreaterThanOrEqual(countOpenAIPromptTokens(body as unknown as OpenAIChatRequest));
  });

  it('counts tool definitions as their JSON, keys included: never below what the provider reports', () => {
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Get the weather',
          parameters: {
            type: 'object',
            properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
            required: ['location'],
          },
        },
      },
    ];
    const body = { model: MODEL, messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools };
    const estimate = countConversationInput(body, 'o200k');
    expect(estimate).toBe(
      exactly('user') + exactly('Weather in Oslo?') + exactly(JSON.stringify(tools)) + 4 + 3,
    );
    expect(estimate).toBeGreaterThanOrEqual(countOpenAIPromptTokens(body as unknown as OpenAIChatRequest));
    const toolUse = { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { location: 'Oslo' } };
    const anthropic = { model: 'claude-haiku-4-5', messages: [{ role: 'assistant', content: [toolUse] }] };
    expect(countConversationInput(anthropic, 'bytes')).toBe(
      'assistant'.length +
        JSON.stringify(toolUse.input).length +
        'toolu_1'.length +
        'get_weather'.length +
        16 +
        3,
    );
  });

  it('adds the tool-use prompt a provider injects when a request defines tools, under the bytes bound', () => {
    const anthropicTool = {
      name: 'get_weather',
      description: 'Get the weather',
      input_schema: { type: 'object', properties: { location: { type: 'string' } } },
    };
    const plain = { model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'Weather in Oslo?' }] };
    const withTools = { ...plain, tools: [anthropicTool] };
    // Anthropic documents up to 530 tokens of tool-use system prompt, carried by no byte of the body.
    expect(countConversationInput(withTools, 'bytes') - countConversationInput(plain, 'bytes')).toBe(
      Buffer.byteLength(JSON.stringify([anthropicTool])) + 600,
    );
    // An empty list defines no tool: its two bytes of JSON, and no prompt.
    expect(countConversationInput({ ...plain, tools: [] }, 'bytes')).toBe(
      countConversationInput(plain, 'bytes') + 2,
    );
  });

  it('bounds a 1 MiB run of one character by its bytes instead of merging it for minutes', () => {
    for (const run of ['a', ' ', '😀', '中']) {
      const content = run.repeat(Math.floor((1024 * 1024) / Buffer.byteLength(run)));
      const estimate = countConversationInput(
        { model: MODEL, messages: [{ role: 'user', content }] },
        'o200k',
      );
      expect(estimate).toBe(exactly('user') + Buffer.byteLength(content) + 4 + 3);
    }
  });

  it('walks content nested 20 000 levels deep without running out of stack', () => {
    const body = { model: MODEL, messages: [{ role: 'user', content: nested(20_000) }] };
    expect(countConversationInput(body, 'o200k')).toBe(exactly('user') + exactly('deep') + 4 + 3);
    expect(countConversationInput(body, 'bytes')).toBe(4 + 4 + 16 + 3);
  });

  it('reads a count prepared ahead, the same as counted on the spot', async () => {
    const content = Array.from({ length: 3_000 }, (_, index) => `sentence number ${index} of many.`).join(
      ' ',
    );
    const body = { model: `openai/${MODEL}`, messages: [{ role: 'user', content }] };
    const onTheSpot = countConversationInput(body, 'o200k');
    const prepared = { ...body };
    await prepareInputCount(prepared, 'chat.completions');
    expect(countConversationInput(prepared, 'o200k')).toBe(onTheSpot);
    // A body for another model is measured by bytes ahead, and by o200k_base only if asked.
    const claude = { model: 'claude-haiku-4-5', messages: body.messages };
    const bytesOnTheSpot = countConversationInput(claude, 'bytes');
    const claudeAhead = { ...claude };
    await prepareInputCount(claudeAhead, 'messages');
    expect(countConversationInput(claudeAhead, 'bytes')).toBe(bytesOnTheSpot);
    expect(countConversationInput(claudeAhead, 'o200k')).toBe(onTheSpot);
    // Attachments and framing are added to the prepared text count as to any other.
    const withImage = {
      ...body,
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x.test/a.png' } }] },
      ],
    };
    await prepareInputCount(withImage, 'chat.completions');
    expect(countConversationInput(withImage, 'o200k')).toBe(exactly('user') + 1_600 + 4 + 3);
  });
});

describe('countEmbeddingInput', () => {
  it('counts strings with the tokenizer or by bytes, and token arrays by their length', () => {
    expect(countEmbeddingInput({ input: ['hello world', 'again'] }, 'o200k')).toBe(
      exactly('hello world') + exactly('again'),
    );
    expect(countEmbeddingInput({ input: 'x'.repeat(300_000) }, 'o200k')).toBe(300_000);
    expect(countEmbeddingInput({ input: [[1, 2, 3], [4]] }, 'bytes')).toBe(4);
    expect(countEmbeddingInput({ input: 'héllo' }, 'bytes')).toBe(6);
  });
});
