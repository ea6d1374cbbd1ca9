import { defineModule } from '../model/module.js';
import { expect, expectEqual } from '../runner/check-failure.js';
import { noteDerivation } from '../runner/derivation.js';
import { callGateway, chatBody, errorCode } from '../wire/gateway-call.js';
import { member } from '../wire/http.js';
import { DEFAULT_PRICES, parseMoney } from '../wire/money.js';
import { waitForPendingCall } from './prices.js';

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
        'with max_input_per_request one below the input the provider reports, the request is refused: a plain prompt, tools, images, system and earlier turns, Anthropic system blocks, tools and images',
    },
    'choices-reserved': {
      requirements: ['MTR-16', 'MTR-17'],
      summary:
        'a chat completion with n = 3 reserves three choices of output: refused under a token limit that holds one, while n = 1 passes',
    },
    'output-cap-applied': {
      requirements: ['GW-16', 'MTR-15', 'MTR-16'],
      summary:
        'a call without max_tokens under max_output_per_request 50 reserves input + 50 tokens and reaches the provider capped at 50 output tokens, streamed or not',
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
      // Each part of a request the provider bills as input, alone: a wallet whose estimate skips
      // one of them lets that request under a cap it exceeds.
      const tool = {
        type: 'function',
        function: {
          name: 'lookup_weather',
          description: 'Looks up the weather for a city. '.repeat(12),
          parameters: { type: 'object', properties: { city: { type: 'string', description: 'City name' } } },
        },
      };
      const image = { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } };
      const cases: [string, string, Record<string, unknown>][] = [
        [
          'a plain prompt',
          '/v1/chat/completions',
          chatBody({ messages: [{ role: 'user', content: prompt }] }),
        ],
        [
          'tools',
          '/v1/chat/completions',
          chatBody({ tools: [tool, tool], messages: [{ role: 'user', content: 'Hi' }] }),
        ],
        [
          'an image',
          '/v1/chat/completions',
          chatBody({
            messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, image, image] }],
          }),
        ],
        [
          'system and earlier turns',
          '/v1/chat/completions',
          chatBody({
            messages: [
              { role: 'system', content: prompt },
              { role: 'user', content: 'Hi' },
              { role: 'assistant', content: prompt },
              { role: 'user', content: 'Again' },
            ],
          }),
        ],
        [
          'Anthropic system blocks',
          '/v1/messages',
          {
            model: 'claude-haiku-4-5',
            max_tokens: 40,
            system: [
              { type: 'text', text: prompt },
              { type: 'text', text: prompt },
            ],
            messages: [{ role: 'user', content: 'Hi' }],
          },
        ],
        [
          'Anthropic tools',
          '/v1/messages',
          {
            model: 'claude-haiku-4-5',
            max_tokens: 40,
            tools: [{ name: 'lookup', description: prompt, input_schema: { type: 'object' } }],
            messages: [{ role: 'user', content: 'Hi' }],
          },
        ],
        [
          'Anthropic images',
          '/v1/messages',
          {
            model: 'claude-haiku-4-5',
            max_tokens: 40,
            messages: [
              {
                role: 'user',
                content: [
                  { type: 'text', text: 'What is this?' },
                  {
                    type: 'image',
                    source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' },
                  },
                  {
                    type: 'image',
                    source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' },
                  },
                ],
              },
            ],
          },
        ],
      ];
      const details = {
        type: 'ai_allowance',
        providers: ['openai', 'anthropic'],
        models: ['gpt-4.1-mini', 'claude-haiku-4-5'],
      };
      const open = await app.connect(clients.app, { details });
      for (const [what, path, body] of cases) {
        sim.clearCalls();
        const measured = await callGateway(wallet.gateway, path, open, { body });
        expectEqual(measured.status, 200, `status of the measuring call with ${what}`);
        await sim.idle();
        const usage = sim.calls[0]?.usage;
        const reported =
          (usage?.inputTokens ?? 0) +
          (sim.calls[0]?.family === 'anthropic' ? (usage?.cachedInputTokens ?? 0) : 0);
        expect(reported > 1, `the provider reported no input tokens for ${what}`);
        noteDerivation(
          `input of the call with ${what}`,
          `the provider reported ${reported} input tokens; the cap is one less`,
        );
        const capped = await app.connect(clients.app, {
          details: { ...details, tokens: { max_input_per_request: reported - 1 } },
        });
        const response = await callGateway(wallet.gateway, path, capped, { body });
        expectEqual(
          [response.status, errorCode(response)],
          [403, 'max_input_tokens_exceeded'],
          `the same request with ${what} (${reported} reported input tokens) under a cap of ${reported - 1}`,
        );
      }
    });
    await check('choices-reserved', async () => {
      // n choices write up to n × max_tokens: a token limit that holds one choice's worst case
      // but not three refuses n = 3 and lets n = 1 through.
      const measuring = await app.connect(clients.app, {
        details: { type: 'ai_allowance', providers: ['openai'], models: ['gpt-4.1-mini'] },
      });
      sim.clearCalls();
      expectEqual(
        (
          await callGateway(wallet.gateway, '/v1/chat/completions', measuring, {
            body: chatBody({ max_tokens: 100 }),
          })
        ).status,
        200,
        'status of the measuring call',
      );
      await sim.idle();
      const input = sim.calls[0]?.usage?.inputTokens ?? 0;
      const limit = input * 4 + 150;
      noteDerivation(
        'token limit',
        `${input} reported input tokens × 4 + 150 = ${limit}: room for one choice of 100, not three`,
      );
      const limited = await app.connect(clients.app, {
        details: {
          type: 'ai_allowance',
          providers: ['openai'],
          models: ['gpt-4.1-mini'],
          tokens: { limits: [{ tokens: limit, period: 'day' }] },
        },
      });
      const three = await callGateway(wallet.gateway, '/v1/chat/completions', limited, {
        body: chatBody({ max_tokens: 100, n: 3 }),
      });
      expectEqual(
        [three.status, errorCode(three)],
        [402, 'token_budget_exhausted'],
        'n = 3 with room for one choice',
      );
      const one = await callGateway(wallet.gateway, '/v1/chat/completions', limited, {
        body: chatBody({ max_tokens: 100, n: 1 }),
      });
      expectEqual(one.status, 200, 'n = 1 under the same limit');
    });
    await check('output-cap-applied', async () => {
      // A call without max_tokens under max_output_per_request: the wallet must reserve for, and
      // send the provider, the grant's cap, not its own default, streamed or not ([GW-16]).
      const capped = await app.connect(clients.app, {
        details: {
          type: 'ai_allowance',
          providers: ['openai', 'anthropic'],
          models: ['gpt-4.1-mini'],
          tokens: { max_output_per_request: 50, limits: [{ tokens: 1_000_000, period: 'day' }] },
        },
      });
      for (const stream of [false, true]) {
        sim.setRules([{ provider: 'openai', responseTokens: 3_000, latencyMs: 400 }]);
        try {
          sim.clearCalls();
          const body = {
            model: 'gpt-4.1-mini',
            stream,
            messages: [{ role: 'user', content: 'Write at length.' }],
          };
          const pending = callGateway(wallet.gateway, '/v1/chat/completions', capped, { body });
          await waitForPendingCall(sim);
          const during = await callGateway(wallet.gateway, '/v1/allowance', capped);
          const reserved = Number(member(during.json, 'tokens', 0, 'reserved'));
          expectEqual((await pending).status, 200, `status (stream ${stream})`);
          await sim.idle();
          const input = sim.calls[0]?.usage?.inputTokens ?? 0;
          noteDerivation(
            `tokens reserved (stream ${stream})`,
            `${reserved} reserved; the provider counted ${input} input tokens; the grant's output cap is 50`,
          );
          expect(
            reserved >= 50 && reserved <= input * 4 + 50 + 16,
            `${reserved} tokens reserved for a call without max_tokens under an output cap of 50 (stream ${stream}), input ${input}: the reservation is not input + the grant's cap`,
          );
          const written = sim.calls[0]?.outputTokens ?? 0;
          expect(
            written <= 50,
            `the provider wrote ${written} output tokens for a call without max_tokens under an output cap of 50 (stream ${stream}): the cap was not sent`,
          );
        } finally {
          sim.setRules([]);
        }
      }
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
