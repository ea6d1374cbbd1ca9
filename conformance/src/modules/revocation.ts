import { defineModule } from '../model/module.js';
import { expectEqual, skip } from '../runner/check-failure.js';
import { callGateway, chatBody, errorCode } from '../wire/gateway-call.js';
import { member } from '../wire/http.js';

/** Revocation (Part 2 §2.12, RFC 7009): the grant is the unit, and it takes effect at once. */
export const revocationModule = defineModule({
  name: 'revocation',
  plan: 'core',
  kind: 'driver',
  summary: 'Revoking a refresh token ends the grant at the gateway and the token endpoint',
  checks: {
    'always-200': { requirements: ['REV-1'], summary: 'revoking an unknown token answers 200' },
    'grant-ended': {
      requirements: ['REV-2', 'REV-5', 'REV-6', 'REV-7'],
      summary:
        'after revoking the refresh token, the very next gateway call gets 401 grant_revoked and reaches no provider',
    },
    'refresh-ended': {
      requirements: ['REV-2', 'REV-4'],
      summary: 'after revocation, the refresh token is refused with invalid_grant',
    },
    'foreign-client': {
      requirements: ['REV-3'],
      summary: 'another client revoking the token changes nothing',
    },
  },
  async run({ check, app, clients, wallet, sim }) {
    const client = clients.app;
    await check('always-200', async () => {
      expectEqual((await app.revoke(client, 'not-a-token-the-wallet-issued')).status, 200, 'status');
    });
    const connection = await app.connect(client);
    await check('grant-ended', async () => {
      const before = await callGateway(wallet.gateway, '/v1/chat/completions', connection, {
        body: chatBody(),
      });
      expectEqual(before.status, 200, 'status of a call before revocation');
      expectEqual(
        (await app.revoke(client, connection.refreshToken, 'refresh_token')).status,
        200,
        'status of the revocation',
      );
      sim.clearCalls();
      const after = await callGateway(wallet.gateway, '/v1/chat/completions', connection, {
        body: chatBody(),
      });
      expectEqual(
        [after.status, errorCode(after)],
        [401, 'grant_revoked'],
        'gateway answer after revocation',
      );
      expectEqual(sim.calls.length, 0, 'calls that reached the provider after revocation');
    });
    await check('refresh-ended', async () => {
      const response = await app.refresh(client, connection.refreshToken);
      expectEqual(member(response.json, 'error'), 'invalid_grant', 'error');
    });
    await check('foreign-client', async () => {
      if (!clients.second) skip('no second client configured');
      const victim = await app.connect(client);
      await app.revoke(clients.second, victim.refreshToken, 'refresh_token');
      const call = await callGateway(wallet.gateway, '/v1/allowance', victim);
      expectEqual(call.status, 200, 'gateway status after a foreign revocation');
      expectEqual(
        (await app.refresh(client, victim.refreshToken)).status,
        200,
        'refresh after a foreign revocation',
      );
    });
  },
});
