import type { ApiFamily } from '@allowance/protocol';
import { isRecord } from './is-record.js';
import { OutputTextMeter } from './output-text-meter.js';

/**
 * The output tokens of a whole JSON answer, counted from its text, for settling a completed call
 * the provider reported no usage for (spec MTR-24): OpenAI's choices (content, refusal, reasoning
 * and tool-call arguments) or Anthropic's content blocks (text, thinking, tool input). Zero for
 * anything else, such as embeddings, or a body that is not JSON.
 */
export function jsonOutputTokens(api: ApiFamily, body: Buffer): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return 0;
  }
  if (!isRecord(parsed)) return 0;
  const meter = new OutputTextMeter(api);
  if (api === 'openai' && Array.isArray(parsed.choices)) {
    for (const choice of parsed.choices) {
      const message = isRecord(choice) && isRecord(choice.message) ? choice.message : undefined;
      if (!message) continue;
      meter.add(message.content);
      meter.add(message.refusal);
      meter.add(message.reasoning_content);
      for (const call of Array.isArray(message.tool_calls) ? message.tool_calls : []) {
        if (isRecord(call) && isRecord(call.function)) meter.add(call.function.arguments);
      }
    }
  }
  if (api === 'anthropic' && Array.isArray(parsed.content)) {
    for (const block of parsed.content) {
      if (!isRecord(block)) continue;
      meter.add(block.text);
      meter.add(block.thinking);
      if (block.input !== undefined) meter.add(JSON.stringify(block.input));
    }
  }
  return meter.tokens;
}
