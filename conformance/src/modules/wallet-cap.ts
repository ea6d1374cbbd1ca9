import { defineModule } from '../model/module.js';
import { expectEqual, skip } from '../runner/check-failure.js';
import { callGateway, chatBody, errorCode } from '../wire/gateway-call.js';

/** The wallet-wide cap the user sets over every app (Part 6 §6.4). */
export const walletCapModule = defineModule({
  name: 'wallet-cap',
  plan: 'core',
  kind: 'driver',
  summary: 'The wallet cap is reserved against like a grant limit, for every grant',
  checks: {
    'cap-refuses': {
      requirements: ['MTR-17', 'MTR-19'],
      summary:
        'with the wallet cap set below what was already spent, a call of a grant without a budget of its own gets 402 budget_exhausted and reaches no provider; removing the cap restores service',
    },
  },
  async run({ check, app, clients, wallet, sim, driver }) {
    await check('cap-refuses', async () => {
      if (!driver.setWalletCap) skip('the consent driver cannot set the wallet cap');
      const connection = await app.connect(clients.app, {
        details: { type: 'ai_allowance', providers: ['openai'], models: ['gpt-4.1-mini'] },
      });
      const call = () =>
        callGateway(wallet.gateway, '/v1/chat/completions', connection, { body: chatBody() });
      expectEqual((await call()).status, 200, 'status before the cap');
      await driver.setWalletCap('0.000001');
      let refused: Awaited<ReturnType<typeof call>>;
      try {
        sim.clearCalls();
        refused = await call();
        await sim.idle();
        expectEqual(sim.calls.length, 0, 'provider calls under the exhausted cap');
      } finally {
        await driver.setWalletCap(null);
      }
      expectEqual(
        [refused.status, errorCode(refused)],
        [402, 'budget_exhausted'],
        'a call over the wallet cap',
      );
      expectEqual((await call()).status, 200, 'status once the cap is removed');
    });
  },
});
