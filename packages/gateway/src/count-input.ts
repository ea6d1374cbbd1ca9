import { countO200kTokens, o200kTokens } from './o200k-count.js';
import { runAtOnce, runInSlices, type Steps } from './work-in-slices.js';

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
/**
 * What a provider adds to the input of a request that defines tools, where the bytes bound
 * applies: Anthropic documents a tool-use system prompt of up to 530 tokens (346 for current
 * models with `auto`), which no byte of the request carries (MTR-14).
 */
const TOOL_USE_PROMPT_BOUND = 600;
/**
 * Members of a request whose whole JSON reaches the model, keys included: tool and function
 * definitions name their parameters in keys, which a count of their strings alone would miss.
 */
const DEFINITION_FIELDS = ['tools', 'tool_choice', 'functions', 'response_format'] as const;
const ATTACHMENT_TYPES = new Set(['image_url', 'image', 'document', 'input_audio', 'file']);
const UNCOUNTED_KEYS = new Set(['type', 'cache_control']);

interface Tally {
  text: string[];
  attachments: number;
}

/** Values visited, or texts measured, between two chances for the event loop to run. */
const STEP_SIZE = 2048;

/** Every string under `roots`, in document order, with attachment parts counted instead. */
function* collect(roots: readonly unknown[], tally: Tally): Steps<void> {
  const pending: unknown[] = [...roots].reverse();
  for (let visited = 1; pending.length > 0; visited += 1) {
    if (visited % STEP_SIZE === 0) yield;
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
      // A tool call's input reaches the model as JSON, keys included (Anthropic `tool_use`).
      if (part.type === 'tool_use' && part.input !== undefined) {
        tally.text.push(JSON.stringify(part.input));
        pending.push(part.id, part.name);
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

function* byteCount(texts: readonly string[]): Steps<number> {
  let total = 0;
  for (let index = 0; index < texts.length; index += 1) {
    if (index % STEP_SIZE === STEP_SIZE - 1) yield;
    total += Buffer.byteLength(texts[index] as string, 'utf8');
  }
  return total;
}

const bytes = (texts: readonly string[]) => runAtOnce(byteCount(texts));

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

/** What an estimate is made of, whichever the counting. */
interface Measure {
  shape: InputShape;
  messages: number;
  attachments: number;
  /** Token ids given as numbers (embeddings). */
  tokenIds: number;
  texts: string[];
}

function* measure(body: Record<string, unknown>, shape: InputShape): Steps<Measure> {
  const tally: Tally = { text: [], attachments: 0 };
  if (shape === 'embedding') {
    let tokenIds = 0;
    const items = Array.isArray(body.input) ? body.input : [body.input];
    for (const item of items) {
      if (typeof item === 'string') tally.text.push(item);
      else if (Array.isArray(item)) tokenIds += item.length;
      else if (typeof item === 'number') tokenIds += 1;
    }
    return { shape, messages: 0, attachments: 0, tokenIds, texts: tally.text };
  }
  const messages = Array.isArray(body.messages) ? body.messages : [];
  yield* collect([...messages, body.system], tally);
  for (const field of DEFINITION_FIELDS) {
    const value = body[field];
    if (typeof value === 'string') tally.text.push(value);
    else if (value !== undefined && value !== null) tally.text.push(JSON.stringify(value));
  }
  return { shape, messages: messages.length, attachments: tally.attachments, tokenIds: 0, texts: tally.text };
}

/** A measure with its text counted, as {@link prepareInputCount} leaves it. */
interface Counted extends Measure {
  bytes: number;
  /** Counted ahead only when the model may count with o200k_base, else when first asked. */
  o200kTokens?: number;
}

/**
 * Bodies measured ahead by {@link prepareInputCount}: a body is walked and counted once, off the
 * hot path, however often its call is planned.
 */
const prepared = new WeakMap<object, Counted>();

/** The text tokens and the rest of the estimate's parts, from the count made ahead if there is one. */
function textTokens(body: Record<string, unknown>, shape: InputShape, counting: InputCounting) {
  const ahead = prepared.get(body);
  if (ahead?.shape === shape) {
    if (counting === 'bytes') return { ...ahead, text: ahead.bytes };
    ahead.o200kTokens ??= countO200kTokens(ahead.texts);
    return { ...ahead, text: ahead.o200kTokens };
  }
  const now = runAtOnce(measure(body, shape));
  return { ...now, text: counting === 'o200k' ? countO200kTokens(now.texts) : bytes(now.texts) };
}

/**
 * Measures a metered call's input ahead of planning (spec MTR-14): walks the body once, counts
 * its bytes, and, when its model may count with o200k_base (see {@link countingFor}), its tokens,
 * letting the event loop run every few milliseconds, so that a large prompt holds up no other
 * request. {@link countConversationInput} and {@link countEmbeddingInput} then read the count.
 */
export async function prepareInputCount(
  body: Record<string, unknown>,
  endpoint: 'chat.completions' | 'embeddings' | 'messages',
): Promise<void> {
  // The model as the provider will see it, without any `<provider>/` prefix (spec §5.5).
  const model = typeof body.model === 'string' ? body.model.slice(body.model.lastIndexOf('/') + 1) : '';
  const withO200k = endpoint !== 'messages' && O200K_MODELS.test(model);
  const shape = endpoint === 'embeddings' ? 'embedding' : 'conversation';
  prepared.set(body, await runInSlices(countAhead(body, shape, withO200k)));
}

/** The walk and the counts {@link prepareInputCount} makes, as steps. */
function* countAhead(body: Record<string, unknown>, shape: InputShape, withO200k: boolean): Steps<Counted> {
  const measured = yield* measure(body, shape);
  const counted: Counted = { ...measured, bytes: yield* byteCount(measured.texts) };
  if (withO200k) counted.o200kTokens = yield* o200kTokens(measured.texts);
  return counted;
}

/**
 * Input tokens of a chat completion or a message request: every message's text and the text in
 * system prompts and tool definitions, plus framing per message and a maximum per attachment.
 */
export function countConversationInput(body: Record<string, unknown>, counting: InputCounting): number {
  const { text, messages, attachments } = textTokens(body, 'conversation', counting);
  const perMessage = counting === 'o200k' ? PER_MESSAGE_EXACT : PER_MESSAGE_BOUND;
  const toolPrompt =
    counting === 'bytes' && Array.isArray(body.tools) && body.tools.length > 0 ? TOOL_USE_PROMPT_BOUND : 0;
  return text + messages * perMessage + REPLY_PRIMING + attachments * PER_ATTACHMENT + toolPrompt;
}

/** Input tokens of an embeddings request (strings, or arrays of token ids). */
export function countEmbeddingInput(body: Record<string, unknown>, counting: InputCounting): number {
  const { text, tokenIds } = textTokens(body, 'embedding', counting);
  return text + tokenIds;
}
