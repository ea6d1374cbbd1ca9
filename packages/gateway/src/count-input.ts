import { countO200kTokens, countO200kTokensYielding } from './o200k-count.js';

// Input estimates (spec 06-metering §6.3, MTR-14): the estimate must never be below what the
// provider will report, or a call could cost more than was reserved. OpenAI's own models use
// o200k_base, so their count is exact for ordinary text (o200k-count.ts says where it is a bound
// instead); everything else is bounded by UTF-8 bytes, which is at least the token count of any
// byte-level BPE tokenizer. Every walk here is iterative: the body's depth is bounded (GW-7),
// but no walk over request content may depend on it to stay on the stack.

/** Tokens a provider may charge for one image or file part, at most. */
const PER_ATTACHMENT = 1_600;
/** Framing tokens per message: OpenAI's recipe is 3 plus the role. */
const PER_MESSAGE_EXACT = 4;
const PER_MESSAGE_BOUND = 16;
const REPLY_PRIMING = 3;
/** Members of a request, besides its messages, whose text reaches the model. */
const TEXT_FIELDS = ['system', 'tools', 'tool_choice', 'functions', 'response_format'] as const;
const ATTACHMENT_TYPES = new Set(['image_url', 'image', 'document', 'input_audio', 'file']);
const UNCOUNTED_KEYS = new Set(['type', 'cache_control']);

interface Tally {
  text: string[];
  attachments: number;
}

/** Every string under `roots`, in document order, with attachment parts counted instead. */
function collect(roots: readonly unknown[], tally: Tally): void {
  const pending: unknown[] = [...roots].reverse();
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') tally.text.push(value);
    else if (Array.isArray(value))
      for (let index = value.length - 1; index >= 0; index -= 1) pending.push(value[index]);
    else if (value && typeof value === 'object') {
      const part = value as Record<string, unknown>;
      if (typeof part.type === 'string' && ATTACHMENT_TYPES.has(part.type)) {
        tally.attachments += 1;
        continue;
      }
      const entries = Object.entries(part);
      for (let index = entries.length - 1; index >= 0; index -= 1) {
        const [key, item] = entries[index] as [string, unknown];
        if (!UNCOUNTED_KEYS.has(key)) pending.push(item);
      }
    }
  }
}

const bytes = (texts: string[]) => texts.reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), 0);

/** How input tokens are counted for a provider and model. */
export type InputCounting = 'o200k' | 'bytes';

const O200K_MODELS = /^(gpt-4o|gpt-4\.1|gpt-5|o[134])/;

/** OpenAI's current models tokenize with o200k_base; for any other model the bound is bytes. */
export function countingFor(
  providerApi: 'openai' | 'anthropic',
  providerId: string,
  model: string,
): InputCounting {
  return providerApi === 'openai' && providerId === 'openai' && O200K_MODELS.test(model) ? 'o200k' : 'bytes';
}

/** Which request a body is: the two shapes whose text is collected differently. */
type InputShape = 'conversation' | 'embedding';

interface Collected {
  shape: InputShape;
  tally: Tally;
  messages: number;
}

function collectInput(body: Record<string, unknown>, shape: InputShape): Collected {
  const tally: Tally = { text: [], attachments: 0 };
  if (shape === 'embedding') {
    const items = Array.isArray(body.input) ? body.input : [body.input];
    for (const item of items) if (typeof item === 'string') tally.text.push(item);
    return { shape, tally, messages: 0 };
  }
  const messages = Array.isArray(body.messages) ? body.messages : [];
  collect([...messages, ...TEXT_FIELDS.map((field) => body[field])], tally);
  return { shape, tally, messages: messages.length };
}

/**
 * o200k_base tokens of a body's text, counted ahead by {@link prepareInputCount}: a body is
 * counted once, off the hot path, however often its call is planned.
 */
const prepared = new WeakMap<object, { shape: InputShape; tokens: number }>();

function o200kTextTokens(body: Record<string, unknown>, collected: Collected): number {
  const ahead = prepared.get(body);
  return ahead?.shape === collected.shape ? ahead.tokens : countO200kTokens(collected.tally.text);
}

/**
 * Counts a body's o200k_base tokens ahead of planning, letting the event loop run every few
 * milliseconds (spec MTR-14), so that a large prompt holds up no other request; the counts of
 * {@link countConversationInput} and {@link countEmbeddingInput} then read it. Only for a body
 * whose model may count with o200k_base (see {@link countingFor}): for any other the bound is
 * bytes, which is cheap.
 */
export async function prepareInputCount(
  body: Record<string, unknown>,
  endpoint: 'chat.completions' | 'embeddings',
): Promise<void> {
  // The model as the provider will see it, without any `<provider>/` prefix (spec §5.5).
  if (typeof body.model !== 'string' || !O200K_MODELS.test(body.model.slice(body.model.lastIndexOf('/') + 1)))
    return;
  const collected = collectInput(body, endpoint === 'embeddings' ? 'embedding' : 'conversation');
  const tokens = await countO200kTokensYielding(collected.tally.text);
  prepared.set(body, { shape: collected.shape, tokens });
}

/**
 * Input tokens of a chat completion or a message request: every message's text and the text in
 * system prompts and tool definitions, plus framing per message and a maximum per attachment.
 */
export function countConversationInput(body: Record<string, unknown>, counting: InputCounting): number {
  const collected = collectInput(body, 'conversation');
  const perMessage = counting === 'o200k' ? PER_MESSAGE_EXACT : PER_MESSAGE_BOUND;
  const text = counting === 'o200k' ? o200kTextTokens(body, collected) : bytes(collected.tally.text);
  return (
    text + collected.messages * perMessage + REPLY_PRIMING + collected.tally.attachments * PER_ATTACHMENT
  );
}

/** Input tokens of an embeddings request (strings, or arrays of token ids). */
export function countEmbeddingInput(body: Record<string, unknown>, counting: InputCounting): number {
  const collected = collectInput(body, 'embedding');
  let total = counting === 'o200k' ? o200kTextTokens(body, collected) : bytes(collected.tally.text);
  const items = Array.isArray(body.input) ? body.input : [body.input];
  for (const item of items) {
    if (Array.isArray(item)) total += item.length;
    else if (typeof item === 'number') total += 1;
  }
  return total;
}
