import { defineModule } from '../model/module.js';
import { expect, expectEqual } from '../runner/check-failure.js';
import { callGateway, chatBody, errorCode } from '../wire/gateway-call.js';
import { type HttpResponse, member } from '../wire/http.js';
import { costOf, DEFAULT_PRICES, formatMoney, parseMoney } from '../wire/money.js';
import { usageRecord } from './metering.js';

const LIMIT = '0.002';
const BURST = 40;
const OUTPUT = 200;

/**
 * Reservation under a concurrent burst (Part 6 §6.4, spec 8.4 "invariant under load"): a small
 * daily budget, slow streams of known size, many calls at once, and the allowance polled meanwhile.
 */
export const reservationModule = defineModule({
  name: 'reservation',
  plan: 'core',
  kind: 'http',
  summary: 'A concurrent burst never spends or reserves beyond the limit',
  checks: {
    'never-over-limit': {
      requirements: ['MTR-18', 'MTR-17'],
      summary:
        'spent + reserved never exceeds the limit while the burst runs, and the provider-side cost of all calls fits the limit',
    },
    'refused-with-402': {
      requirements: ['MTR-19'],
      summary:
        'the calls that do not fit are refused with 402 budget_exhausted before reaching the provider; some succeed',
    },
    'accounting-exact': {
      requirements: ['MTR-18', 'MTR-20', 'MTR-13'],
      summary:
        'final spent equals the sum of Allowance-Cost, equals the simulator-side cost, and nothing stays reserved',
    },
    'token-limit': {
      requirements: ['MTR-19'],
      summary:
        'a call whose worst-case tokens exceed a token limit is refused with 402 token_budget_exhausted',
    },
  },
  async run({ check, app, clients, wallet, sim }) {
    const connection = await app.connect(clients.app, {
      details: {
        type: 'ai_allowance',
        providers: ['openai'],
        models: ['gpt-4.1-mini'],
        budget: { currency: 'USD', limits: [{ amount: LIMIT, period: 'day' }] },
      },
    });
    const limit = parseMoney(LIMIT) ?? 0n;
    const violations: string[] = [];
    let responses: HttpResponse[] = [];
    sim.setRules([{ provider: 'openai', responseTokens: OUTPUT, tokensPerSecond: 2_000 }]);
    sim.clearCalls();
    try {
      let running = true;
      const poll = (async () => {
        while (running) {
          const document = await callGateway(wallet.gateway, '/v1/allowance', connection);
          const spent = parseMoney(String(member(document.json, 'budget', 0, 'spent'))) ?? 0n;
          const reserved = parseMoney(String(member(document.json, 'budget', 0, 'reserved'))) ?? 0n;
          if (spent + reserved > limit)
            violations.push(`spent ${formatMoney(spent)} + reserved ${formatMoney(reserved)} > ${LIMIT}`);
        }
      })();
      responses = await Promise.all(
        Array.from({ length: BURST }, () =>
          callGateway(wallet.gateway, '/v1/chat/completions', connection, {
            body: chatBody({ max_tokens: OUTPUT, stream: true }),
          }),
        ),
      );
      running = false;
      await poll;
      await sim.idle();
    } finally {
      sim.setRules([]);
    }
    const succeeded = responses.filter((response) => response.status === 200);
    const providerCost = sim.calls.reduce((sum, call) => {
      const price = DEFAULT_PRICES[`${call.provider}/${call.model}`];
      return price ? sum + costOf(usageRecord(call), price) : sum;
    }, 0n);
    await check('never-over-limit', async () => {
      expect(
        violations.length === 0,
        `the allowance showed more than the limit: ${violations.slice(0, 3).join('; ')}`,
      );
      expect(
        providerCost <= limit,
        `the provider did work costing ${formatMoney(providerCost)} against a limit of ${LIMIT} (${sim.calls.length} calls)`,
      );
    });
    await check('refused-with-402', async () => {
      const refused = responses.filter((response) => response.status !== 200);
      expect(succeeded.length > 0, 'no call of the burst succeeded');
      expect(refused.length > 0, 'no call of the burst was refused, though they cannot all fit');
      for (const response of refused)
        expectEqual([response.status, errorCode(response)], [402, 'budget_exhausted'], 'a refused call');
      expectEqual(
        sim.calls.length,
        succeeded.length,
        'calls the provider received (should equal the successes)',
      );
    });
    await check('accounting-exact', async () => {
      const comments = succeeded.map((response) => /^: allowance-cost=(\S+)/m.exec(response.text)?.[1]);
      expect(
        comments.every((cost) => cost !== undefined),
        'a successful stream has no cost comment',
      );
      const reported = comments.reduce((sum, cost) => sum + (parseMoney(cost ?? '') ?? 0n), 0n);
      const document = await callGateway(wallet.gateway, '/v1/allowance', connection);
      expectEqual(
        member(document.json, 'budget', 0, 'spent'),
        formatMoney(reported),
        'spent after the burst',
      );
      expectEqual(formatMoney(providerCost), formatMoney(reported), 'simulator-side cost of the burst');
      expectEqual(member(document.json, 'budget', 0, 'reserved'), '0.00', 'reserved after the burst');
    });
    await check('token-limit', async () => {
      const tokens = await app.connect(clients.app, {
        details: {
          type: 'ai_allowance',
          providers: ['openai'],
          models: ['gpt-4.1-mini'],
          tokens: { limits: [{ tokens: 100, period: 'day' }] },
        },
      });
      const response = await callGateway(wallet.gateway, '/v1/chat/completions', tokens, {
        body: chatBody({ max_tokens: 200 }),
      });
      expectEqual([response.status, errorCode(response)], [402, 'token_budget_exhausted'], 'status and code');
    });
  },
});
