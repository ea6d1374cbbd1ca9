import { createHmac } from 'node:crypto';
import type { ModuleContext } from '../model/module.js';
import { defineModule } from '../model/module.js';
import { expect, expectEqual, skip } from '../runner/check-failure.js';
import { noteDerivation } from '../runner/derivation.js';
import { callGateway, chatBody, errorCode } from '../wire/gateway-call.js';
import type { HttpResponse } from '../wire/http.js';
import { member, send } from '../wire/http.js';
import { decodeJws } from '../wire/suite-app.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Asserts a 401 invalid_token with a Bearer challenge carrying error and error_description ([GW-25]). */
function expectInvalidToken(response: HttpResponse, what: string): void {
  expectEqual([response.status, errorCode(response)], [401, 'invalid_token'], what);
  const challenge = response.headers.get('www-authenticate') ?? '';
  expect(
    /Bearer [^,]*realm="allowance"/.test(challenge) || challenge.includes('realm="allowance"'),
    `${what}: no realm in ${challenge}`,
  );
  expect(
    challenge.includes('error="invalid_token"'),
    `${what}: challenge without error="invalid_token": ${challenge}`,
  );
  expect(challenge.includes('error_description='), `${what}: challenge without error_description`);
}

type Names =
  | 'token-required'
  | 'anthropic-key-header'
  | 'malformed'
  | 'alg-none'
  | 'alg-confusion'
  | 'tampered'
  | 'wrong-audience'
  | 'wrong-issuer'
  | 'wrong-typ'
  | 'expired'
  | 'expires-while-cached'
  | 'issued-in-future'
  | 'no-kid'
  | 'unknown-grant';

/** Token acceptance at the gateway (Part 5 §5.2) and its 401 challenges (§5.9). */
export const gatewayAuthModule = defineModule<Names>({
  name: 'gateway-auth',
  plan: 'core',
  kind: 'http',
  summary: 'Where tokens are accepted, and every reason a token is refused',
  checks: {
    'token-required': {
      requirements: ['GW-3', 'GW-25'],
      summary:
        'no token, a Basic scheme or a token in the query gets 401 token_required with a challenge without error',
    },
    'anthropic-key-header': {
      requirements: ['GW-3'],
      summary: 'x-api-key works on /v1/messages and is not accepted on /v1/chat/completions',
    },
    malformed: {
      requirements: ['GW-4', 'GW-25'],
      summary: 'a token that is not a JWS gets 401 invalid_token with error and description',
    },
    'alg-none': {
      requirements: ['GW-4'],
      summary: 'the real claims unsigned with alg none get 401 invalid_token',
    },
    'alg-confusion': {
      requirements: ['GW-4'],
      summary: 'the real claims signed HS256 with the public key as secret get 401 invalid_token',
    },
    tampered: {
      requirements: ['GW-4'],
      summary: 'a token whose payload was changed after signing gets 401 invalid_token',
    },
    'wrong-audience': {
      requirements: ['GW-4'],
      summary: 'a wallet-signed token for another audience gets 401 invalid_token',
      kind: 'driver',
    },
    'wrong-issuer': {
      requirements: ['GW-4'],
      summary: 'a wallet-signed token with another iss gets 401 invalid_token',
      kind: 'driver',
    },
    'wrong-typ': {
      requirements: ['GW-4'],
      summary: 'a wallet-signed token with typ JWT gets 401 invalid_token',
      kind: 'driver',
    },
    'expires-while-cached': {
      requirements: ['GW-4'],
      summary:
        'a wallet-signed token the gateway accepted is refused with 401 invalid_token once its exp is more than 30 s past, though it was seen before',
    },
    expired: {
      requirements: ['GW-4'],
      summary: 'a wallet-signed token expired two minutes ago gets 401 invalid_token',
      kind: 'driver',
    },
    'issued-in-future': {
      requirements: ['GW-4'],
      summary: 'a wallet-signed token whose iat is two minutes ahead gets 401 invalid_token',
      kind: 'driver',
    },
    'no-kid': {
      requirements: ['GW-4', 'TOK-8'],
      summary: 'a wallet-signed token without kid in its header gets 401 invalid_token',
      kind: 'driver',
    },
    'unknown-grant': {
      requirements: ['GW-4'],
      summary: 'a wallet-signed token naming no grant gets 401 invalid_token',
      kind: 'driver',
    },
  },
  async run(context: ModuleContext<Names>) {
    const { check, app, clients, wallet, driver } = context;
    const connection = await app.connect(clients.app);
    const chat = (
      accessToken: string | null,
      headers: Record<string, string> = {},
      path = '/v1/chat/completions',
    ) =>
      callGateway(wallet.gateway, path, accessToken === null ? null : { accessToken }, {
        body: chatBody(),
        headers,
      });
    const { header, claims } = decodeJws(connection.accessToken);
    await check('token-required', async () => {
      for (const [name, response] of [
        ['no token', await chat(null)],
        [
          'Basic scheme',
          await chat(null, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }),
        ],
        [
          'token in the query',
          await send(`${wallet.gateway}/v1/chat/completions?access_token=${connection.accessToken}`, {
            json: chatBody(),
          }),
        ],
      ] as const) {
        expectEqual([response.status, errorCode(response)], [401, 'token_required'], name);
        const challenge = response.headers.get('www-authenticate') ?? '';
        expect(
          challenge.includes('realm="allowance"') && challenge.includes('resource_metadata="'),
          `${name}: challenge ${challenge}`,
        );
        expect(!challenge.includes('error='), `${name}: token_required challenge carries an error`);
      }
    });
    await check('anthropic-key-header', async () => {
      const messages = await callGateway(wallet.gateway, '/v1/messages', null, {
        headers: { 'x-api-key': connection.accessToken, 'anthropic-version': '2023-06-01' },
        body: { model: 'claude-haiku-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'hello' }] },
      });
      expectEqual(messages.status, 200, 'status of /v1/messages with x-api-key');
      const chatWithKey = await chat(null, { 'x-api-key': connection.accessToken });
      expectEqual(
        [chatWithKey.status, errorCode(chatWithKey)],
        [401, 'token_required'],
        'x-api-key on /v1/chat/completions',
      );
    });
    await check('malformed', async () => {
      expectInvalidToken(await chat('not.a.token'), 'garbage token');
    });
    await check('alg-none', async () => {
      expectInvalidToken(await chat(`${b64({ ...header, alg: 'none' })}.${b64(claims)}.`), 'alg none');
    });
    await check('alg-confusion', async () => {
      const jwks = await send(app.endpoint('jwks_uri'));
      const key = (member(jwks.json, 'keys') as unknown[] | undefined)?.find(
        (entry) => member(entry, 'kid') === header.kid,
      );
      const input = `${b64({ ...header, alg: 'HS256' })}.${b64(claims)}`;
      const signature = createHmac('sha256', JSON.stringify(key ?? {}))
        .update(input)
        .digest('base64url');
      expectInvalidToken(await chat(`${input}.${signature}`), 'HS256 with the public key');
    });
    await check('tampered', async () => {
      const [protectedHeader, , signature] = connection.accessToken.split('.');
      const widened = { ...claims, exp: Number(claims.exp) + 3600 };
      expectInvalidToken(
        await chat(`${protectedHeader}.${b64(widened)}.${signature}`),
        'payload changed after signing',
      );
    });
    const forged = async (
      name: Names,
      changes: Record<string, unknown>,
      headerChanges: Record<string, unknown> = {},
    ) => {
      await check(name, async () => {
        if (!driver.signAccessToken) skip('the consent driver cannot sign tokens with the wallet key');
        const token = await driver.signAccessToken(headerChanges, { ...claims, ...changes });
        // A control: the same signer with unchanged claims must be accepted, or the check proves nothing.
        const control = await driver.signAccessToken({}, { ...claims });
        expectEqual((await chat(control)).status, 200, 'status of the unchanged control token');
        expectInvalidToken(await chat(token), name);
      });
    };
    await forged('wrong-audience', { aud: 'https://elsewhere.example/gateway' });
    await forged('wrong-issuer', { iss: 'https://evil.example' });
    await forged('wrong-typ', {}, { typ: 'JWT' });
    await forged('expired', {
      exp: Math.floor(Date.now() / 1000) - 120,
      iat: Math.floor(Date.now() / 1000) - 400,
    });
    await check('expires-while-cached', async () => {
      if (!driver.signAccessToken) skip('the consent driver cannot sign tokens with the wallet key');
      // A token the gateway accepted (and may cache) must still stop working once its exp is
      // more than 30 s past. Within that tolerance the wallet may accept it; if it does not, a
      // token expiring in 3 s is used instead, at the cost of a longer wait.
      const now = Math.floor(Date.now() / 1000);
      let exp = now - 25;
      let token = await driver.signAccessToken({}, { ...claims, exp, iat: now - 60 });
      if ((await chat(token)).status !== 200) {
        exp = now + 3;
        token = await driver.signAccessToken({}, { ...claims, exp, iat: now - 60 });
        expectEqual((await chat(token)).status, 200, 'status of a token expiring in 3 s');
      }
      expectEqual((await chat(token)).status, 200, 'status of the same token used again at once');
      const wait = (exp + 31) * 1000 - Date.now();
      noteDerivation('wait', `exp ${exp} + 30 s tolerance + 1 s: ${Math.max(0, wait)} ms from now`);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
      expectInvalidToken(await chat(token), 'the token used again more than 30 s after its exp');
    });
    await forged('issued-in-future', { iat: Math.floor(Date.now() / 1000) + 120 });
    await forged('no-kid', {}, { kid: undefined });
    await forged('unknown-grant', { grant_id: 'gr_unknown_to_this_wallet' });
  },
});
