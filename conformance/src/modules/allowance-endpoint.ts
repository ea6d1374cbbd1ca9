import { defineModule } from '../model/module.js';
import { expect, expectEqual } from '../runner/check-failure.js';
import { noteDerivation } from '../runner/derivation.js';
import { callGateway, chatBody } from '../wire/gateway-call.js';
import { type HttpResponse, member } from '../wire/http.js';
import { formatMoney, isCanonicalMoney, parseMoney } from '../wire/money.js';
import { type CalendarPeriod, currentPeriod, sameInstant, zoneWithAnotherDate } from '../wire/periods.js';
import { waitForPendingCall } from './prices.js';

const details = {
  type: 'ai_allowance',
  providers: ['openai'],
  models: ['gpt-4.1-mini'],
  budget: {
    currency: 'USD',
    limits: [
      { amount: '3.00', period: 'month' },
      { amount: '1.00', period: 'day' },
    ],
  },
  tokens: { max_output_per_request: 500, limits: [{ tokens: 100_000, period: 'day' }] },
  scopes: ['document:read'],
};

/** `GET /v1/allowance` (Part 5 §5.12). */
export const allowanceEndpointModule = defineModule({
  name: 'allowance-endpoint',
  plan: 'core',
  kind: 'http',
  summary: 'The allowance document: members, periods, remaining, and settled calls',
  checks: {
    shape: {
      requirements: ['MTR-9'],
      summary: 'every member with its type; budget and tokens entries in limit order; canonical money',
    },
    periods: {
      requirements: ['MTR-10', 'MTR-3', 'MTR-7'],
      summary:
        'in a wallet time zone whose date differs from UTC’s now, chosen at run time, period_key, period_start and period_end of day, ISO week, month and year are the current periods of that zone; with a call in flight, remaining = max(0, limit - spent - reserved) for money and tokens, and the Allowance-Remaining of a call finished meanwhile counts that reservation',
    },
    'settled-included': {
      requirements: ['MTR-11'],
      summary:
        'right after a call, spent grew by exactly its Allowance-Cost, used by its tokens, and reserved is back to zero',
    },
  },
  async run({ check, app, clients, wallet, sim, driver }) {
    const connection = await app.connect(clients.app, { details });
    const read = async () => {
      const response = await callGateway(wallet.gateway, '/v1/allowance', connection);
      expectEqual(response.status, 200, 'status of /v1/allowance');
      return response.json as Record<string, unknown>;
    };
    const document = await read();
    const budget = (document.budget ?? []) as Record<string, unknown>[];
    await check('shape', async () => {
      expectEqual(document.object, 'allowance', 'object');
      expectEqual(document.grant_id, connection.grantId, 'grant_id');
      expectEqual(document.client_id, clients.app.client_id, 'client_id');
      expectEqual(document.status, 'active', 'status');
      expectEqual(document.currency, member(wallet.metadata, 'allowance', 'currency'), 'currency');
      expectEqual(document.providers, ['openai'], 'providers');
      expectEqual(document.models, ['gpt-4.1-mini'], 'models');
      expectEqual(document.scopes, ['document:read'], 'scopes');
      expectEqual(document.retention, 'provider_default', 'retention');
      expect(typeof document.expires_at === 'string', 'expires_at');
      expectEqual(document.max_output_per_request, 500, 'max_output_per_request');
      expectEqual(document.max_input_per_request, null, 'max_input_per_request');
      expectEqual(document.requests_per_minute, null, 'requests_per_minute');
      expectEqual(document.confirm_above, null, 'confirm_above');
      expectEqual(
        budget.map((entry) => entry.period),
        ['month', 'day'],
        'budget periods in limit order',
      );
      for (const entry of budget) {
        for (const name of ['limit', 'spent', 'reserved', 'remaining']) {
          expect(
            isCanonicalMoney(entry[name]),
            `budget ${String(entry.period)} ${name} is not canonical money: ${String(entry[name])}`,
          );
        }
      }
      const tokens = (document.tokens ?? []) as Record<string, unknown>[];
      expectEqual(
        tokens.map((entry) => [entry.period, entry.limit]),
        [['day', 100_000]],
        'token entries',
      );
      for (const name of ['used', 'reserved', 'remaining'])
        expect(Number.isInteger(tokens[0]?.[name]), `tokens ${name} is not an integer`);
    });
    await check('periods', async () => {
      // In a zone whose calendar date differs from UTC's right now (chosen at run time), so that
      // periods computed in UTC or in the server's zone fail at whatever hour the suite runs.
      const far = zoneWithAnotherDate(Date.now());
      const original = driver.setTimeZone ? await driver.setTimeZone(far) : undefined;
      try {
        // The zone the owner set; without a driver that can set one, the zone the wallet publishes.
        const timeZone =
          original === undefined ? String(member(wallet.metadata, 'allowance', 'time_zone')) : far;
        const periodic = await app.connect(clients.app, {
          details: {
            type: 'ai_allowance',
            providers: ['openai'],
            models: ['gpt-4.1-mini', 'gpt-4.1-nano'],
            budget: {
              currency: 'USD',
              limits: (['day', 'week', 'month', 'year'] as const).map((period, index) => ({
                amount: `${index + 1}.00`,
                period,
              })),
            },
            tokens: { limits: [{ tokens: 1_000_000, period: 'day' }] },
          },
        });
        // Read while a slow call is in flight, so that remaining is seen with something reserved;
        // a fast call on another model finishes meanwhile, and its Allowance-Remaining must count
        // the slow call's reservation too ([MTR-7]).
        sim.setRules([{ provider: 'openai', model: 'gpt-4.1-mini', latencyMs: 1_500 }]);
        let during: Record<string, unknown>[] = [];
        let tokensDuring: Record<string, unknown>[] = [];
        let fast: HttpResponse | undefined;
        try {
          sim.clearCalls();
          const pending = callGateway(wallet.gateway, '/v1/chat/completions', periodic, { body: chatBody() });
          await waitForPendingCall(sim);
          const response = await callGateway(wallet.gateway, '/v1/allowance', periodic);
          during = (member(response.json, 'budget') ?? []) as Record<string, unknown>[];
          tokensDuring = (member(response.json, 'tokens') ?? []) as Record<string, unknown>[];
          fast = await callGateway(wallet.gateway, '/v1/chat/completions', periodic, {
            body: chatBody({ model: 'gpt-4.1-nano' }),
          });
          expect(
            sim.calls.some((call) => call.model === 'gpt-4.1-mini' && call.outcome === 'pending'),
            'the slow call ended before the fast one: no reservation was held meanwhile',
          );
          expectEqual((await pending).status, 200, 'status of the call in flight');
        } finally {
          sim.setRules([]);
        }
        expectEqual(fast.status, 200, 'status of the fast call made meanwhile');
        // The day limit (1.00) is the smallest: remaining after the fast call is its limit less
        // what was spent before, the fast call's cost, and the slow call's reservation.
        const day = during.find((entry) => entry.period === 'day') ?? {};
        const money = (value: unknown) => parseMoney(String(value)) ?? 0n;
        const fastCost = money(fast.headers.get('allowance-cost'));
        const remainingAfterFast = money(day.limit) - money(day.spent) - fastCost - money(day.reserved);
        noteDerivation(
          'Allowance-Remaining of the fast call',
          `${String(day.limit)} day limit - ${String(day.spent)} spent - ${formatMoney(fastCost)} (its cost) - ${String(day.reserved)} reserved by the slow call = ${formatMoney(remainingAfterFast)}`,
        );
        expectEqual(
          fast.headers.get('allowance-remaining'),
          formatMoney(remainingAfterFast),
          'Allowance-Remaining of a call finished while another held a reservation',
        );
        for (const entry of tokensDuring) {
          const reserved = Number(entry.reserved);
          expect(
            reserved > 0,
            `tokens ${String(entry.period)} shows nothing reserved while a call is in flight`,
          );
          const remaining = Number(entry.limit) - Number(entry.used) - reserved;
          noteDerivation(
            `tokens ${String(entry.period)} remaining`,
            `max(0, ${String(entry.limit)} - ${String(entry.used)} used - ${reserved} reserved)`,
          );
          expectEqual(entry.remaining, Math.max(0, remaining), `tokens ${String(entry.period)} remaining`);
        }
        expectEqual(tokensDuring.length, 1, 'token entries');
        expectEqual(
          during.map((entry) => entry.period),
          ['day', 'week', 'month', 'year'],
          'budget periods',
        );
        for (const entry of during) {
          const expected = currentPeriod(entry.period as CalendarPeriod, Date.now(), timeZone);
          noteDerivation(`${String(entry.period)} period in ${timeZone}`, JSON.stringify(expected));
          expectEqual(entry.period_key, expected.key, `${String(entry.period)} period_key in ${timeZone}`);
          expect(
            sameInstant(entry.period_start, expected.start),
            `${String(entry.period)} period_start ${String(entry.period_start)}, expected ${expected.start} in ${timeZone}`,
          );
          expect(
            sameInstant(entry.period_end, expected.end),
            `${String(entry.period)} period_end ${String(entry.period_end)}, expected ${expected.end} in ${timeZone}`,
          );
          const reserved = parseMoney(String(entry.reserved)) ?? 0n;
          expect(reserved > 0n, `${String(entry.period)} shows nothing reserved while a call is in flight`);
          const remaining =
            (parseMoney(String(entry.limit)) ?? 0n) - (parseMoney(String(entry.spent)) ?? 0n) - reserved;
          noteDerivation(
            `${String(entry.period)} remaining`,
            `max(0, ${String(entry.limit)} limit - ${String(entry.spent)} spent - ${String(entry.reserved)} reserved)`,
          );
          expectEqual(
            parseMoney(String(entry.remaining)),
            remaining > 0n ? remaining : 0n,
            `${String(entry.period)} remaining`,
          );
        }
      } finally {
        if (original !== undefined) await driver.setTimeZone?.(original);
      }
    });
    await check('settled-included', async () => {
      const before = await read();
      const call = await callGateway(wallet.gateway, '/v1/chat/completions', connection, {
        body: chatBody(),
      });
      expectEqual(call.status, 200, 'status of the call');
      const cost = parseMoney(call.headers.get('allowance-cost') ?? '');
      expect(cost !== undefined, 'the call has no Allowance-Cost');
      const usage = member(call.json, 'usage', 'total_tokens');
      const after = await read();
      const spent = (doc: Record<string, unknown>, index: number) =>
        parseMoney(String(member(doc, 'budget', index, 'spent'))) ?? -1n;
      for (const index of [0, 1]) {
        expectEqual(
          spent(after, index) - spent(before, index),
          cost,
          `growth of spent in budget entry ${index}`,
        );
        expectEqual(member(after, 'budget', index, 'reserved'), '0.00', `reserved in budget entry ${index}`);
      }
      const used = (doc: Record<string, unknown>) => Number(member(doc, 'tokens', 0, 'used'));
      expectEqual(used(after) - used(before), usage, 'growth of used tokens');
      expectEqual(member(after, 'tokens', 0, 'reserved'), 0, 'reserved tokens');
    });
  },
});
