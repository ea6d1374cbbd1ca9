import { streamMessage } from './anthropic-message-stream.js';
import { parseAnthropicMessagesRequest } from './anthropic-messages-request.js';
import { countAnthropicInputTokens } from './anthropic-token-count.js';
import { sleep, TokenPacer } from './pacing.js';
import { predictAnthropicMessageResponse } from './predict-response.js';
import type { Endpoint } from './provider-api.js';
import { toAnthropicUsageObject } from './usage.js';

/** `POST /v1/messages`: a `message` object, or its server-sent event stream. */
export const messagesEndpoint: Endpoint = {
  method: 'POST',
  path: /^\/v1\/messages\/?$/,
  async handle(context, body) {
    const request = parseAnthropicMessagesRequest(body, { requireMaxTokens: true });
    const stream = request.stream === true;
    const rule = await context.applyRule({ model: request.model, stream });
    if (rule === undefined) return;
    const plan = predictAnthropicMessageResponse(request, rule);
    const id = context.options.createId('msg_');
    context.record.responseId = id;
    if (stream) {
      await streamMessage(context, { id, model: request.model, plan, rule });
      return;
    }
    const [choice] = plan.choices;
    if (choice === undefined) return;
    if (!(await sleep(new TokenPacer(rule.tokensPerSecond).durationOf(choice.tokens.length), context.signal)))
      return;
    if (rule.dropAfterTokens !== undefined) {
      context.drop();
      return;
    }
    context.sendJson(200, {
      id,
      type: 'message',
      role: 'assistant',
      model: request.model,
      content: [{ type: 'text', text: choice.text }],
      stop_reason: choice.truncated ? 'max_tokens' : 'end_turn',
      stop_sequence: null,
      usage: toAnthropicUsageObject(plan.usage),
    });
    context.recordOutput(choice.tokens.length, choice.text);
    context.recordUsage(plan.usage);
  },
};

/** `POST /v1/messages/count_tokens`: `{ input_tokens }`, the prompt's total before any caching. */
export const countTokensEndpoint: Endpoint = {
  method: 'POST',
  path: /^\/v1\/messages\/count_tokens\/?$/,
  async handle(context, body) {
    const request = parseAnthropicMessagesRequest(body, { requireMaxTokens: false });
    if ((await context.applyRule({ model: request.model, stream: false })) === undefined) return;
    context.sendJson(200, { input_tokens: countAnthropicInputTokens(request) });
  },
};
