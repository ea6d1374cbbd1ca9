import { createHash } from 'node:crypto';
import type { CallContext } from './call-context.js';
import { parseOpenAIChatRequest } from './openai-chat-request.js';
import { streamChatCompletion } from './openai-chat-stream.js';
import { sleep, TokenPacer } from './pacing.js';
import { predictOpenAIChatResponse, type ResponsePlan } from './predict-response.js';
import type { Endpoint } from './provider-api.js';
import { toOpenAIUsageObject } from './usage.js';

/** Fields shared by a `chat.completion` and each of its `chat.completion.chunk`s. */
export interface CompletionIdentity {
  readonly id: string;
  readonly created: number;
  readonly model: string;
  readonly service_tier: 'default';
  readonly system_fingerprint: string;
}

/** `POST /v1/chat/completions`: a `chat.completion` object, or a stream of chunks. */
export const chatCompletionsEndpoint: Endpoint = {
  method: 'POST',
  path: /^\/v1\/chat\/completions\/?$/,
  async handle(context, body) {
    const request = parseOpenAIChatRequest(body);
    const stream = request.stream === true;
    const rule = await context.applyRule({ model: request.model, stream, store: request.store });
    if (rule === undefined) return;
    const plan = predictOpenAIChatResponse(request, rule);
    const identity: CompletionIdentity = {
      id: context.options.createId('chatcmpl-'),
      created: Math.floor(context.options.clock() / 1000),
      model: request.model,
      service_tier: 'default',
      system_fingerprint: systemFingerprint(request.model),
    };
    context.record.responseId = identity.id;
    if (stream) {
      // A provider that omits usage ignores `stream_options` altogether, as some compatible ones do.
      const includeUsage = request.stream_options?.include_usage === true && rule.omitUsage !== true;
      await streamChatCompletion(context, { identity, plan, rule, includeUsage });
    } else {
      await sendChatCompletion(context, identity, plan, rule);
    }
  },
};

async function sendChatCompletion(
  context: CallContext,
  identity: CompletionIdentity,
  plan: ResponsePlan,
  rule: {
    readonly tokensPerSecond?: number;
    readonly dropAfterTokens?: number;
    readonly omitUsage?: boolean;
  },
): Promise<void> {
  // Choices are generated side by side, so the answer takes as long as the longest one.
  const longest = Math.max(...plan.choices.map((choice) => choice.tokens.length));
  if (!(await sleep(new TokenPacer(rule.tokensPerSecond).durationOf(longest), context.signal))) return;
  if (rule.dropAfterTokens !== undefined) {
    context.drop();
    return;
  }
  context.sendJson(200, {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    choices: plan.choices.map((choice, index) => ({
      index,
      message: { role: 'assistant', content: choice.text, refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: choice.truncated ? 'length' : 'stop',
    })),
    ...(rule.omitUsage === true ? {} : { usage: toOpenAIUsageObject(plan.usage) }),
    service_tier: identity.service_tier,
    system_fingerprint: identity.system_fingerprint,
  });
  for (const choice of plan.choices) context.recordOutput(choice.tokens.length, choice.text);
  if (rule.omitUsage !== true) context.recordUsage(plan.usage);
}

/** A stable `fp_…` fingerprint per model, as the real API reports one per backend configuration. */
function systemFingerprint(model: string): string {
  return `fp_${createHash('sha256').update(model).digest('hex').slice(0, 10)}`;
}
