import { defineModule } from '../model/module.js';
import { expect, expectEqual, skip } from '../runner/check-failure.js';
import { callGateway, chatBody, errorCode } from '../wire/gateway-call.js';
import { member } from '../wire/http.js';
import { formatMoney, parseMoney } from '../wire/money.js';
import { waitForPendingCall } from './prices.js';

/** Reservations a crash left open (Part 6 §6.5). */
export const recoveryModule = defineModule({
  name: 'recovery',
  plan: 'core',
  kind: 'driver',
  summary: 'A reservation left open by a crash is settled at its full amount, as recovered',
  checks: {
    'replay-after-restart': {
      requirements: ['DPOP-13'],
      summary:
        'a DPoP proof accepted before the wallet was killed and restarted is refused as a replay (401 invalid_dpop_proof) by the gateway that started after it',
    },
    'crash-settled-in-full': {
      requirements: ['MTR-26'],
      summary:
        'the wallet is killed mid-call; once the reservation deadline has passed and the wallet has started again, spent grew by exactly what was reserved, nothing stays reserved, and the ledger row (when the driver reads it) says recovered',
    },
  },
  async run({ check, app, clients, wallet, sim, driver, config }) {
    // A DPoP proof accepted before the crash, to replay to the gateway that starts after it: a
    // replay cache held only in one process's memory forgets it ([DPOP-13], "whichever replica").
    const bound = driver.restart ? await app.connect(clients.dpop ?? clients.app, { dpop: true }) : undefined;
    const url = `${wallet.gateway}/v1/chat/completions`;
    const proof = bound?.dpopKey
      ? await bound.dpopKey.proof('POST', url, { accessToken: bound.accessToken })
      : '';
    const withProof = () =>
      callGateway(wallet.gateway, '/v1/chat/completions', bound ?? null, { body: chatBody(), proof });
    const accepted = bound ? (await withProof()).status : 0;
    await check('crash-settled-in-full', async () => {
      if (!driver.restart) skip('the operator gave no restart() operation');
      // The deadline the wallet publishes ([MTR-26]); the configuration's only for older wallets.
      const published = member(wallet.metadata, 'allowance', 'reservation_deadline_seconds');
      const deadline = Number.isInteger(published) ? Number(published) : config.reservationDeadlineSeconds;
      if (deadline === undefined)
        skip('the wallet publishes no reservation_deadline_seconds and the configuration names none');
      if (deadline > 60)
        skip(`the wallet's reservation deadline is ${deadline} s; the check waits it out only up to 60 s`);
      const connection = await app.connect(clients.app, {
        details: {
          type: 'ai_allowance',
          providers: ['openai'],
          models: ['gpt-4.1-mini'],
          budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
        },
      });
      const budget = async () => {
        const allowance = await callGateway(wallet.gateway, '/v1/allowance', connection);
        const money = (name: string) =>
          parseMoney(String(member(allowance.json, 'budget', 0, name) ?? '')) ?? -1n;
        return { spent: money('spent'), reserved: money('reserved') };
      };
      const before = await budget();
      try {
        sim.setRules([{ provider: 'openai', hang: true }]);
        sim.clearCalls();
        const reservedAt = Date.now();
        const abandoned = callGateway(wallet.gateway, '/v1/chat/completions', connection, {
          body: chatBody({ max_tokens: 400 }),
        }).catch(() => undefined);
        await waitForPendingCall(sim);
        const during = await budget();
        expect(during.reserved > 0n, 'nothing was reserved for the call in flight');
        await driver.restart();
        await abandoned;
        const wait = reservedAt + deadline * 1000 + 500 - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        // Past the deadline now: the next start must settle it, whatever happened meanwhile.
        await driver.restart();
        const after = await budget();
        expectEqual(after.reserved, 0n, 'reserved once the wallet started again');
        expect(
          after.spent - before.spent === during.reserved,
          `spent grew by ${formatMoney(after.spent - before.spent)}, not by the ${formatMoney(during.reserved)} reserved`,
        );
        if (driver.ledger) {
          const rows = await driver.ledger(connection.grantId);
          expectEqual(
            rows.map((row) => [row.status, BigInt(Number(row.cost ?? -1))]),
            [['recovered', during.reserved]],
            'ledger rows of the grant (status, cost)',
          );
        }
      } finally {
        sim.setRules([]);
      }
    });
    await check('replay-after-restart', async () => {
      if (!driver.restart || !bound) skip('the operator gave no restart() operation');
      expectEqual(accepted, 200, 'status of the DPoP call before the restarts');
      sim.clearCalls();
      const replayed = await withProof();
      await sim.idle();
      expectEqual(
        [replayed.status, errorCode(replayed)],
        [401, 'invalid_dpop_proof'],
        'the same proof replayed to the gateway started after the crash',
      );
      expectEqual(sim.calls.length, 0, 'provider calls of the replay');
    });
  },
});
