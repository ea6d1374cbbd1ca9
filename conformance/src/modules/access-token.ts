import { createRemoteJWKSet, jwtVerify } from 'jose';
import { defineModule } from '../model/module.js';
import { expect, expectEqual, skip } from '../runner/check-failure.js';
import { member, send } from '../wire/http.js';
import { type Connection, decodeJws } from '../wire/suite-app.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

/** The access token profile (Part 4 §4.1, RFC 9068). */
export const accessTokenModule = defineModule({
  name: 'access-token',
  plan: 'core',
  kind: 'driver',
  summary: 'Access token header, signature, claims and pairwise subject',
  checks: {
    header: {
      requirements: ['TOK-8'],
      summary: 'typ at+jwt, alg ES256 or EdDSA, and a kid published at jwks_uri; the signature verifies',
    },
    jwks: { requirements: ['TOK-9'], summary: 'the JWKS holds only public keys, each with a kid' },
    'issuer-audience': { requirements: ['TOK-10'], summary: 'iss is the issuer and aud is or contains G' },
    lifetime: {
      requirements: ['TOK-11'],
      summary: 'exp and iat are integers, exp - iat <= 600, exp not after the grant expires_at',
    },
    identifiers: {
      requirements: ['TOK-12'],
      summary:
        'jti, client_id and grant_id present; jti differs and grant_id stays the same across a refresh',
    },
    details: {
      requirements: ['TOK-13', 'TOK-4'],
      summary: 'authorization_details is exactly the approved object of the token response',
    },
    'no-identity': {
      requirements: ['TOK-14'],
      summary: 'no e-mail, login name or provider credential in the token',
    },
    pairwise: {
      requirements: ['TOK-15'],
      summary: 'sub is the same for one client and differs between clients',
    },
  },
  async run({ check, app, clients, wallet, config, sim }) {
    const connection: Connection = await app.connect(clients.app);
    const { header, claims } = decodeJws(connection.accessToken);
    await check('header', async () => {
      expectEqual(header.typ, 'at+jwt', 'typ');
      expect(header.alg === 'ES256' || header.alg === 'EdDSA', `alg is ${String(header.alg)}`);
      expect(typeof header.kid === 'string', 'no kid');
      const jwks = createRemoteJWKSet(new URL(app.endpoint('jwks_uri')));
      const verified = await jwtVerify(connection.accessToken, jwks, { typ: 'at+jwt' }).catch(
        (error: Error) => error,
      );
      expect(
        !(verified instanceof Error),
        `the signature does not verify with the published keys: ${String(verified)}`,
      );
    });
    await check('jwks', async () => {
      const response = await send(app.endpoint('jwks_uri'));
      const keys = member(response.json, 'keys');
      expect(Array.isArray(keys) && keys.length > 0, 'no keys');
      for (const key of keys as Record<string, unknown>[]) {
        expect(typeof key.kid === 'string', 'a key has no kid');
        const leaked = PRIVATE_MEMBERS.filter((name) => name in key);
        expect(leaked.length === 0, `a key publishes private members ${leaked.join(', ')}`);
      }
    });
    await check('issuer-audience', async () => {
      expectEqual(claims.iss, wallet.issuer, 'iss');
      const audience = claims.aud;
      expect(
        audience === wallet.gateway || (Array.isArray(audience) && audience.includes(wallet.gateway)),
        `aud is ${JSON.stringify(audience)}`,
      );
    });
    await check('lifetime', async () => {
      expect(Number.isInteger(claims.exp) && Number.isInteger(claims.iat), 'exp or iat is not an integer');
      const lifetime = Number(claims.exp) - Number(claims.iat);
      expect(lifetime > 0 && lifetime <= 600, `exp - iat is ${lifetime}`);
      const grantExpiry = Date.parse(
        String(member(connection.tokenResponse, 'authorization_details', 0, 'expires_at')),
      );
      expect(Number(claims.exp) * 1000 <= grantExpiry, 'exp is later than the grant expires_at');
    });
    await check('identifiers', async () => {
      for (const name of ['jti', 'client_id', 'grant_id'])
        expect(typeof claims[name] === 'string', `${name} is missing`);
      expectEqual(claims.client_id, clients.app.client_id, 'client_id');
      const refreshed = await app.refresh(clients.app, connection.refreshToken);
      expectEqual(refreshed.status, 200, 'status of the refresh');
      const next = decodeJws(String(member(refreshed.json, 'access_token'))).claims;
      expect(next.jti !== claims.jti, 'the refreshed token has the same jti');
      expectEqual(next.grant_id, claims.grant_id, 'grant_id after refresh');
    });
    await check('details', async () => {
      const approved = member(connection.tokenResponse, 'authorization_details');
      expectEqual(claims.authorization_details, approved, 'authorization_details claim');
    });
    await check('no-identity', async () => {
      const payload = Buffer.from(connection.accessToken.split('.')[1] ?? '', 'base64url').toString('utf8');
      for (const name of ['email', 'preferred_username', 'name'])
        expect(!(name in claims), `the token has a ${name} claim`);
      expect(!payload.includes(config.user.email), 'the token contains the user e-mail');
      for (const provider of ['openai', 'anthropic', 'deepseek']) {
        expect(!payload.includes(sim.apiKey(provider)), `the token contains the ${provider} credential`);
      }
    });
    await check('pairwise', async () => {
      const again = await app.connect(clients.app);
      expectEqual(again.claims.sub, claims.sub, 'sub for a second grant of the same client');
      if (!clients.second) skip('no second client configured');
      const other = await app.connect(clients.second);
      expect(other.claims.sub !== claims.sub, 'two clients got the same sub');
    });
  },
});
