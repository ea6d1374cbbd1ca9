import type { ProviderSim, SimulatedCall } from '@allowance/provider-sim';
import { defineModule } from '../model/module.js';
import { expect, expectEqual } from '../runner/check-failure.js';
import { noteDerivation } from '../runner/derivation.js';
import { callGateway, chatBody, errorCode, finalStreamComment } from '../wire/gateway-call.js';
import { member } from '../wire/http.js';
import {
  costOf,
  DEFAULT_PRICES,
  formatMoney,
  isCanonicalMoney,
  parseMoney,
  type UsageRecord,
} from '../wire/money.js';

/** The usage record of Part 6 §6.2.1 from what the simulator says it reported. */
export function usageRecord(call: SimulatedCall): UsageRecord {
  const usage = call.usage;
  // Without reported usage, what the provider wrote is still known: a lower bound of the cost.
  if (!usage) return { input: 0, cachedInput: 0, cacheWrite: 0, output: call.outputTokens };
  if (call.family === 'anthropic') {
    return {
      input: usage.inputTokens,
      cachedInput: usage.cachedInputTokens,
      cacheWrite: usage.cacheWriteInputTokens,
      output: usage.outputTokens,
    };
  }
  return {
    input: usage.inputTokens - usage.cachedInputTokens,
    cachedInput: usage.cachedInputTokens,
    cacheWrite: 0,
    output: usage.outputTokens,
  };
}

/** The cost the wallet must settle for the simulator's one recorded call since `clearCalls`. */
export async function expectedCost(sim: ProviderSim): Promise<string> {
  await sim.idle();
  const calls = sim.calls;
  expectEqual(calls.length, 1, 'calls the provider received');
  const call = calls[0] as SimulatedCall;
  const price = DEFAULT_PRICES[`${call.provider}/${call.model}`];
  expect(price, `the suite has no default price for ${call.provider}/${call.model}`);
  expect(call.usage, 'the provider reported no usage');
  const usage = usageRecord(call);
  const cost = formatMoney(costOf(usage, price));
  noteDerivation(
    `cost of the ${call.provider}/${call.model} call`,
    `(${usage.input} input × ${price.input} + ${usage.cachedInput} cached input × ${price.cachedInput} + ${usage.cacheWrite} cache writes × ${price.cacheWrite} + ${usage.output} output × ${price.output}) micro-units per million tokens, rounded up once = ${cost}`,
  );
  return cost;
}

const details = {
  type: 'ai_allowance',
  providers: ['openai', 'anthropic'],
  models: ['gpt-4.1-mini', 'claude-haiku-4-5', 'text-embedding-3-small'],
  budget: { currency: 'USD', limits: [{ amount: '2.00', period: 'day' }] },
};
const longPrompt = 'The quick brown fox jumps over the lazy dog. '.repeat(20);

/** Metering exactness against the simulator's usage (Part 5 §5.8, Part 6 §6.2, §6.5). */
export const meteringModule = defineModule({
  name: 'metering',
  plan: 'core',
  kind: 'http',
  summary: 'Every cost equals the usage the simulator reported, priced exactly, JSON and SSE',
  checks: {
    'chat-json': {
      requirements: ['MTR-7', 'MTR-12', 'MTR-13', 'MTR-2'],
      summary:
        'a chat completion with cached input reports Allowance-Cost equal to the exact cost, canonical, with currency and remaining',
    },
    'messages-json': {
      requirements: ['MTR-12', 'MTR-13'],
      summary:
        'an Anthropic message with cache reads and writes is priced over all four usage classes exactly',
    },
    'chat-stream': {
      requirements: ['MTR-8', 'MTR-13', 'MTR-21', 'GW-16'],
      summary:
        'a streamed chat completion with cached input ends with ": allowance-cost=<exact> remaining=…" after [DONE]',
    },
    'usage-chunk-hidden': {
      requirements: ['GW-19'],
      summary:
        'the usage-only chunk the gateway asked for is not delivered to an app that did not ask for it',
    },
    'messages-stream': {
      requirements: ['MTR-8', 'MTR-13', 'MTR-21'],
      summary:
        'a streamed Anthropic message with cache reads and writes ends with the exact cost comment after message_stop',
    },
    'spent-equals-costs': {
      requirements: ['MTR-20', 'MTR-11'],
      summary: 'afterwards, spent equals the sum of the reported costs and nothing is reserved',
    },
    'upstream-failure-free': {
      requirements: ['MTR-23', 'GW-21'],
      summary: 'a provider 500 becomes 502 upstream_error and costs nothing',
    },
    'retention-none': {
      requirements: ['GW-18'],
      summary:
        'under retention none, the provider receives store: false whether the app sent store: true or nothing, streamed or not',
    },
  },
  async run({ check, app, clients, wallet, sim }) {
    const connection = await app.connect(clients.app, { details });
    const costs: bigint[] = [];
    const call = (path: string, body: Record<string, unknown>) =>
      callGateway(wallet.gateway, path, connection, { body });
    try {
      await check('chat-json', async () => {
        sim.setRules([{ provider: 'openai', cachedInputTokens: 64, responseTokens: 37 }]);
        sim.clearCalls();
        const response = await call(
          '/v1/chat/completions',
          chatBody({ messages: [{ role: 'user', content: longPrompt }] }),
        );
        expectEqual(response.status, 200, 'status');
        const expected = await expectedCost(sim);
        costs.push(parseMoney(expected) ?? 0n);
        expectEqual(response.headers.get('allowance-cost'), expected, 'Allowance-Cost');
        expectEqual(
          response.headers.get('allowance-currency'),
          member(wallet.metadata, 'allowance', 'currency'),
          'Allowance-Currency',
        );
        expect(
          isCanonicalMoney(response.headers.get('allowance-remaining')),
          `Allowance-Remaining is ${response.headers.get('allowance-remaining')}`,
        );
      });
      await check('messages-json', async () => {
        sim.setRules([
          { provider: 'anthropic', cachedInputTokens: 50, cacheWriteInputTokens: 30, responseTokens: 41 },
        ]);
        sim.clearCalls();
        const response = await call('/v1/messages', {
          model: 'claude-haiku-4-5',
          max_tokens: 100,
          messages: [{ role: 'user', content: longPrompt }],
        });
        expectEqual(response.status, 200, 'status');
        const expected = await expectedCost(sim);
        costs.push(parseMoney(expected) ?? 0n);
        expectEqual(response.headers.get('allowance-cost'), expected, 'Allowance-Cost');
      });
      let streamText = '';
      await check('chat-stream', async () => {
        // Cached input on the streamed path too: the usage arrives in a different chunk there.
        sim.setRules([{ provider: 'openai', responseTokens: 29, cachedInputTokens: 64 }]);
        sim.clearCalls();
        const response = await call(
          '/v1/chat/completions',
          chatBody({ stream: true, messages: [{ role: 'user', content: longPrompt }] }),
        );
        expectEqual(response.status, 200, 'status');
        streamText = response.text;
        expectEqual(
          response.headers.get('allowance-currency'),
          member(wallet.metadata, 'allowance', 'currency'),
          'Allowance-Currency',
        );
        expect(sim.calls[0]?.usage, 'the gateway did not ask the provider for usage in the stream');
        const expected = await expectedCost(sim);
        costs.push(parseMoney(expected) ?? 0n);
        const comment = finalStreamComment(streamText);
        expect(comment, 'the stream has no final allowance-cost comment');
        expectEqual(comment.cost, expected, 'cost in the final comment');
        expect(
          comment.remaining !== undefined && isCanonicalMoney(comment.remaining),
          'the comment has no canonical remaining',
        );
        expect(
          streamText.indexOf('data: [DONE]') < streamText.indexOf(': allowance-cost='),
          'the comment comes before [DONE]',
        );
      });
      await check('usage-chunk-hidden', async () => {
        expect(streamText !== '', 'no stream was read');
        const leaked = streamText
          .split('\n')
          .filter((line) => line.startsWith('data: {'))
          .some((line) => /"choices":\s*\[\s*\]/.test(line) && line.includes('"usage"'));
        expect(!leaked, 'the usage-only chunk reached the app');
      });
      await check('messages-stream', async () => {
        // Cache reads and writes arrive in message_start on a stream, output in message_delta.
        sim.setRules([
          { provider: 'anthropic', responseTokens: 23, cachedInputTokens: 50, cacheWriteInputTokens: 30 },
        ]);
        sim.clearCalls();
        const response = await call('/v1/messages', {
          model: 'claude-haiku-4-5',
          max_tokens: 100,
          stream: true,
          messages: [{ role: 'user', content: longPrompt }],
        });
        expectEqual(response.status, 200, 'status');
        const expected = await expectedCost(sim);
        costs.push(parseMoney(expected) ?? 0n);
        const comment = finalStreamComment(response.text);
        expect(comment, 'the stream has no final allowance-cost comment');
        expectEqual(comment.cost, expected, 'cost in the final comment');
        expect(
          response.text.indexOf('message_stop') < response.text.indexOf(': allowance-cost='),
          'the comment comes before message_stop',
        );
      });
      await check('spent-equals-costs', async () => {
        const allowance = await callGateway(wallet.gateway, '/v1/allowance', connection);
        expectEqual(
          member(allowance.json, 'budget', 0, 'spent'),
          formatMoney(costs.reduce((sum, cost) => sum + cost, 0n)),
          'spent',
        );
        expectEqual(member(allowance.json, 'budget', 0, 'reserved'), '0.00', 'reserved');
      });
      await check('upstream-failure-free', async () => {
        const before = await callGateway(wallet.gateway, '/v1/allowance', connection);
        sim.setRules([{ provider: 'openai', fault: { status: 500 } }]);
        const response = await call('/v1/chat/completions', chatBody());
        expectEqual(
          [response.status, errorCode(response)],
          [502, 'upstream_error'],
          'gateway answer to a provider 500',
        );
        sim.setRules([]);
        const after = await callGateway(wallet.gateway, '/v1/allowance', connection);
        expectEqual(
          member(after.json, 'budget'),
          member(before.json, 'budget'),
          'budget after the failed call',
        );
      });
    } finally {
      sim.setRules([]);
    }
    await check('retention-none', async () => {
      const private_ = await app.connect(clients.app, { details: { ...details, retention: 'none' } });
      for (const stream of [false, true]) {
        for (const sent of [{ store: true }, {}]) {
          sim.clearCalls();
          const response = await callGateway(wallet.gateway, '/v1/chat/completions', private_, {
            body: chatBody({ stream, ...sent }),
          });
          const what = `stream ${stream}, the app sent ${JSON.stringify(sent)}`;
          expectEqual(response.status, 200, `status (${what})`);
          await sim.idle();
          expectEqual(sim.calls[0]?.store, false, `store flag the provider received (${what})`);
        }
      }
    });
  },
});
