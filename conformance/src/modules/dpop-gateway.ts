import { createHmac } from 'node:crypto';
import { defineModule } from '../model/module.js';
import { expect, expectEqual, skip } from '../runner/check-failure.js';
import { accessTokenHash, DpopKey } from '../wire/dpop-key.js';
import { callGateway, chatBody, errorCode } from '../wire/gateway-call.js';
import type { HttpResponse } from '../wire/http.js';

/** Asserts 401 invalid_dpop_proof with a DPoP challenge naming it ([GW-26]). */
function expectBadProof(response: HttpResponse, what: string): void {
  expectEqual([response.status, errorCode(response)], [401, 'invalid_dpop_proof'], what);
  const challenge = response.headers.get('www-authenticate') ?? '';
  expect(
    /DPoP [\s\S]*error="invalid_dpop_proof"/.test(challenge),
    `${what}: no DPoP challenge with error="invalid_dpop_proof": ${challenge}`,
  );
  expect(
    /DPoP [\s\S]*algs="ES256 EdDSA"/.test(challenge),
    `${what}: the DPoP challenge lacks algs="ES256 EdDSA"`,
  );
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

type Names =
  | 'valid-proof'
  | 'bearer-scheme'
  | 'unbound-dpop-scheme'
  | 'header-count'
  | 'typ'
  | 'alg'
  | 'jwk'
  | 'htm'
  | 'htu'
  | 'iat'
  | 'replay'
  | 'ath'
  | 'key-binding'
  | 'nonce';

/** DPoP proof checks at the gateway (Part 7 §7.3), each a negative against a valid control. */
export const dpopGatewayModule = defineModule<Names>({
  name: 'dpop-gateway',
  plan: 'dpop',
  kind: 'http',
  summary: 'Every DPoP proof defect is refused with 401 invalid_dpop_proof and a DPoP challenge',
  checks: {
    'valid-proof': {
      requirements: ['DPOP-15'],
      summary: 'the control: a correct proof by the bound key is accepted',
    },
    'bearer-scheme': {
      requirements: ['GW-5', 'GW-26'],
      summary: 'a bound token sent as Bearer gets 401 invalid_dpop_proof',
    },
    'unbound-dpop-scheme': {
      requirements: ['GW-5', 'GW-26'],
      summary: 'an unbound token with the DPoP scheme gets 401 invalid_token and a DPoP challenge',
    },
    'header-count': {
      requirements: ['DPOP-6'],
      summary: 'no DPoP header, two proofs, or a non-JWS value are refused',
    },
    typ: { requirements: ['DPOP-7'], summary: 'a proof with typ JWT is refused' },
    alg: { requirements: ['DPOP-8'], summary: 'a proof with alg none or HS256 is refused' },
    jwk: {
      requirements: ['DPOP-9'],
      summary: 'a proof whose jwk carries private members, or does not verify the signature, is refused',
    },
    htm: { requirements: ['DPOP-10'], summary: 'a proof for GET on a POST is refused' },
    htu: { requirements: ['DPOP-11'], summary: 'a proof for another URL is refused' },
    iat: {
      requirements: ['DPOP-12'],
      summary: 'a proof issued 2 minutes ahead or 10 minutes ago is refused',
    },
    replay: { requirements: ['DPOP-13'], summary: 'a proof accepted once is refused when replayed' },
    ath: {
      requirements: ['DPOP-14'],
      summary: 'a proof without ath, or with the hash of another token, is refused',
    },
    'key-binding': {
      requirements: ['DPOP-15'],
      summary: 'a correct proof by a key other than cnf.jkt is refused',
    },
    nonce: {
      requirements: ['DPOP-16'],
      summary: 'a gateway that uses nonces answers use_dpop_nonce with a fresh DPoP-Nonce',
    },
  },
  async run({ check, app, clients, wallet, sim }) {
    const connection = await app.connect(clients.dpop ?? clients.app, { dpop: true });
    const key = connection.dpopKey as DpopKey;
    const url = `${wallet.gateway}/v1/chat/completions`;
    const token = connection.accessToken;
    const send = (headers: Record<string, string>, scheme = 'DPoP') =>
      callGateway(wallet.gateway, '/v1/chat/completions', null, {
        body: chatBody({ max_tokens: 5 }),
        headers: { authorization: `${scheme} ${token}`, ...headers },
      });
    const proof = (options: Parameters<DpopKey['proof']>[2] = {}, method = 'POST', target = url) =>
      key.proof(method, target, { accessToken: token, ...options });
    let nonceSeen = false;
    const refused = async (what: string, headers: Record<string, string>) => {
      sim.clearCalls();
      const response = await send(headers);
      if (errorCode(response) === 'use_dpop_nonce') nonceSeen = true;
      expectBadProof(response, what);
      expectEqual(sim.calls.length, 0, `${what}: provider calls`);
    };
    let replayable = '';
    await check('valid-proof', async () => {
      replayable = await proof();
      const response = await send({ dpop: replayable });
      if (errorCode(response) === 'use_dpop_nonce') nonceSeen = true;
      expectEqual(response.status, 200, 'status with a correct proof');
    });
    await check('bearer-scheme', async () => {
      const response = await send({ dpop: await proof() }, 'Bearer');
      expectBadProof(response, 'bound token as Bearer');
    });
    await check('unbound-dpop-scheme', async () => {
      const unbound = await app.connect(clients.app);
      const response = await callGateway(wallet.gateway, '/v1/chat/completions', null, {
        body: chatBody(),
        headers: {
          authorization: `DPoP ${unbound.accessToken}`,
          dpop: await key.proof('POST', url, { accessToken: unbound.accessToken }),
        },
      });
      expectEqual(
        [response.status, errorCode(response)],
        [401, 'invalid_token'],
        'unbound token with the DPoP scheme',
      );
      expect((response.headers.get('www-authenticate') ?? '').includes('DPoP '), 'no DPoP challenge');
    });
    await check('header-count', async () => {
      await refused('no DPoP header', {});
      await refused('two proofs', { dpop: `${await proof()}, ${await proof()}` });
      await refused('not a JWS', { dpop: 'not-a-proof' });
    });
    await check('typ', async () => refused('typ JWT', { dpop: await proof({ header: { typ: 'JWT' } }) }));
    await check('alg', async () => {
      const claims = {
        jti: crypto.randomUUID(),
        htm: 'POST',
        htu: url,
        iat: Math.floor(Date.now() / 1000),
        ath: accessTokenHash(token),
      };
      await refused('alg none', {
        dpop: `${b64({ typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk })}.${b64(claims)}.`,
      });
      const input = `${b64({ typ: 'dpop+jwt', alg: 'HS256', jwk: key.publicJwk })}.${b64(claims)}`;
      await refused('alg HS256', {
        dpop: `${input}.${createHmac('sha256', 'secret').update(input).digest('base64url')}`,
      });
    });
    await check('jwk', async () => {
      await refused('private member d', {
        dpop: await proof({ header: { jwk: { ...key.publicJwk, d: 'AAAA' } } }),
      });
      const other = await DpopKey.generate();
      await refused('signature by another key', { dpop: await proof({ header: { jwk: other.publicJwk } }) });
    });
    await check('htm', async () => refused('htm GET', { dpop: await proof({}, 'GET') }));
    await check('htu', async () =>
      refused('htu of another path', { dpop: await proof({}, 'POST', `${wallet.gateway}/v1/embeddings`) }),
    );
    await check('iat', async () => {
      const now = Math.floor(Date.now() / 1000);
      await refused('iat in the future', { dpop: await proof({ claims: { iat: now + 120 } }) });
      await refused('iat in the past', { dpop: await proof({ claims: { iat: now - 600 } }) });
    });
    await check('replay', async () => {
      expect(replayable, 'the control proof was not accepted');
      await refused('replayed proof', { dpop: replayable });
    });
    await check('ath', async () => {
      await refused('no ath', { dpop: await proof({ claims: { ath: undefined } }) });
      await refused('ath of another token', {
        dpop: await proof({ claims: { ath: accessTokenHash(`${token}x`) } }),
      });
    });
    await check('key-binding', async () => {
      const other = await DpopKey.generate();
      await refused('proof by another key', { dpop: await other.proof('POST', url, { accessToken: token }) });
    });
    await check('nonce', async () => {
      if (!nonceSeen) skip('nonces not used at the gateway');
      const response = await send({ dpop: await proof() });
      expectEqual(errorCode(response), 'use_dpop_nonce', 'code');
      expect(response.headers.get('dpop-nonce'), 'no DPoP-Nonce header');
    });
  },
});
