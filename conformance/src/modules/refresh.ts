import { defineModule } from '../model/module.js';
import { expect, expectEqual, skip } from '../runner/check-failure.js';
import { callGateway, errorCode } from '../wire/gateway-call.js';
import { member } from '../wire/http.js';
import { decodeJws } from '../wire/suite-app.js';

/** Refresh token rotation and replay (Part 2 §2.11.2, Part 4 §4.4). */
export const refreshModule = defineModule({
  name: 'refresh',
  plan: 'core',
  kind: 'driver',
  summary: 'Rotation on every refresh; a replay revokes the whole grant',
  checks: {
    rotation: {
      requirements: ['TOK-1'],
      summary:
        'each refresh returns a new refresh token, and the new one works, for the public and the confidential client',
    },
    'current-object': {
      requirements: ['TOK-4'],
      summary: 'the refresh response and the new access token carry the grant approved object',
    },
    'replay-refused': {
      requirements: ['TOK-1', 'TOK-2'],
      summary:
        'a used refresh token presented again is refused with invalid_grant, for the public and the confidential client',
    },
    'replay-revokes-grant': {
      requirements: ['TOK-2', 'REV-4'],
      summary:
        'after a replay, the newest refresh token and the access token of the grant stop working, for the public and the confidential client',
    },
    'other-client': {
      requirements: ['TOK-3'],
      summary: 'a refresh by another client is refused with invalid_grant',
    },
    'grant-expiry': {
      requirements: ['TOK-16'],
      summary:
        'for a grant asked to expire in two seconds, a refresh works before expires_at and gets invalid_grant after it',
    },
  },
  async run({ check, app, clients, wallet }) {
    const client = clients.app;
    await check('grant-expiry', async () => {
      const expiresAt = new Date((Math.floor(Date.now() / 1000) + 3) * 1000);
      const connection = await app.connect(client, {
        details: {
          type: 'ai_allowance',
          providers: ['openai'],
          models: ['gpt-4.1-mini'],
          expires_at: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        },
      });
      const before = await app.refresh(client, connection.refreshToken);
      expectEqual(before.status, 200, 'status of a refresh before expires_at');
      const rotated = String(member(before.json, 'refresh_token') ?? connection.refreshToken);
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, expiresAt.getTime() - Date.now()) + 300),
      );
      const after = await app.refresh(client, rotated);
      expectEqual(
        [after.status, member(after.json, 'error')],
        [400, 'invalid_grant'],
        'a refresh after expires_at',
      );
    });
    // Rotation and replay hold for every client: public ones and confidential ones alike.
    const everyClient = [client, ...(clients.confidential ? [clients.confidential] : [])];
    await check('rotation', async () => {
      for (const each of everyClient) {
        const connection = await app.connect(each);
        const first = await app.refresh(each, connection.refreshToken);
        expectEqual(first.status, 200, `status of the refresh (${each.client_id})`);
        const rotated = String(member(first.json, 'refresh_token') ?? '');
        expect(
          rotated !== '' && rotated !== connection.refreshToken,
          `the refresh did not return a new refresh token (${each.client_id})`,
        );
        expectEqual(
          (await app.refresh(each, rotated)).status,
          200,
          `status of a refresh with the new token (${each.client_id})`,
        );
      }
    });
    await check('current-object', async () => {
      const connection = await app.connect(client);
      const response = await app.refresh(client, connection.refreshToken);
      const approved = member(connection.tokenResponse, 'authorization_details');
      expectEqual(
        member(response.json, 'authorization_details'),
        approved,
        'authorization_details of the refresh response',
      );
      const claims = decodeJws(String(member(response.json, 'access_token'))).claims;
      expectEqual(claims.authorization_details, approved, 'authorization_details of the new access token');
    });
    const replayed: { client: (typeof everyClient)[number]; newest: string; accessToken: string }[] = [];
    await check('replay-refused', async () => {
      for (const each of everyClient) {
        const connection = await app.connect(each);
        const first = await app.refresh(each, connection.refreshToken);
        expectEqual(first.status, 200, `status of the first refresh (${each.client_id})`);
        replayed.push({
          client: each,
          newest: String(member(first.json, 'refresh_token')),
          accessToken: String(member(first.json, 'access_token')),
        });
        const replay = await app.refresh(each, connection.refreshToken);
        expectEqual(
          [replay.status, member(replay.json, 'error')],
          [400, 'invalid_grant'],
          `status and error of the replay (${each.client_id})`,
        );
      }
    });
    await check('replay-revokes-grant', async () => {
      expect(replayed.length === everyClient.length, 'no refreshed tokens were obtained');
      for (const { client: each, newest, accessToken } of replayed) {
        const refresh = await app.refresh(each, newest);
        expectEqual(
          member(refresh.json, 'error'),
          'invalid_grant',
          `error when refreshing with the newest token after the replay (${each.client_id})`,
        );
        const call = await callGateway(wallet.gateway, '/v1/allowance', { accessToken });
        expectEqual(
          [call.status, errorCode(call)],
          [401, 'grant_revoked'],
          `gateway answer for the grant after the replay (${each.client_id})`,
        );
      }
    });
    await check('other-client', async () => {
      if (!clients.second) skip('no second client configured');
      const connection = await app.connect(client);
      const response = await app.refresh(clients.second, connection.refreshToken);
      expectEqual(
        [response.status, member(response.json, 'error')],
        [400, 'invalid_grant'],
        'status and error',
      );
    });
  },
});
