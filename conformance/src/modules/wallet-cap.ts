import { defineModule } from '../model/module.js';
import { expectEqual, skip } from '../runner/check-failure.js';
import { callGateway, chatBody, errorCode } from '../wire/gateway-call.js';
import { formatMoney, parseMoney } from '../wire/money.js';

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
    'cap-counts-the-month': {
      requirements: ['MTR-35', 'MTR-18', 'MTR-34'],
      summary:
        'a cap set mid-month 300 micro-units above what two apps already spent counts that spend: calls of both apps go through only while they fit, the first that does not gets 402, and the month never passes the cap',
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

    await check('cap-counts-the-month', async () => {
      if (!driver.setWalletCap || !driver.walletSpendThisMonth)
        skip('the consent driver cannot set the wallet cap or read the month’s spend');
      const details = { type: 'ai_allowance', providers: ['openai'], models: ['gpt-4.1-mini'] } as const;
      const apps = [
        await app.connect(clients.app, { details }),
        await app.connect(clients.second ?? clients.app, { details }),
      ];
      const call = (index: number) =>
        callGateway(wallet.gateway, '/v1/chat/completions', apps[index % 2] as (typeof apps)[number], {
          body: chatBody({ max_tokens: 40 }),
        });
      // Spend from both apps before the cap exists.
      for (let index = 0; index < 4; index += 1)
        expectEqual((await call(index)).status, 200, 'a call before the cap');
      const before = parseMoney(await driver.walletSpendThisMonth());
      if (before === undefined) throw new Error('the month’s spend is not a money string');
      const cap = before + 300n;
      await driver.setWalletCap(formatMoney(cap));
      try {
        let afterCap = 0n;
        let refused: Awaited<ReturnType<typeof call>> | undefined;
        for (let index = 0; index < 30 && !refused; index += 1) {
          const response = await call(index);
          if (response.status === 200)
            afterCap += parseMoney(response.headers.get('allowance-cost') ?? '') ?? 0n;
          else refused = response;
        }
        if (!refused) throw new Error('30 calls after the cap went through: the cap did not count the month');
        expectEqual([refused.status, errorCode(refused)], [402, 'budget_exhausted'], 'the call past the cap');
        const month = parseMoney(await driver.walletSpendThisMonth()) ?? 0n;
        expectEqual(
          month <= cap,
          true,
          `month's spend ${formatMoney(month)} = ${formatMoney(before)} before the cap + ${formatMoney(afterCap)} after; cap ${formatMoney(cap)}`,
        );
      } finally {
        await driver.setWalletCap(null);
      }
    });
  },
});
