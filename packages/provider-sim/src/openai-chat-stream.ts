import type { CallContext } from './call-context.js';
import type { CompletionIdentity } from './openai-chat-completions.js';
import { TokenPacer } from './pacing.js';
import type { ResponsePlan } from './predict-response.js';
import type { SimulationRule } from './rules.js';
import { toOpenAIUsageObject } from './usage.js';

/** Everything {@link streamChatCompletion} needs to know about the answer. */
export interface ChatStreamPlan {
  readonly identity: CompletionIdentity;
  readonly plan: ResponsePlan;
  readonly rule: SimulationRule;
  /** `stream_options.include_usage`: adds `usage: null` to every chunk and a final usage chunk. */
  readonly includeUsage: boolean;
}

/**
 * Streams a chat completion as api.openai.com does: a `data: {chat.completion.chunk}` event per
 * step — the role delta, one content delta per token, the `finish_reason` delta, then (only with
 * `include_usage`) a chunk with `choices: []` and the usage — and finally `data: [DONE]`.
 * `dropAfterTokens` destroys the connection after that many content tokens and before any final
 * event.
 */
export async function streamChatCompletion(context: CallContext, stream: ChatStreamPlan): Promise<void> {
  const { identity, plan, rule, includeUsage } = stream;
  const chunk = (choices: readonly unknown[], usage?: unknown): string => {
    const payload = {
      id: identity.id,
      object: 'chat.completion.chunk',
      created: identity.created,
      model: identity.model,
      service_tier: identity.service_tier,
      system_fingerprint: identity.system_fingerprint,
      choices,
      ...(includeUsage ? { usage: usage ?? null } : {}),
    };
    return `data: ${JSON.stringify(payload)}\n\n`;
  };
  const choiceDelta = (index: number, delta: object, finishReason: string | null = null) => ({
    index,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });

  context.openEventStream();
  const roles = plan.choices.map((_, index) =>
    choiceDelta(index, { role: 'assistant', content: '', refusal: null }),
  );
  if (!(await context.write(roles.map((role) => chunk([role])).join('')))) return;

  const pacer = new TokenPacer(rule.tokensPerSecond);
  const longest = Math.max(...plan.choices.map((choice) => choice.tokens.length));
  let sent = 0;
  for (let position = 0; position < longest; position += 1) {
    if (!(await pacer.waitForToken(position, context.signal))) return;
    for (const [index, choice] of plan.choices.entries()) {
      const token = choice.tokens[position];
      if (token === undefined) continue;
      if (rule.dropAfterTokens !== undefined && sent >= rule.dropAfterTokens) {
        context.drop();
        return;
      }
      if (!(await context.write(chunk([choiceDelta(index, { content: token })])))) return;
      context.recordOutput(1, token);
      sent += 1;
    }
  }
  if (rule.dropAfterTokens !== undefined) {
    context.drop();
    return;
  }

  const finishes = plan.choices.map((choice, index) =>
    choiceDelta(index, {}, choice.truncated ? 'length' : 'stop'),
  );
  let tail = finishes.map((finish) => chunk([finish])).join('');
  if (includeUsage) tail += chunk([], toOpenAIUsageObject(plan.usage));
  tail += 'data: [DONE]\n\n';
  if (!(await context.write(tail))) return;
  if (includeUsage) context.recordUsage(plan.usage);
  context.end();
}
