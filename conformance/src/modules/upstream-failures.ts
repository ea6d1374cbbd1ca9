import type { SimulationRule } from '@allowance/provider-sim';
import { defineModule } from '../model/module.js';
import { expect, expectEqual, skip } from '../runner/check-failure.js';
import { callGateway, chatBody, errorCode, finalStreamComment } from '../wire/gateway-call.js';
import { type HttpResponse, member } from '../wire/http.js';
import { formatMoney, parseMoney } from '../wire/money.js';
import type { Connection } from '../wire/suite-app.js';

type Family = 'openai' | 'anthropic';

const request = (family: Family, stream: boolean): [string, Record<string, unknown>] =>
  family === 'openai'
    ? ['/v1/chat/completions', chatBody({ stream, max_tokens: 200 })]
    : [
        '/v1/messages',
        { model: 'claude-haiku-4-5', max_tokens: 200, stream, messages: [{ role: 'user', content: 'Hi' }] },
      ];

/**
 * Every row of the upstream-failure table of Part 5 §5.7.1 ([GW-21]), on both API families and,
 * for failures before any output, on streamed and non-streamed requests alike: what the app gets,
 * and that the budget shows nothing spent or held afterwards ([MTR-23]), or, for a stream cut
 * after output, what was produced ([MTR-22]). The row about refused addresses is the
 * `provider-urls` module's.
 */
export const upstreamFailuresModule = defineModule({
  name: 'upstream-failures',
  plan: 'core',
  kind: 'http',
  summary: 'Each provider failure of the GW-21 table gets its answer and its bill, on both families',
  checks: {
    'server-error': {
      requirements: ['GW-21', 'MTR-23'],
      summary:
        'a provider 500, 503 or 529 before any output becomes 502 upstream_error and bills nothing, streamed or not, on both families',
    },
    'connection-failure': {
      requirements: ['GW-21', 'MTR-23'],
      summary: 'a provider that drops the connection before answering: 502 upstream_error, nothing billed',
    },
    'credential-rejected': {
      requirements: ['GW-21', 'MTR-23'],
      summary: "a provider 401 or 403 (the user's key rejected) becomes 502 upstream_error and bills nothing",
    },
    'provider-rate-limit': {
      requirements: ['GW-21', 'MTR-23'],
      summary:
        "a provider 429 becomes 429 rate_limited carrying the provider's retry-after value, and bills nothing",
    },
    'client-error-relayed': {
      requirements: ['GW-21', 'MTR-23'],
      summary:
        "a provider 400 or 404 is relayed with the provider's status, error type and message, and bills nothing",
    },
    timeout: {
      requirements: ['GW-21', 'MTR-23'],
      summary:
        'a provider that never answers gets 504 upstream_timeout after the configured upstream timeout, nothing billed',
    },
    'cut-after-output': {
      requirements: ['GW-21', 'MTR-22'],
      summary:
        "a stream the provider cuts after some output ends with an error event in the family's format, then the cost comment; the cost is more than zero and below the reservation, and spent grew by it",
    },
  },
  async run({ check, app, clients, wallet, sim, config }) {
    const connection = await app.connect(clients.app, {
      details: {
        type: 'ai_allowance',
        providers: ['openai', 'anthropic'],
        models: ['gpt-4.1-mini', 'claude-haiku-4-5'],
        budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
      },
    });
    const budget = async () => {
      const document = await callGateway(wallet.gateway, '/v1/allowance', connection);
      return member(document.json, 'budget', 0) as Record<string, unknown>;
    };
    /** Calls with `rule` on the provider, for every family and stream flag, and checks the bill. */
    const each = async (
      rule: (family: Family) => SimulationRule,
      expectAnswer: (response: HttpResponse, family: Family, stream: boolean) => void,
      streams: readonly boolean[] = [false, true],
    ) => {
      for (const family of ['openai', 'anthropic'] as const) {
        for (const stream of streams) {
          const before = await budget();
          sim.setRules([rule(family)]);
          let response: HttpResponse;
          try {
            const [path, body] = request(family, stream);
            response = await callGateway(wallet.gateway, path, connection, { body });
            await sim.idle();
          } finally {
            sim.setRules([]);
          }
          expectAnswer(response, family, stream);
          const after = await budget();
          expectEqual(
            [after.spent, after.reserved],
            [before.spent, '0.00'],
            `spent and reserved after the failed ${family} call (stream ${stream})`,
          );
        }
      }
    };
    const gatewayError =
      (status: number, code: string) => (response: HttpResponse, family: Family, stream: boolean) =>
        expectEqual(
          [response.status, errorCode(response)],
          [status, code],
          `the gateway's answer on ${family} (stream ${stream})`,
        );

    await check('server-error', async () => {
      for (const status of [500, 503, 529] as const) {
        await each(
          (family) => ({ provider: family, fault: { status } }),
          gatewayError(502, 'upstream_error'),
        );
      }
    });
    await check('connection-failure', async () => {
      await each(
        (family) => ({ provider: family, dropAfterTokens: 0 }),
        gatewayError(502, 'upstream_error'),
        [false],
      );
    });
    await check('credential-rejected', async () => {
      for (const status of [401, 403] as const) {
        await each(
          (family) => ({ provider: family, fault: { status } }),
          gatewayError(502, 'upstream_error'),
        );
      }
    });
    await check('provider-rate-limit', async () => {
      await each(
        (family) => ({ provider: family, fault: { status: 429, retryAfterSeconds: 7 } }),
        (response, family, stream) => {
          gatewayError(429, 'rate_limited')(response, family, stream);
          expectEqual(
            response.headers.get('retry-after'),
            '7',
            `Retry-After on ${family} (stream ${stream})`,
          );
        },
      );
    });
    await check('client-error-relayed', async () => {
      for (const status of [400, 404] as const) {
        const message = `conformance relayed ${status} ${crypto.randomUUID()}`;
        await each(
          (family) => ({ provider: family, fault: { status, message } }),
          (response, family, stream) => {
            const what = `the relayed ${status} on ${family} (stream ${stream})`;
            expectEqual(response.status, status, `${what}: status`);
            expectEqual(member(response.json, 'error', 'message'), message, `${what}: error.message`);
            expectEqual(
              member(response.json, 'error', 'type'),
              sim.calls.at(-1)?.errorType,
              `${what}: error.type (as the provider sent it)`,
            );
          },
        );
      }
    });
    await check('timeout', async () => {
      const seconds = config.upstreamTimeoutSeconds;
      if (seconds === undefined) skip('the configuration gives no upstreamTimeoutSeconds for the wallet');
      await each((family) => ({ provider: family, hang: true }), gatewayError(504, 'upstream_timeout'), [
        false,
      ]);
    });
    await check('cut-after-output', async () => {
      for (const family of ['openai', 'anthropic'] as const) {
        const before = parseMoney(String((await budget()).spent)) ?? 0n;
        sim.setRules([{ provider: family, responseTokens: 100, dropAfterTokens: 5, tokensPerSecond: 200 }]);
        let response: HttpResponse;
        try {
          const [path, body] = request(family, true);
          response = await callGateway(wallet.gateway, path, connection, { body });
          await sim.idle();
        } finally {
          sim.setRules([]);
        }
        expectEqual(response.status, 200, `status of the ${family} stream (its headers were sent)`);
        expectCutStream(response.text, family);
        const comment = finalStreamComment(response.text);
        expect(comment, `the cut ${family} stream has no final cost comment`);
        const cost = parseMoney(comment.cost) ?? -1n;
        const spent = parseMoney(String((await budget()).spent)) ?? 0n;
        expectEqual(formatMoney(spent - before), comment.cost, `growth of spent by the cut ${family} stream`);
        expect(cost > 0n, `the cut ${family} stream billed ${comment.cost}, though output was delivered`);
        await expectBelowReservation(connection, cost, family);
      }
    });
  },
});

/** The stream ends with its family's error event, and the cost comment comes after it. */
function expectCutStream(text: string, family: Family): void {
  const comment = text.indexOf(': allowance-cost=');
  const errorEvent =
    family === 'openai'
      ? text.search(/^data: \{"error":/m)
      : text.search(/^event: error\r?\ndata: \{"type":"error","error":/m);
  expect(
    errorEvent !== -1,
    `the cut ${family} stream has no error event in the ${family} format: ${JSON.stringify(text.slice(-300))}`,
  );
  expect(comment > errorEvent, `the cost comment of the cut ${family} stream is not after its error event`);
}

/** What a call of 200 output tokens reserves at least: the cut one must cost less than that. */
async function expectBelowReservation(connection: Connection, cost: bigint, family: Family): Promise<void> {
  // 5 of 200 output tokens were written: billing the whole reservation is what MTR-22 forbids.
  const outputPrice = family === 'openai' ? 1_600_000n : 5_000_000n;
  const fullOutput = (200n * outputPrice) / 1_000_000n;
  expect(
    cost < fullOutput,
    `the cut ${family} stream (${connection.client.client_id}) billed ${formatMoney(cost)}, at least the whole output reservation of ${formatMoney(fullOutput)}`,
  );
}
