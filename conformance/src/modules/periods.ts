import { defineModule } from '../model/module.js';
import { expectEqual, skip } from '../runner/check-failure.js';
import { callGateway, chatBody, type PresentedToken } from '../wire/gateway-call.js';
import { member } from '../wire/http.js';
import { parseMoney } from '../wire/money.js';
import { callWatchingReservation } from '../wire/reserved-during.js';
import { waitForPendingCall } from './prices.js';

// UTC+14 and UTC−12: at every instant their calendar days differ, so moving the wallet from one
// to the other while a call runs puts the call's end in another day period than its start.
const EARLY_ZONE = 'Pacific/Kiritimati';
const LATE_ZONE = 'Etc/GMT+12';

/** Periods a call is counted in (Part 3 §3.13). */
export const periodsModule = defineModule({
  name: 'periods',
  plan: 'core',
  kind: 'driver',
  summary: 'A call is counted, and settled, in the periods of the instant it was reserved',
  checks: {
    'settled-in-reservation-period': {
      requirements: ['MTR-4', 'MTR-35'],
      summary:
        'a call in flight while the wallet time zone moves from UTC+14 to UTC−12 is counted once in the day of the new zone that contains the instant it was reserved, and in the old zone’s day again when the zone moves back: days are the current zone’s, a call’s instant never moves',
    },
  },
  async run({ check, app, clients, wallet, sim, driver }) {
    await check('settled-in-reservation-period', async () => {
      if (!driver.setTimeZone) skip('the consent driver cannot change the wallet time zone');
      const connection = await app.connect(clients.app, {
        details: {
          type: 'ai_allowance',
          providers: ['openai'],
          models: ['gpt-4.1-mini'],
          budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
        },
      });
      const original = await driver.setTimeZone(EARLY_ZONE);
      try {
        sim.setRules([{ provider: 'openai', latencyMs: 800 }]);
        sim.clearCalls();
        const running = callWatchingReservation(wallet.gateway, connection, sim, chatBody());
        await waitForPendingCall(sim);
        await driver.setTimeZone(LATE_ZONE);
        const call = await running;
        expectEqual(call.response.status, 200, 'status of the call');
        const late = await dayCounters(wallet.gateway, connection);
        await driver.setTimeZone(EARLY_ZONE);
        const early = await dayCounters(wallet.gateway, connection);
        // The call was reserved moments ago, so in either zone it lies in the current day; it is
        // counted there exactly once, neither dropped by the move nor carried twice.
        expectEqual(
          late,
          { spent: call.cost, reserved: 0n },
          `the day (in ${LATE_ZONE}) that contains the instant the call was reserved`,
        );
        expectEqual(
          early,
          { spent: call.cost, reserved: 0n },
          `the day (in ${EARLY_ZONE}) that contains the instant the call was reserved`,
        );
      } finally {
        sim.setRules([]);
        await driver.setTimeZone(original);
      }
    });
  },
});

async function dayCounters(gateway: string, token: PresentedToken) {
  const allowance = await callGateway(gateway, '/v1/allowance', token);
  const money = (name: string) => parseMoney(String(member(allowance.json, 'budget', 0, name) ?? ''));
  return { spent: money('spent'), reserved: money('reserved') };
}
