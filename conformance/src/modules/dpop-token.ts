import { defineModule } from '../model/module.js';
import { expect, expectEqual, skip } from '../runner/check-failure.js';
import { DpopKey } from '../wire/dpop-key.js';
import { member } from '../wire/http.js';
import { decodeJws } from '../wire/suite-app.js';
import { freshCode } from './token.js';

/** DPoP at the token endpoint (Part 4 §4.3, RFC 9449 §5). */
export const dpopTokenModule = defineModule({
  name: 'dpop-token',
  plan: 'dpop',
  kind: 'driver',
  summary: 'Binding tokens to a DPoP key at the token endpoint',
  checks: {
    bound: {
      requirements: ['DPOP-1'],
      summary: 'a valid proof yields token_type DPoP and cnf.jkt equal to the key thumbprint',
    },
    'bad-proof': {
      requirements: ['DPOP-2'],
      summary:
        'a proof with the wrong htu, htm or typ, or signed by another key than its jwk, gets 400 invalid_dpop_proof',
    },
    'required-for-client': {
      requirements: ['DPOP-3'],
      summary:
        'a client registered with dpop_bound_access_tokens gets 400 invalid_dpop_proof without a proof',
    },
    'refresh-bound': {
      requirements: ['DPOP-4'],
      summary:
        'a DPoP-bound refresh token is refused with invalid_grant without a proof or with another key, and works with its key',
    },
    nonce: {
      requirements: ['DPOP-5'],
      summary:
        'a wallet that uses nonces answers a proof without one with use_dpop_nonce and a DPoP-Nonce header',
    },
  },
  async run({ check, app, clients }) {
    const client = clients.dpop ?? clients.app;
    let sawNonce = false;
    await check('bound', async () => {
      const key = await DpopKey.generate();
      const { code, verifier } = await freshCode(app, client);
      const response = await app.exchange(client, code, verifier, { dpopKey: key });
      expectEqual(response.status, 200, 'status');
      expectEqual(member(response.json, 'token_type'), 'DPoP', 'token_type');
      const claims = decodeJws(String(member(response.json, 'access_token'))).claims;
      expectEqual(member(claims, 'cnf', 'jkt'), key.thumbprint, 'cnf.jkt');
    });
    await check('bad-proof', async () => {
      const key = await DpopKey.generate();
      const other = await DpopKey.generate();
      const url = app.endpoint('token_endpoint');
      const proofs: [string, string][] = [
        ['wrong htu', await key.proof('POST', `${url}/elsewhere`)],
        ['wrong htm', await key.proof('GET', url)],
        ['wrong typ', await key.proof('POST', url, { header: { typ: 'JWT' } })],
        ['jwk of another key', await key.proof('POST', url, { header: { jwk: other.publicJwk } })],
      ];
      const problems: string[] = [];
      for (const [name, proof] of proofs) {
        const { code, verifier } = await freshCode(app, client);
        const response = await app.tokenRequest(
          client,
          {
            grant_type: 'authorization_code',
            code,
            redirect_uri: client.redirect_uri,
            code_verifier: verifier,
          },
          undefined,
          proof,
        );
        if (member(response.json, 'error') === 'use_dpop_nonce') sawNonce = true;
        if (response.status !== 400 || member(response.json, 'error') !== 'invalid_dpop_proof') {
          problems.push(`${name}: ${response.status} ${String(member(response.json, 'error') ?? '')}`);
        }
      }
      expect(problems.length === 0, problems.join('; '));
    });
    await check('required-for-client', async () => {
      if (!clients.dpop) skip('no client registered with dpop_bound_access_tokens');
      const { code, verifier } = await freshCode(app, clients.dpop);
      const response = await app.exchange(clients.dpop, code, verifier);
      expectEqual(
        [response.status, member(response.json, 'error')],
        [400, 'invalid_dpop_proof'],
        'status and error',
      );
    });
    await check('refresh-bound', async () => {
      // A public client that does not require DPoP, so that a missing proof is a binding question ([DPOP-4]), not [DPOP-3].
      const key = await DpopKey.generate();
      const { code, verifier } = await freshCode(app, clients.app);
      const tokens = await app.exchange(clients.app, code, verifier, { dpopKey: key });
      const refreshToken = String(member(tokens.json, 'refresh_token'));
      const without = await app.refresh(clients.app, refreshToken);
      expectEqual(member(without.json, 'error'), 'invalid_grant', 'refresh without a proof');
      const otherKey = await app.refresh(clients.app, refreshToken, await DpopKey.generate());
      expectEqual(member(otherKey.json, 'error'), 'invalid_grant', 'refresh with another key');
      const same = await app.refresh(clients.app, refreshToken, key);
      expectEqual(same.status, 200, 'refresh with the bound key');
    });
    await check('nonce', async () => {
      if (!sawNonce) skip('nonces not used at the token endpoint');
      const key = await DpopKey.generate();
      const { code, verifier } = await freshCode(app, client);
      const response = await app.tokenRequest(
        client,
        {
          grant_type: 'authorization_code',
          code,
          redirect_uri: client.redirect_uri,
          code_verifier: verifier,
        },
        undefined,
        await key.proof('POST', app.endpoint('token_endpoint')),
      );
      expectEqual(member(response.json, 'error'), 'use_dpop_nonce', 'error');
      expect(response.headers.get('dpop-nonce'), 'no DPoP-Nonce header');
    });
  },
});
