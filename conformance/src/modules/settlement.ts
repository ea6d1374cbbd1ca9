import { defineModule } from '../model/module.js';
import { expect, expectEqual } from '../runner/check-failure.js';
import { recordExchange } from '../runner/exchange-log.js';
import { callGateway, chatBody, finalStreamComment } from '../wire/gateway-call.js';
import { member } from '../wire/http.js';
import { formatMoney, parseMoney } from '../wire/money.js';
import { callWatchingReservation } from '../wire/reserved-during.js';

const streamCost = (text: string) => parseMoney(finalStreamComment(text)?.cost ?? '');

async function spentOf(gateway: string, token: Parameters<typeof callGateway>[2]): Promise<bigint> {
  const allowance = await callGateway(gateway, '/v1/allowance', token);
  return parseMoney(String(member(allowance.json, 'budget', 0, 'spent'))) ?? 0n;
}

/** Settlement when the app goes away mid-stream (Part 6 §6.5, spec 8.4 "disconnect billing"). */
export const settlementModule = defineModule({
  name: 'settlement',
  plan: 'core',
  kind: 'http',
  summary: 'Abandoned streams, missing usage and usage beyond the reservation are billed as Part 6 says',
  checks: {
    'disconnect-billed': {
      requirements: ['MTR-22'],
      summary:
        'after reading a few chunks and closing, the provider call is aborted and spent grows by more than zero and by well under the reservation (what was produced, not the worst case)',
    },
    'no-usage-json': {
      requirements: ['MTR-24'],
      summary:
        'a JSON completion without usage is billed its delivered output (within a factor two of the same call with usage) and less than its reservation',
    },
    'no-usage-stream': {
      requirements: ['MTR-24'],
      summary:
        'a stream without a usage chunk is billed its delivered output (within a factor two of the same call with usage) and less than its reservation',
    },
    'usage-over-reservation': {
      requirements: ['MTR-25'],
      summary:
        'when the provider writes far past max_tokens, Allowance-Cost and spent grow by exactly what was reserved, not by the usage',
    },
  },
  async run({ check, app, clients, wallet, sim }) {
    const metered = await app.connect(clients.app, {
      details: {
        type: 'ai_allowance',
        providers: ['openai'],
        models: ['gpt-4.1-mini'],
        budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
      },
    });
    // 60 output tokens dominate the cost, so a count of the delivered text by any tokenizer lands
    // well within a factor of two of the usage the provider would have reported.
    for (const stream of [false, true]) {
      await check(stream ? 'no-usage-stream' : 'no-usage-json', async () => {
        try {
          const body = chatBody({
            max_tokens: 400,
            stream,
            ...(stream && { stream_options: { include_usage: true } }),
          });
          sim.setRules([{ provider: 'openai', responseTokens: 60, latencyMs: 150 }]);
          const withUsage = await callWatchingReservation(wallet.gateway, metered, sim, body);
          sim.setRules([{ provider: 'openai', responseTokens: 60, latencyMs: 150, omitUsage: true }]);
          const without = await callWatchingReservation(wallet.gateway, metered, sim, body);
          const shape = stream ? 'streamed' : 'JSON';
          expectEqual([withUsage.response.status, without.response.status], [200, 200], `${shape} statuses`);
          const cost = (stream ? streamCost(without.response.text) : without.cost) ?? -1n;
          const reference = (stream ? streamCost(withUsage.response.text) : withUsage.cost) ?? 0n;
          expect(
            cost * 2n >= reference,
            `a ${shape} call without usage cost ${formatMoney(cost)}; with usage the same 60 output tokens cost ${formatMoney(reference)}: the delivered output was not counted`,
          );
          expect(
            cost < without.reserved,
            `a ${shape} call without usage was billed ${formatMoney(cost)}, its whole reservation of ${formatMoney(without.reserved)}`,
          );
        } finally {
          sim.setRules([]);
        }
      });
    }
    await check('usage-over-reservation', async () => {
      try {
        sim.setRules([
          { provider: 'openai', responseTokens: 300, tokensPerSecond: 600, ignoreMaxTokens: true },
        ]);
        sim.clearCalls();
        const before = await spentOf(wallet.gateway, metered);
        const over = await callWatchingReservation(wallet.gateway, metered, sim, chatBody({ max_tokens: 5 }));
        expectEqual(over.response.status, 200, 'status');
        await sim.idle();
        expectEqual(sim.calls[0]?.usage?.outputTokens, 300, 'output tokens the provider reported');
        expect(over.reserved > 0n, 'nothing was seen reserved while the call ran');
        expectEqual(over.cost, over.reserved, 'Allowance-Cost against the reservation');
        expectEqual((await spentOf(wallet.gateway, metered)) - before, over.reserved, 'growth of spent');
      } finally {
        sim.setRules([]);
      }
    });
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
        // A few of 400 output tokens were produced: billing anything near the reservation (which
        // holds all 400) is billing what was never produced.
        const produced = sim.calls[0]?.outputTokens ?? 0;
        expect(
          billed * 2n < reserved,
          `billed ${formatMoney(billed)} for a stream abandoned after ${produced} of 400 output tokens, not well below the ${formatMoney(reserved)} reserved for all of them`,
        );
      } finally {
        sim.setRules([]);
      }
    });
  },
});
