import { defineModule } from '../model/module.js';
import { expectEqual, skip } from '../runner/check-failure.js';
import { callGateway, chatBody } from '../wire/gateway-call.js';
import { member } from '../wire/http.js';
import { parseMoney } from '../wire/money.js';

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
      summary: "each row holds every field of spec §6.6's table",
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
      const rows = await driver.ledger(connection.grantId);
      expectEqual(rows.length > 0, true, 'the grant has ledger rows');
      const missing = LEDGER_FIELDS.filter((field) => rows.some((row) => !(field in row)));
      expectEqual(missing, [], 'fields missing from the ledger rows');
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
