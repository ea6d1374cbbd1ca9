import type { CallContext } from './call-context.js';
import { TokenPacer } from './pacing.js';
import type { ResponsePlan } from './predict-response.js';
import type { SimulationRule } from './rules.js';
import { toAnthropicUsageObject } from './usage.js';

/** Everything {@link streamMessage} needs to know about the answer. */
export interface MessageStreamPlan {
  readonly id: string;
  readonly model: string;
  readonly plan: ResponsePlan;
  readonly rule: SimulationRule;
}

/**
 * Output tokens `message_start` reports: the API counts the first token as soon as the message
 * starts, before any text arrives.
 */
const STARTING_OUTPUT_TOKENS = 1;

/**
 * Streams a message as api.anthropic.com does, with `event:` lines: `message_start` (usage with
 * the input counts and a small `output_tokens`), `content_block_start`, `ping`, one
 * `content_block_delta` (`text_delta`) per token, `content_block_stop`, `message_delta` (stop
 * reason and cumulative usage, input and cache counts included as the current API reports them)
 * and `message_stop`. `dropAfterTokens` destroys the connection after that many deltas and before
 * `content_block_stop`.
 */
export async function streamMessage(context: CallContext, stream: MessageStreamPlan): Promise<void> {
  const { id, model, plan, rule } = stream;
  const [choice] = plan.choices;
  if (choice === undefined) return;
  const event = (type: string, data: object): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

  context.openEventStream();
  const startingUsage = {
    ...plan.usage,
    outputTokens: Math.min(STARTING_OUTPUT_TOKENS, plan.usage.outputTokens),
  };
  const message = {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: toAnthropicUsageObject(startingUsage),
  };
  const opening =
    event('message_start', { message }) +
    event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
    event('ping', {});
  if (!(await context.write(opening))) return;
  context.recordUsage(startingUsage);

  const pacer = new TokenPacer(rule.tokensPerSecond);
  for (const [position, token] of choice.tokens.entries()) {
    if (rule.dropAfterTokens !== undefined && position >= rule.dropAfterTokens) break;
    if (!(await pacer.waitForToken(position, context.signal))) return;
    const delta = event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: token } });
    if (!(await context.write(delta))) return;
    context.recordOutput(1, token);
  }
  if (rule.dropAfterTokens !== undefined) {
    context.drop();
    return;
  }

  const { output_tokens, input_tokens, cache_creation_input_tokens, cache_read_input_tokens } =
    toAnthropicUsageObject(plan.usage);
  const closing =
    event('content_block_stop', { index: 0 }) +
    event('message_delta', {
      delta: { stop_reason: choice.truncated ? 'max_tokens' : 'end_turn', stop_sequence: null },
      usage: { input_tokens, cache_creation_input_tokens, cache_read_input_tokens, output_tokens },
    }) +
    event('message_stop', {});
  if (!(await context.write(closing))) return;
  context.recordUsage(plan.usage);
  context.end();
}
