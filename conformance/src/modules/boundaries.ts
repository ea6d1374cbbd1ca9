import type { ProviderSim } from '@allowance/provider-sim';
import { defineModule } from '../model/module.js';
import { expect, expectEqual } from '../runner/check-failure.js';
import { noteDerivation } from '../runner/derivation.js';
import { callGateway, chatBody, errorCode, type PresentedToken } from '../wire/gateway-call.js';
import { type HttpResponse, member } from '../wire/http.js';
import { formatMoney, isCanonicalMoney, parseMoney } from '../wire/money.js';
import type { SuiteApp, SuiteClient } from '../wire/suite-app.js';
import { expectedCost } from './metering.js';

const base = { type: 'ai_allowance', providers: ['openai'], models: ['gpt-4.1-mini'] };
const body = chatBody({ max_tokens: 300 });

/**
 * Limits exactly at their edge (Part 6 §6.4, §6.10): a wrong comparison (`>=` for `>`, a
 * rounding, an off-by-one) changes the answer only there, so each limit is tried at the call's
 * own worst case and one unit below it. The worst case is what the wallet itself announces for
 * the call (the confirmation's `estimated_max_cost`, the tokens it reserves), so the suite never
 * guesses the wallet's estimator.
 */
export const boundariesModule = defineModule({
  name: 'boundaries',
  plan: 'core',
  kind: 'http',
  summary: 'Budgets, token limits, caps and the confirmation threshold at exactly their edge',
  checks: {
    'budget-exactly-filled': {
      requirements: ['MTR-18', 'MTR-19'],
      summary:
        'a call whose worst-case cost equals the day budget to the micro-unit passes; with a budget one micro-unit smaller it gets 402 budget_exhausted and reaches no provider',
    },
    'budget-filled-after-spend': {
      requirements: ['MTR-18', 'MTR-19', 'MTR-20'],
      summary:
        'after calls that spent part of a budget, a call whose worst case equals what remains to the micro-unit passes, and one more micro-unit of worst case is refused',
    },
    'tokens-exactly-filled': {
      requirements: ['MTR-18', 'MTR-19'],
      summary:
        'a call whose reserved tokens equal the day token limit passes; with a limit one token smaller it gets 402 token_budget_exhausted',
    },
    'input-cap-exact': {
      requirements: ['MTR-15'],
      summary:
        'max_input_per_request equal to the input the wallet estimates (what it reserves beyond max_tokens) passes; one less gets 403 max_input_tokens_exceeded',
    },
    'worst-case-every-input-price': {
      requirements: ['MTR-16', 'MTR-13'],
      summary:
        'an Anthropic call whose whole input the provider reports as cache writes costs exactly its usage × price: the worst case priced input at the dearest input class',
    },
    'output-cap-exact': {
      requirements: ['MTR-15'],
      summary:
        'max_tokens equal to max_output_per_request passes; one more gets 403 max_output_tokens_exceeded',
    },
    'confirmation-threshold-exact': {
      requirements: ['MTR-29'],
      summary:
        'a call whose worst-case cost equals confirm_above passes without confirmation; with the threshold one micro-unit lower it needs one',
    },
  },
  async run({ check, app, clients, wallet, sim }) {
    const call = (token: PresentedToken, request: Record<string, unknown> = body) =>
      callGateway(wallet.gateway, '/v1/chat/completions', token, { body: request });
    /** The call's worst-case cost as the wallet announces it: confirmation above the smallest amount. */
    const worstCase = async (request: Record<string, unknown> = body): Promise<bigint> => {
      const probe = await app.connect(clients.app, {
        details: {
          ...base,
          budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
          confirm_above: { amount: '0.000001' },
        },
      });
      const response = await call(probe, request);
      expectEqual(errorCode(response), 'confirmation_required', 'code of the probe above a tiny threshold');
      const estimate = member(response.json, 'error', 'confirmation', 'estimated_max_cost');
      expect(isCanonicalMoney(estimate), `estimated_max_cost is ${String(estimate)}`);
      noteDerivation('worst case', `estimated_max_cost announced for the call: ${estimate}`);
      return parseMoney(estimate) ?? 0n;
    };
    await check('budget-exactly-filled', async () => {
      const worst = await worstCase();
      const exact = await connectWithBudget(app, clients.app, worst);
      expectEqual((await call(exact)).status, 200, `status with a budget of exactly ${formatMoney(worst)}`);
      const short = await connectWithBudget(app, clients.app, worst - 1n);
      sim.clearCalls();
      const refused = await call(short);
      expectRefused(refused, 402, 'budget_exhausted', `with a budget of ${formatMoney(worst - 1n)}`);
      await sim.idle();
      expectEqual(sim.calls.length, 0, 'provider calls of the refused call');
    });
    await check('budget-filled-after-spend', async () => {
      // A small call of known cost (the simulator writes a fixed answer), then the big call:
      // with a limit of exactly that cost plus the big call's worst case, the big call fits to
      // the micro-unit; with one micro-unit less it does not.
      const small = chatBody({ max_tokens: 20 });
      sim.setRules([{ provider: 'openai', responseTokens: 10 }]);
      try {
        const probe = await app.connect(clients.app, { details: base });
        const measured = await call(probe, small);
        const cost = parseMoney(measured.headers.get('allowance-cost') ?? '') ?? 0n;
        expect(cost > 0n, `the measuring call's Allowance-Cost is ${measured.headers.get('allowance-cost')}`);
        const worst = await worstCase();
        for (const slack of [0n, -1n]) {
          const limit = cost + worst + slack;
          noteDerivation(
            'limit',
            `${formatMoney(cost)} (the small call's cost) + ${formatMoney(worst)} (the big call's worst case)${slack ? ' - 0.000001' : ''} = ${formatMoney(limit)}`,
          );
          const connection = await connectWithBudget(app, clients.app, limit);
          const first = await call(connection, small);
          expectEqual(first.headers.get('allowance-cost'), formatMoney(cost), 'cost of the same small call');
          const document = await callGateway(wallet.gateway, '/v1/allowance', connection);
          expectEqual(
            member(document.json, 'budget', 0, 'remaining'),
            formatMoney(worst + slack),
            'remaining after the small call',
          );
          const big = await call(connection);
          if (slack === 0n)
            expectEqual(big.status, 200, `the big call with exactly ${formatMoney(worst)} left`);
          else
            expectRefused(big, 402, 'budget_exhausted', `the big call with ${formatMoney(worst - 1n)} left`);
        }
      } finally {
        sim.setRules([]);
      }
    });
    await check('tokens-exactly-filled', async () => {
      const reserved = await reservedTokens(app, clients.app, wallet.gateway, sim);
      noteDerivation('worst-case tokens', `tokens reserved while the call ran: ${reserved}`);
      const exact = await app.connect(clients.app, {
        details: { ...base, tokens: { limits: [{ tokens: reserved, period: 'day' }] } },
      });
      expectEqual((await call(exact)).status, 200, `status with a token limit of exactly ${reserved}`);
      const short = await app.connect(clients.app, {
        details: { ...base, tokens: { limits: [{ tokens: reserved - 1, period: 'day' }] } },
      });
      expectRefused(
        await call(short),
        402,
        'token_budget_exhausted',
        `with a token limit of ${reserved - 1}`,
      );
    });
    await check('input-cap-exact', async () => {
      // The wallet's input estimate is what it reserves beyond max_tokens: a cap of exactly that
      // passes, one token less is refused.
      const reserved = await reservedTokens(app, clients.app, wallet.gateway, sim);
      const estimate = reserved - 300;
      noteDerivation('input estimate', `${reserved} tokens reserved - 300 max_tokens = ${estimate}`);
      expect(estimate > 0, `the wallet reserved ${reserved} tokens for a call of max_tokens 300`);
      const exact = await app.connect(clients.app, {
        details: { ...base, tokens: { max_input_per_request: estimate } },
      });
      expectEqual(
        (await call(exact)).status,
        200,
        `status with max_input_per_request equal to the estimate ${estimate}`,
      );
      const short = await app.connect(clients.app, {
        details: { ...base, tokens: { max_input_per_request: estimate - 1 } },
      });
      expectRefused(
        await call(short),
        403,
        'max_input_tokens_exceeded',
        `with max_input_per_request ${estimate - 1}`,
      );
    });
    await check('worst-case-every-input-price', async () => {
      // A prompt of images, which both the wallet and the provider count at a fixed size, written
      // wholly to the prompt cache: the worst case must price input at the dearest input class
      // (cache writes), or the call's true cost exceeds its reservation and is cut to it.
      const image = {
        type: 'image',
        source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' },
      };
      const body = {
        model: 'claude-haiku-4-5',
        max_tokens: 1,
        messages: [{ role: 'user', content: [image, image, image, image, { type: 'text', text: 'Hi' }] }],
      };
      const connection = await app.connect(clients.app, {
        details: {
          type: 'ai_allowance',
          providers: ['anthropic'],
          models: ['claude-haiku-4-5'],
          budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
        },
      });
      sim.setRules([{ provider: 'anthropic', cacheWriteInputTokens: 1_000_000, responseTokens: 1 }]);
      try {
        sim.clearCalls();
        const response = await callGateway(wallet.gateway, '/v1/messages', connection, { body });
        expectEqual(response.status, 200, 'status');
        const expected = await expectedCost(sim);
        expectEqual(
          response.headers.get('allowance-cost'),
          expected,
          'Allowance-Cost of a call whose input was all cache writes (cut to a reservation priced too low?)',
        );
      } finally {
        sim.setRules([]);
      }
    });
    await check('output-cap-exact', async () => {
      const capped = await app.connect(clients.app, {
        details: { ...base, tokens: { max_output_per_request: 300 } },
      });
      expectEqual((await call(capped)).status, 200, 'status of max_tokens 300 under a cap of 300');
      expectRefused(
        await call(capped, chatBody({ max_tokens: 301 })),
        403,
        'max_output_tokens_exceeded',
        'max_tokens 301 under a cap of 300',
      );
    });
    await check('confirmation-threshold-exact', async () => {
      const worst = await worstCase();
      const at = await app.connect(clients.app, {
        details: {
          ...base,
          budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
          confirm_above: { amount: formatMoney(worst) },
        },
      });
      expectEqual(
        (await call(at)).status,
        200,
        `status with confirm_above equal to the worst case ${formatMoney(worst)}`,
      );
      const below = await app.connect(clients.app, {
        details: {
          ...base,
          budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
          confirm_above: { amount: formatMoney(worst - 1n) },
        },
      });
      expectRefused(
        await call(below),
        403,
        'confirmation_required',
        `with confirm_above ${formatMoney(worst - 1n)}`,
      );
    });
  },
});

function connectWithBudget(app: SuiteApp, client: SuiteClient, micros: bigint) {
  return app.connect(client, {
    details: {
      ...base,
      budget: { currency: 'USD', limits: [{ amount: formatMoney(micros), period: 'day' }] },
    },
  });
}

function expectRefused(response: HttpResponse, status: number, code: string, what: string): void {
  expectEqual([response.status, errorCode(response)], [status, code], what);
}

/** The tokens the wallet reserves for `body` under a token limit, read while a slow call runs. */
async function reservedTokens(
  app: SuiteApp,
  client: SuiteClient,
  gateway: string,
  sim: ProviderSim,
): Promise<number> {
  const connection = await app.connect(client, {
    details: { ...base, tokens: { limits: [{ tokens: 1_000_000, period: 'day' }] } },
  });
  sim.setRules([{ provider: 'openai', latencyMs: 500 }]);
  try {
    sim.clearCalls();
    const pending = callGateway(gateway, '/v1/chat/completions', connection, { body });
    let reserved = 0;
    while (reserved === 0) {
      await new Promise((resolve) => setTimeout(resolve, 40));
      if (!sim.calls.some((entry) => entry.outcome === 'pending')) continue;
      const document = await callGateway(gateway, '/v1/allowance', connection);
      reserved = Number(member(document.json, 'tokens', 0, 'reserved') ?? 0);
    }
    expectEqual((await pending).status, 200, 'status of the measuring call');
    return reserved;
  } finally {
    sim.setRules([]);
  }
}
