import { defineModule } from '../model/module.js';
import { expect, expectEqual } from '../runner/check-failure.js';
import { recordExchange } from '../runner/exchange-log.js';
import { callGateway, chatBody } from '../wire/gateway-call.js';
import { member } from '../wire/http.js';
import { formatMoney, parseMoney } from '../wire/money.js';

/** Settlement when the app goes away mid-stream (Part 6 §6.5, spec 8.4 "disconnect billing"). */
export const settlementModule = defineModule({
  name: 'settlement',
  plan: 'core',
  kind: 'http',
  summary: 'A stream the app abandons is aborted upstream and billed for what was produced',
  checks: {
    'disconnect-billed': {
      requirements: ['MTR-22'],
      summary:
        'after reading a few chunks and closing, the provider call is aborted and spent grows by more than zero and at most the reservation',
    },
  },
  async run({ check, app, clients, wallet, sim }) {
    const connection = await app.connect(clients.app, {
      details: {
        type: 'ai_allowance',
        providers: ['openai'],
        models: ['gpt-4.1-mini'],
        budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
      },
    });
    const spentNow = async () =>
      parseMoney(
        String(
          member((await callGateway(wallet.gateway, '/v1/allowance', connection)).json, 'budget', 0, 'spent'),
        ),
      ) ?? 0n;
    await check('disconnect-billed', async () => {
      sim.setRules([{ provider: 'openai', responseTokens: 400, tokensPerSecond: 40 }]);
      sim.clearCalls();
      try {
        const before = await spentNow();
        const controller = new AbortController();
        const url = `${wallet.gateway}/v1/chat/completions`;
        const response = await fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${connection.accessToken}`, 'content-type': 'application/json' },
          body: JSON.stringify(chatBody({ max_tokens: 400, stream: true })),
          signal: controller.signal,
        });
        expectEqual(response.status, 200, 'status of the stream');
        const reader = response.body?.getReader();
        let received = '';
        while (reader && (received.match(/\ndata: /g) ?? []).length < 3) {
          const { value, done } = await reader.read();
          if (done) break;
          received += new TextDecoder().decode(value);
        }
        const during = await callGateway(wallet.gateway, '/v1/allowance', connection);
        const reserved = parseMoney(String(member(during.json, 'budget', 0, 'reserved'))) ?? 0n;
        controller.abort();
        recordExchange({
          method: 'POST',
          url,
          requestHeaders: {},
          status: 200,
          responseHeaders: {},
          responseBody: `${received}\n[the suite closed the connection here]`,
        });
        await sim.idle();
        expectEqual(sim.calls[0]?.outcome, 'aborted', 'outcome of the provider call');
        let spent = before;
        for (let attempt = 0; attempt < 20 && spent === before; attempt += 1) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          spent = await spentNow();
        }
        const billed = spent - before;
        expect(billed > 0n, 'nothing was billed for the abandoned stream');
        expect(
          billed <= reserved,
          `billed ${formatMoney(billed)} is more than the ${formatMoney(reserved)} reserved for the call`,
        );
      } finally {
        sim.setRules([]);
      }
    });
  },
});
