import { defineModule } from '../model/module.js';
import { expect, expectEqual, skip } from '../runner/check-failure.js';
import { member, send } from '../wire/http.js';

/** Introspection of refresh tokens by a confidential client (Part 2 §2.13, RFC 7662). */
export const introspectionModule = defineModule({
  name: 'introspection',
  plan: 'core',
  kind: 'driver',
  summary: 'Only authenticated clients introspect, and only their own live refresh tokens are active',
  checks: {
    'client-authentication': {
      requirements: ['TOK-5'],
      summary: 'a wrong secret gets 401 invalid_client; a public client never gets active: true',
    },
    'active-own-token': {
      requirements: ['TOK-6'],
      summary:
        'the client own live refresh token is active with client_id, sub, iss, exp, iat and the approved object',
    },
    'inactive-otherwise': {
      requirements: ['TOK-7'],
      summary: 'unknown, revoked-grant and foreign refresh tokens get exactly {"active": false}',
    },
  },
  async run({ check, app, clients, wallet }) {
    const confidential = clients.confidential;
    const introspect = (token: string, headers: Record<string, string>, extra: Record<string, string> = {}) =>
      send(app.endpoint('introspection_endpoint'), { form: { token, ...extra }, headers });
    if (!confidential) {
      for (const name of ['client-authentication', 'active-own-token', 'inactive-otherwise'] as const) {
        await check(name, async () => skip('no confidential client configured'));
      }
      return;
    }
    const own = await app.connect(confidential);
    await check('client-authentication', async () => {
      const wrong = await introspect(
        own.refreshToken,
        app.clientAuthentication({ ...confidential, client_secret: 'wrong-secret-value-123456' }),
      );
      expectEqual([wrong.status, member(wrong.json, 'error')], [401, 'invalid_client'], 'wrong secret');
      const publicClient = await app.connect(clients.app);
      const asPublic = await introspect(publicClient.refreshToken, {}, { client_id: clients.app.client_id });
      expect(member(asPublic.json, 'active') !== true, 'a public client got active: true');
    });
    await check('active-own-token', async () => {
      const response = await introspect(own.refreshToken, app.clientAuthentication(confidential), {
        token_type_hint: 'refresh_token',
      });
      expectEqual(response.status, 200, 'status');
      expectEqual(member(response.json, 'active'), true, 'active');
      expectEqual(member(response.json, 'client_id'), confidential.client_id, 'client_id');
      expectEqual(
        member(response.json, 'sub'),
        own.claims.sub,
        'sub (the pairwise value of the access tokens)',
      );
      expectEqual(member(response.json, 'iss'), wallet.issuer, 'iss');
      for (const name of ['exp', 'iat'])
        expect(Number.isInteger(member(response.json, name)), `${name} is not an integer`);
      expectEqual(
        member(response.json, 'authorization_details'),
        member(own.tokenResponse, 'authorization_details'),
        'authorization_details',
      );
    });
    await check('inactive-otherwise', async () => {
      const authentication = app.clientAuthentication(confidential);
      const unknown = await introspect('unknown-refresh-token-value', authentication);
      expectEqual(unknown.json, { active: false }, 'unknown token');
      const foreign = await app.connect(clients.app);
      expectEqual(
        (await introspect(foreign.refreshToken, authentication)).json,
        { active: false },
        'another client token',
      );
      const revoked = await app.connect(confidential);
      await app.revoke(confidential, revoked.refreshToken, 'refresh_token');
      expectEqual(
        (await introspect(revoked.refreshToken, authentication)).json,
        { active: false },
        'token of a revoked grant',
      );
    });
  },
});
