import { defineModule } from '../model/module.js';
import { expect, expectEqual, skip } from '../runner/check-failure.js';
import { chatBody } from '../wire/gateway-call.js';
import { formatMoney } from '../wire/money.js';
import { callWatchingReservation } from '../wire/reserved-during.js';

/** Prices in effect at reservation time (Part 3 §3.14). */
export const pricesModule = defineModule({
  name: 'prices',
  plan: 'core',
  kind: 'driver',
  summary: 'Editing the price table never changes what a call already reserved is settled at',
  checks: {
    'reservation-price': {
      requirements: ['MTR-6'],
      summary:
        'a call during which the user raises the model price costs what the same call cost before; the next call costs the new price',
    },
  },
  async run({ check, app, clients, wallet, sim, driver }) {
    await check('reservation-price', async () => {
      if (!driver.setPrice) skip('the consent driver cannot edit prices');
      const connection = await app.connect(clients.app, {
        details: {
          type: 'ai_allowance',
          providers: ['openai'],
          models: ['gpt-4.1-mini'],
          budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
        },
      });
      const body = chatBody();
      const call = () => callWatchingReservation(wallet.gateway, connection, sim, body);
      try {
        sim.setRules([{ provider: 'openai', latencyMs: 100 }]);
        const before = await call();
        expectEqual(before.response.status, 200, 'status of the call before the edit');
        sim.setRules([{ provider: 'openai', latencyMs: 800 }]);
        sim.clearCalls();
        const during = callWatchingReservation(wallet.gateway, connection, sim, body);
        await waitForPendingCall(sim);
        await driver.setPrice('openai', 'gpt-4.1-mini', { input: '100', output: '100' });
        const edited = await during;
        sim.setRules([{ provider: 'openai', latencyMs: 100 }]);
        const after = await call();
        expectEqual([edited.response.status, after.response.status], [200, 200], 'statuses');
        expect(
          after.cost !== before.cost,
          `the call after the edit cost ${formatMoney(after.cost ?? 0n)} as before: the edit did not take effect`,
        );
        expectEqual(edited.cost, before.cost, 'cost of the call reserved before the price edit');
      } finally {
        sim.setRules([]);
        await driver.setPrice('openai', 'gpt-4.1-mini', null);
      }
    });
  },
});

/** Resolves once the simulator has a call in flight (the wallet has reserved and forwarded it). */
export async function waitForPendingCall(sim: {
  readonly calls: readonly { outcome: string }[];
}): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (sim.calls.some((call) => call.outcome === 'pending')) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the provider never received the call');
}
