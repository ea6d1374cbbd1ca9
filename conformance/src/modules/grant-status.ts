import { defineModule } from '../model/module.js';
import { expectEqual, skip } from '../runner/check-failure.js';
import { callGateway, chatBody, errorCode } from '../wire/gateway-call.js';
import { member } from '../wire/http.js';
import { formatMoney, parseMoney } from '../wire/money.js';

/** Grant status changed by the user in the dashboard (Part 4 §4.6). */
export const grantStatusModule = defineModule({
  name: 'grant-status',
  plan: 'core',
  kind: 'driver',
  summary: 'A grant the user revokes in the dashboard is dead everywhere at once, for good',
  checks: {
    'dashboard-revocation': {
      requirements: ['REV-5', 'REV-6', 'REV-7'],
      summary:
        'right after the dashboard confirms, chat and allowance calls get 401 grant_revoked and no provider is called',
    },
    final: { requirements: ['REV-4'], summary: 'the revoked grant refresh token gets invalid_grant' },
    suspension: {
      requirements: ['REV-5', 'REV-6'],
      summary:
        'a suspended grant gets 403 grant_suspended on calls, 200 with status suspended on /v1/allowance, and works again once resumed',
    },
    'edit-applies': {
      requirements: ['REV-8'],
      summary:
        'after the user lowers the daily budget in the dashboard, the next call with an access token issued before gets 402 budget_exhausted',
    },
    'added-limit-counts-spend': {
      requirements: ['MTR-35', 'MTR-18', 'REV-8'],
      summary:
        'a week limit added in the dashboard 300 micro-units above what the grant already spent this week counts that spend: calls stop with 402 budget_exhausted before the week passes it',
    },
    'address-allowlist': {
      requirements: ['SEC-2', 'SEC-3'],
      summary:
        'with an allowlist excluding the suite, every endpoint answers 403 ip_not_allowed, even with a forged X-Forwarded-For; allowing it restores service',
    },
  },
  async run({ check, app, clients, wallet, driver, sim }) {
    const paused = await app.connect(clients.app);
    await check('suspension', async () => {
      if (!driver.setGrantSuspended) skip('the consent driver cannot suspend grants');
      await driver.setGrantSuspended(paused.grantId, true);
      const chat = await callGateway(wallet.gateway, '/v1/chat/completions', paused, { body: chatBody() });
      expectEqual(
        [chat.status, errorCode(chat)],
        [403, 'grant_suspended'],
        'chat completion while suspended',
      );
      const allowance = await callGateway(wallet.gateway, '/v1/allowance', paused);
      await driver.setGrantSuspended(paused.grantId, false);
      const resumed = await callGateway(wallet.gateway, '/v1/chat/completions', paused, { body: chatBody() });
      expectEqual(resumed.status, 200, 'chat completion once resumed');
      expectEqual(
        [allowance.status, member(allowance.json, 'status')],
        [200, 'suspended'],
        'allowance while suspended',
      );
    });
    await check('edit-applies', async () => {
      if (!driver.setGrantLimits) skip('the consent driver cannot edit grants');
      const edited = await app.connect(clients.app, {
        details: {
          type: 'ai_allowance',
          providers: ['openai'],
          models: ['gpt-4.1-mini'],
          budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
        },
      });
      const body = chatBody({ max_tokens: 400 });
      expectEqual(
        (await callGateway(wallet.gateway, '/v1/chat/completions', edited, { body })).status,
        200,
        'status before the edit',
      );
      await driver.setGrantLimits(edited.grantId, {
        providers: ['openai'],
        models: ['gpt-4.1-mini'],
        budget: { currency: 'USD', limits: [{ amount: '0.000001', period: 'day' }] },
      });
      sim.clearCalls();
      const after = await callGateway(wallet.gateway, '/v1/chat/completions', edited, { body });
      expectEqual(
        [after.status, errorCode(after)],
        [402, 'budget_exhausted'],
        'a call with the old token after the budget was lowered',
      );
      expectEqual(sim.calls.length, 0, 'provider calls after the edit');
    });
    await check('added-limit-counts-spend', async () => {
      if (!driver.setGrantLimits) skip('the consent driver cannot edit grants');
      const month = { amount: '1.00', period: 'month' } as const;
      const limited = await app.connect(clients.app, {
        details: {
          type: 'ai_allowance',
          providers: ['openai'],
          models: ['gpt-4.1-mini'],
          budget: { currency: 'USD', limits: [month] },
        },
      });
      const call = () =>
        callGateway(wallet.gateway, '/v1/chat/completions', limited, { body: chatBody({ max_tokens: 40 }) });
      // Every call of this new grant is the suite's, so its spend is the sum of what it was billed.
      let spent = 0n;
      for (let index = 0; index < 3; index += 1) {
        const response = await call();
        expectEqual(response.status, 200, 'a call before the edit');
        spent += parseMoney(response.headers.get('allowance-cost') ?? '') ?? 0n;
      }
      const week = spent + 300n;
      await driver.setGrantLimits(limited.grantId, {
        providers: ['openai'],
        models: ['gpt-4.1-mini'],
        budget: { currency: 'USD', limits: [month, { amount: formatMoney(week), period: 'week' }] },
      });
      let refused: Awaited<ReturnType<typeof call>> | undefined;
      for (let index = 0; index < 30 && !refused; index += 1) {
        const response = await call();
        if (response.status === 200) spent += parseMoney(response.headers.get('allowance-cost') ?? '') ?? 0n;
        else refused = response;
      }
      if (!refused) throw new Error('30 calls after the week limit went through: it did not count the week');
      expectEqual(
        [refused.status, errorCode(refused)],
        [402, 'budget_exhausted'],
        'the call past the week limit',
      );
      expectEqual(
        spent <= week,
        true,
        `the grant spent ${formatMoney(spent)} this week against a week limit of ${formatMoney(week)}`,
      );
    });
    await check('address-allowlist', async () => {
      if (!driver.setAddressAllowlist) skip('the consent driver cannot set IP allowlists');
      const fenced = await app.connect(clients.app);
      await driver.setAddressAllowlist(fenced.grantId, ['192.0.2.0/24']);
      for (const path of ['/v1/chat/completions', '/v1/models', '/v1/allowance']) {
        const body = path === '/v1/chat/completions' ? chatBody() : undefined;
        const refused = await callGateway(wallet.gateway, path, fenced, { ...(body && { body }) });
        expectEqual(
          [refused.status, errorCode(refused)],
          [403, 'ip_not_allowed'],
          `${path} from outside the allowlist`,
        );
      }
      const forged = await callGateway(wallet.gateway, '/v1/chat/completions', fenced, {
        body: chatBody(),
        headers: { 'x-forwarded-for': '192.0.2.7', forwarded: 'for=192.0.2.7' },
      });
      expectEqual(
        [forged.status, errorCode(forged)],
        [403, 'ip_not_allowed'],
        'with a forged X-Forwarded-For from an untrusted peer',
      );
      await driver.setAddressAllowlist(fenced.grantId, ['127.0.0.0/8', '::1/128']);
      expectEqual(
        (await callGateway(wallet.gateway, '/v1/chat/completions', fenced, { body: chatBody() })).status,
        200,
        'from inside the allowlist',
      );
    });
    const connection = await app.connect(clients.app);
    await check('dashboard-revocation', async () => {
      if (!driver.revokeGrant) skip('the consent driver cannot revoke grants');
      expectEqual(
        (await callGateway(wallet.gateway, '/v1/allowance', connection)).status,
        200,
        'status before',
      );
      await driver.revokeGrant(connection.grantId);
      sim.clearCalls();
      const chat = await callGateway(wallet.gateway, '/v1/chat/completions', connection, {
        body: chatBody(),
      });
      expectEqual([chat.status, errorCode(chat)], [401, 'grant_revoked'], 'chat completion after revocation');
      const allowance = await callGateway(wallet.gateway, '/v1/allowance', connection);
      expectEqual(
        [allowance.status, errorCode(allowance)],
        [401, 'grant_revoked'],
        'allowance after revocation',
      );
      expectEqual(sim.calls.length, 0, 'provider calls after revocation');
    });
    await check('final', async () => {
      if (!driver.revokeGrant) skip('the consent driver cannot revoke grants');
      const refresh = await app.refresh(clients.app, connection.refreshToken);
      expectEqual(member(refresh.json, 'error'), 'invalid_grant', 'error');
    });
  },
});
