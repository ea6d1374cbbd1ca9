import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';

// Input estimates (spec 06-metering §6.3, MTR-14): the estimate must never be below what the
// provider will report, or a call could cost more than was reserved. OpenAI's own models use
// o200k_base, so their count is exact for text; everything else is bounded by UTF-8 bytes,
// which is at least the token count of any byte-level BPE tokenizer.

/** Tokens a provider may charge for one image or file part, at most. */
const PER_ATTACHMENT = 1_600;
/** Framing tokens per message: OpenAI's recipe is 3 plus the role. */
const PER_MESSAGE_EXACT = 4;
const PER_MESSAGE_BOUND = 16;
const REPLY_PRIMING = 3;

interface Tally {
  text: string[];
  attachments: number;
}

function collect(value: unknown, tally: Tally): void {
  if (typeof value === 'string') {
    tally.text.push(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) collect(item, tally);
    return;
  }
  if (value && typeof value === 'object') {
    const part = value as Record<string, unknown>;
    if (
      part.type === 'image_url' ||
      part.type === 'image' ||
      part.type === 'document' ||
      part.type === 'input_audio' ||
      part.type === 'file'
    ) {
      tally.attachments += 1;
      return;
    }
    for (const [key, item] of Object.entries(part)) {
      if (key !== 'type' && key !== 'cache_control') collect(item, tally);
    }
  }
}

const bytes = (texts: string[]) => texts.reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), 0);

/** How input tokens are counted for a provider and model. */
export type InputCounting = 'o200k' | 'bytes';

/** OpenAI's current models tokenize with o200k_base; for any other model the bound is bytes. */
export function countingFor(
  providerApi: 'openai' | 'anthropic',
  providerId: string,
  model: string,
): InputCounting {
  return providerApi === 'openai' && providerId === 'openai' && /^(gpt-4o|gpt-4\.1|gpt-5|o[134])/.test(model)
    ? 'o200k'
    : 'bytes';
}

/**
 * Input tokens of a chat completion or a message request: every message's text and the text in
 * system prompts and tool definitions, plus framing per message and a maximum per attachment.
 */
export function countConversationInput(body: Record<string, unknown>, counting: InputCounting): number {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const tally: Tally = { text: [], attachments: 0 };
  for (const message of messages) collect(message, tally);
  for (const field of ['system', 'tools', 'tool_choice', 'functions', 'response_format'])
    collect(body[field], tally);
  const perMessage = counting === 'o200k' ? PER_MESSAGE_EXACT : PER_MESSAGE_BOUND;
  const text =
    counting === 'o200k' ? tally.text.reduce((sum, item) => sum + countTokens(item), 0) : bytes(tally.text);
  return text + messages.length * perMessage + REPLY_PRIMING + tally.attachments * PER_ATTACHMENT;
}

/** Input tokens of an embeddings request (strings, or arrays of token ids). */
export function countEmbeddingInput(body: Record<string, unknown>, counting: InputCounting): number {
  const input = body.input;
  const items = Array.isArray(input) ? input : [input];
  let total = 0;
  for (const item of items) {
    if (typeof item === 'string')
      total += counting === 'o200k' ? countTokens(item) : Buffer.byteLength(item, 'utf8');
    else if (Array.isArray(item)) total += item.length;
    else if (typeof item === 'number') total += 1;
  }
  return total;
}
