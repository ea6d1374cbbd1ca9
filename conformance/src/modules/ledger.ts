import type { SimulatedCall } from '@allowance/provider-sim';
import { defineModule } from '../model/module.js';
import { expect, expectEqual, skip } from '../runner/check-failure.js';
import { noteDerivation } from '../runner/derivation.js';
import { callGateway, chatBody, finalStreamComment } from '../wire/gateway-call.js';
import { member } from '../wire/http.js';
import { formatMoney, parseMoney } from '../wire/money.js';
import { currentPeriod } from '../wire/periods.js';
import { usageRecord } from './metering.js';

/** The fields of spec §6.6's table, which every ledger row holds at least. */
const LEDGER_FIELDS = [
  'id',
  'started_at',
  'finished_at',
  'user',
  'grant_id',
  'client_id',
  'provider',
  'model',
  'endpoint',
  'stream',
  'status',
  'input_tokens',
  'cached_input_tokens',
  'cache_write_tokens',
  'output_tokens',
  'cost',
  'reserved',
  'period_keys',
  'latency_ms',
  'first_byte_ms',
  'upstream_request_id',
  'client_address',
];

/** The ledger (Part 6 §6.6), read through the driver (the operator interface's ledger rows). */
export const ledgerModule = defineModule({
  name: 'ledger',
  plan: 'core',
  kind: 'driver',
  summary: 'One ledger row per forwarded call, with the fields of the table, summing to spent',
  checks: {
    'one-row-per-call': {
      requirements: ['MTR-27'],
      summary:
        'after three forwarded calls and one refused before forwarding, the grant has three rows whose costs sum to the period spent',
    },
    fields: {
      requirements: ['MTR-27'],
      summary:
        "each row holds every field of spec §6.6's table with the values of its call: the provider's request id and usage, the billed cost, grant, client, provider, model, stream flag, status, period key and times; JSON, streamed and Anthropic calls",
    },
    'actual-usage-recorded': {
      requirements: ['MTR-25'],
      summary:
        'a call whose reported usage exceeds its reservation is recorded with the usage the provider reported',
    },
  },
  async run({ check, app, clients, wallet, sim, driver }) {
    const connection = await app.connect(clients.app, {
      details: {
        type: 'ai_allowance',
        providers: ['openai'],
        models: ['gpt-4.1-mini'],
        budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
      },
    });
    const call = (body: Record<string, unknown>) =>
      callGateway(wallet.gateway, '/v1/chat/completions', connection, { body: chatBody(body) });
    await check('one-row-per-call', async () => {
      if (!driver.ledger) skip('the consent driver cannot read the ledger');
      const statuses = [
        (await call({})).status,
        (await call({ stream: true })).status,
        (await call({ model: 'gpt-4.1-nano' })).status,
        (await call({ max_tokens: 3 })).status,
      ];
      expectEqual(statuses, [200, 200, 403, 200], 'statuses (the third names a model outside the grant)');
      const rows = await driver.ledger(connection.grantId);
      expectEqual(rows.length, 3, 'ledger rows of the grant');
      const allowance = await callGateway(wallet.gateway, '/v1/allowance', connection);
      const spent = parseMoney(String(member(allowance.json, 'budget', 0, 'spent') ?? ''));
      const sum = rows.reduce((total, row) => total + BigInt(Number(row.cost ?? 0)), 0n);
      expectEqual(sum, spent, 'sum of the rows cost (micros) against spent');
    });
    await check('fields', async () => {
      if (!driver.ledger) skip('the consent driver cannot read the ledger');
      // Values, not presence: each row must hold what the provider sent and what the app was
      // billed, on a JSON call, a stream, and an Anthropic call with cache reads and writes.
      const both = await app.connect(clients.app, {
        details: {
          type: 'ai_allowance',
          providers: ['openai', 'anthropic'],
          models: ['gpt-4.1-mini', 'claude-haiku-4-5'],
          budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
        },
      });
      const calls: { path: string; body: Record<string, unknown>; stream: boolean }[] = [
        { path: '/v1/chat/completions', body: chatBody(), stream: false },
        { path: '/v1/chat/completions', body: chatBody({ stream: true }), stream: true },
        {
          path: '/v1/messages',
          body: { model: 'claude-haiku-4-5', max_tokens: 40, messages: [{ role: 'user', content: 'Hi' }] },
          stream: false,
        },
      ];
      const started = Date.now();
      const observed: { call: SimulatedCall; cost: string; stream: boolean; path: string }[] = [];
      try {
        for (const { path, body, stream } of calls) {
          // The stream is paced (17 tokens at 50 a second, about 340 ms), so that its total time
          // and its time to first byte differ by that much.
          sim.setRules([
            {
              provider: 'openai',
              cachedInputTokens: 4,
              responseTokens: 17,
              ...(stream && { tokensPerSecond: 50 }),
            },
            { provider: 'anthropic', cachedInputTokens: 3, cacheWriteInputTokens: 2, responseTokens: 19 },
          ]);
          sim.clearCalls();
          const response = await callGateway(wallet.gateway, path, both, { body });
          expectEqual(response.status, 200, `status of the ${path} call (stream ${stream})`);
          await sim.idle();
          const cost = stream
            ? finalStreamComment(response.text)?.cost
            : response.headers.get('allowance-cost');
          observed.push({ call: sim.calls[0] as SimulatedCall, cost: cost ?? '', stream, path });
        }
      } finally {
        sim.setRules([]);
      }
      const finished = Date.now();
      const rows = [...(await driver.ledger(both.grantId))].sort(
        (a, b) => Date.parse(String(a.started_at)) - Date.parse(String(b.started_at)),
      );
      expectEqual(rows.length, calls.length, 'ledger rows of the grant');
      const missing = LEDGER_FIELDS.filter((field) => rows.some((row) => !(field in row)));
      expectEqual(missing, [], 'fields missing from the ledger rows');
      const timeZone = String(member(wallet.metadata, 'allowance', 'time_zone'));
      for (const [index, row] of rows.entries()) {
        const seen = observed[index];
        if (!seen) break;
        const what = `the row of the ${seen.path} call (stream ${seen.stream})`;
        const usage = usageRecord(seen.call);
        noteDerivation(
          what,
          `the provider sent request id ${seen.call.id} and usage ${JSON.stringify(usage)}; the app was billed ${seen.cost}`,
        );
        expectEqual(
          [row.grant_id, row.client_id, row.provider, row.model, row.stream, row.status],
          [both.grantId, clients.app.client_id, seen.call.provider, seen.call.model, seen.stream, 'ok'],
          `${what}: grant_id, client_id, provider, model, stream, status`,
        );
        expectEqual(
          [row.input_tokens, row.cached_input_tokens, row.cache_write_tokens, row.output_tokens].map(Number),
          [usage.input, usage.cachedInput, usage.cacheWrite, usage.output],
          `${what}: input, cached input, cache write and output tokens`,
        );
        expectEqual(
          formatMoney(BigInt(Number(row.cost))),
          seen.cost,
          `${what}: cost against the billed cost`,
        );
        expectEqual(
          row.upstream_request_id,
          seen.call.id,
          `${what}: upstream_request_id (the provider's request id)`,
        );
        const reserved = row.reserved as { micros?: unknown } | undefined;
        expect(
          Number(reserved?.micros) >= Number(row.cost),
          `${what}: reserved ${String(reserved?.micros)} micros is less than the cost ${String(row.cost)}`,
        );
        const [start, end] = [Date.parse(String(row.started_at)), Date.parse(String(row.finished_at))];
        expect(
          started - 1_000 <= start && start <= end && end <= finished + 1_000,
          `${what}: started_at ${String(row.started_at)} and finished_at ${String(row.finished_at)} are not within the call`,
        );
        expect(
          Number(row.first_byte_ms) <= Number(row.latency_ms) &&
            Number(row.latency_ms) <= finished - started + 1_000,
          `${what}: first_byte_ms ${String(row.first_byte_ms)} and latency_ms ${String(row.latency_ms)} do not fit the call`,
        );
        if (seen.stream)
          expect(
            Number(row.latency_ms) - Number(row.first_byte_ms) >= 200,
            `${what}: latency_ms ${String(row.latency_ms)} is not the total time of a stream paced over about 340 ms after its first byte (${String(row.first_byte_ms)} ms)`,
          );
        const day = currentPeriod('day', start, timeZone).key;
        expect(
          Array.isArray(row.period_keys) && row.period_keys.includes(day),
          `${what}: period_keys ${JSON.stringify(row.period_keys)} lack ${day}`,
        );
      }
    });
    await check('actual-usage-recorded', async () => {
      if (!driver.ledger) skip('the consent driver cannot read the ledger');
      const over = await app.connect(clients.app, {
        details: { type: 'ai_allowance', providers: ['openai'], models: ['gpt-4.1-mini'] },
      });
      try {
        sim.setRules([{ provider: 'openai', responseTokens: 300, ignoreMaxTokens: true }]);
        const response = await callGateway(wallet.gateway, '/v1/chat/completions', over, {
          body: chatBody({ max_tokens: 5 }),
        });
        expectEqual(response.status, 200, 'status');
      } finally {
        sim.setRules([]);
      }
      const rows = await driver.ledger(over.grantId);
      expectEqual(
        rows.map((row) => row.output_tokens),
        [300],
        'output tokens recorded for the call (the provider reported 300)',
      );
    });
  },
});
