import { defineModule } from '../model/module.js';
import { expect, expectEqual } from '../runner/check-failure.js';
import { callGateway, chatBody, errorCode } from '../wire/gateway-call.js';
import { member } from '../wire/http.js';
import { DEFAULT_PRICES, parseMoney } from '../wire/money.js';

const prompt = 'Estimate me: '.concat('alpha beta gamma delta '.repeat(30));

/** Per-call caps, input estimates, worst-case reservations and unpriced models (Part 6 §6.3, Part 3 §3.14). */
export const estimatesModule = defineModule({
  name: 'estimates',
  plan: 'core',
  kind: 'http',
  summary:
    'Input estimates bound reported usage; caps refuse; reservations hold the worst case; unpriced is never free',
  checks: {
    'input-estimate-bounds-usage': {
      requirements: ['MTR-14', 'MTR-15'],
      summary:
        'with max_input_per_request one below the input the provider reports for a prompt, that prompt is refused',
    },
    'output-cap': {
      requirements: ['MTR-15'],
      summary: 'max_tokens above max_output_per_request gets 403 max_output_tokens_exceeded',
    },
    'worst-case-reserved': {
      requirements: ['MTR-16', 'MTR-17'],
      summary: 'while a call runs, at least its worst-case output cost and input+output tokens are reserved',
    },
    unpriced: {
      requirements: ['MTR-5'],
      summary: 'an unpriced model under a budget gets 403 model_unpriced and reaches no provider',
    },
  },
  async run({ check, app, clients, wallet, sim }) {
    await check('input-estimate-bounds-usage', async () => {
      const open = await app.connect(clients.app, {
        details: { type: 'ai_allowance', providers: ['openai'], models: ['gpt-4.1-mini'] },
      });
      sim.clearCalls();
      const body = chatBody({ messages: [{ role: 'user', content: prompt }] });
      expectEqual(
        (await callGateway(wallet.gateway, '/v1/chat/completions', open, { body })).status,
        200,
        'status of the measuring call',
      );
      await sim.idle();
      const reported = sim.calls[0]?.usage?.inputTokens ?? 0;
      expect(reported > 1, 'the provider reported no input tokens');
      const capped = await app.connect(clients.app, {
        details: {
          type: 'ai_allowance',
          providers: ['openai'],
          models: ['gpt-4.1-mini'],
          tokens: { max_input_per_request: reported - 1 },
        },
      });
      const response = await callGateway(wallet.gateway, '/v1/chat/completions', capped, { body });
      expectEqual(
        [response.status, errorCode(response)],
        [403, 'max_input_tokens_exceeded'],
        `the same prompt (${reported} reported input tokens) under a cap of ${reported - 1}`,
      );
    });
    await check('output-cap', async () => {
      const capped = await app.connect(clients.app, {
        details: {
          type: 'ai_allowance',
          providers: ['openai'],
          models: ['gpt-4.1-mini'],
          tokens: { max_output_per_request: 100 },
        },
      });
      const response = await callGateway(wallet.gateway, '/v1/chat/completions', capped, {
        body: chatBody({ max_tokens: 101 }),
      });
      expectEqual(
        [response.status, errorCode(response)],
        [403, 'max_output_tokens_exceeded'],
        'max_tokens 101 under a cap of 100',
      );
    });
    await check('worst-case-reserved', async () => {
      const connection = await app.connect(clients.app, {
        details: {
          type: 'ai_allowance',
          providers: ['openai'],
          models: ['gpt-4.1-mini'],
          budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
          tokens: { limits: [{ tokens: 1_000_000, period: 'day' }] },
        },
      });
      sim.setRules([{ provider: 'openai', latencyMs: 600 }]);
      try {
        const pending = callGateway(wallet.gateway, '/v1/chat/completions', connection, {
          body: chatBody({ max_tokens: 1000 }),
        });
        await new Promise((resolve) => setTimeout(resolve, 300));
        const during = await callGateway(wallet.gateway, '/v1/allowance', connection);
        expectEqual((await pending).status, 200, 'status of the slow call');
        const reserved = parseMoney(String(member(during.json, 'budget', 0, 'reserved'))) ?? 0n;
        const outputWorstCase =
          (1000n * (DEFAULT_PRICES['openai/gpt-4.1-mini']?.output ?? 0n) + 999_999n) / 1_000_000n;
        expect(
          reserved >= outputWorstCase,
          `reserved ${String(member(during.json, 'budget', 0, 'reserved'))} is less than the worst-case output cost`,
        );
        const tokens = Number(member(during.json, 'tokens', 0, 'reserved'));
        expect(tokens > 1000, `reserved tokens ${tokens} do not cover input + max_tokens 1000`);
      } finally {
        sim.setRules([]);
      }
    });
    await check('unpriced', async () => {
      const connection = await app.connect(clients.app, {
        details: {
          type: 'ai_allowance',
          providers: ['openai'],
          models: ['gpt-4.1-mini', 'openai/conformance-unpriced-model'],
          budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
        },
      });
      sim.clearCalls();
      const response = await callGateway(wallet.gateway, '/v1/chat/completions', connection, {
        body: chatBody({ model: 'openai/conformance-unpriced-model' }),
      });
      expectEqual([response.status, errorCode(response)], [403, 'model_unpriced'], 'status and code');
      expectEqual(sim.calls.length, 0, 'provider calls');
    });
  },
});
