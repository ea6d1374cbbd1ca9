import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import type { CryptoKeyPair } from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectApp, type Harness, startHarness, userWithKeys } from './support/wallet-harness.js';

// RFC 9449 at the gateway, modelled on the OpenID Foundation's FAPI 2 DPoP negative tests: each
// bad proof is refused with 401, a DPoP challenge naming invalid_dpop_proof, and no money moved.

let harness: Harness;
let token: string;
let grantId: string;
let keys: CryptoKeyPair;
let publicJwk: JWK;
let url: string;

const body = JSON.stringify({
  model: 'gpt-4.1-mini',
  messages: [{ role: 'user', content: 'hi' }],
  max_tokens: 20,
});
const hash = (value: string) => createHash('sha256').update(value).digest('base64url');

async function proof(
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
  signer: CryptoKeyPair = keys,
  jwk: JWK = publicJwk,
) {
  return new SignJWT({
    jti: randomUUID(),
    htm: 'POST',
    htu: url,
    iat: Math.floor(Date.now() / 1000),
    ath: hash(token),
    ...claims,
  })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk, ...header })
    .sign(signer.privateKey);
}

async function send(headers: Record<string, string>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const parsed = (await response.json()) as { error?: { code?: string } };
  return {
    status: response.status,
    code: parsed.error?.code,
    challenge: response.headers.get('www-authenticate') ?? '',
  };
}

async function spent() {
  const rows = await harness.store.database
    .selectFrom('ledger')
    .select('cost_micros')
    .where('grant_id', '=', grantId)
    .execute();
  return rows.reduce((sum, row) => sum + Number(row.cost_micros), 0);
}

beforeAll(async () => {
  harness = await startHarness();
  url = `${harness.wallet.gateway}/v1/chat/completions`;
  keys = (await generateKeyPair('ES256', { extractable: true })) as CryptoKeyPair;
  publicJwk = await exportJWK(keys.publicKey);
  const browser = await userWithKeys(harness, 'dpop@example.com');
  ({ accessToken: token, grantId } = await connectApp(
    harness,
    browser,
    {
      providers: ['openai'],
      models: ['gpt-4.1-mini'],
      budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
    },
    {},
    { dpopKeys: keys },
  ));
});
afterAll(async () => {
  await harness?.close();
});

describe('DPoP-bound tokens at the gateway', () => {
  it('binds the token to the key and accepts a correct proof', async () => {
    expect((decodeJwt(token).cnf as { jkt?: string }).jkt).toBe(await calculateJwkThumbprint(publicJwk));
    expect((await send({ authorization: `DPoP ${token}`, dpop: await proof() })).status).toBe(200);
  });

  it('refuses every bad proof with 401 invalid_dpop_proof, and bills nothing', async () => {
    const before = await spent();
    const other = (await generateKeyPair('ES256', { extractable: true })) as CryptoKeyPair;
    const otherJwk = await exportJWK(other.publicKey);
    const privateJwk = await exportJWK(keys.privateKey);
    const replayed = await proof();
    expect((await send({ authorization: `DPoP ${token}`, dpop: replayed })).status).toBe(200);
    const spentAfterGood = await spent();
    const unsigned = `${Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'none', jwk: publicJwk })).toString('base64url')}.${Buffer.from(
      JSON.stringify({
        jti: randomUUID(),
        htm: 'POST',
        htu: url,
        iat: Math.floor(Date.now() / 1000),
        ath: hash(token),
      }),
    ).toString('base64url')}.`;
    const cases: [string, Record<string, string>][] = [
      ['missing proof', { authorization: `DPoP ${token}` }],
      ['bound token as Bearer', { authorization: `Bearer ${token}`, dpop: await proof() }],
      ['two proofs', { authorization: `DPoP ${token}`, dpop: `${await proof()}, ${await proof()}` }],
      ['malformed', { authorization: `DPoP ${token}`, dpop: 'not-a-jwt' }],
      ['wrong typ', { authorization: `DPoP ${token}`, dpop: await proof({}, { typ: 'JWT' }) }],
      ['alg none', { authorization: `DPoP ${token}`, dpop: unsigned }],
      ['bad signature', { authorization: `DPoP ${token}`, dpop: await proof({}, {}, other, publicJwk) }],
      ['private key in jwk', { authorization: `DPoP ${token}`, dpop: await proof({}, {}, keys, privateJwk) }],
      ['wrong htm', { authorization: `DPoP ${token}`, dpop: await proof({ htm: 'GET' }) }],
      [
        'wrong htu',
        {
          authorization: `DPoP ${token}`,
          dpop: await proof({ htu: `${harness.wallet.gateway}/v1/embeddings` }),
        },
      ],
      [
        'stale iat',
        { authorization: `DPoP ${token}`, dpop: await proof({ iat: Math.floor(Date.now() / 1000) - 3600 }) },
      ],
      ['replayed jti', { authorization: `DPoP ${token}`, dpop: replayed }],
      ['wrong ath', { authorization: `DPoP ${token}`, dpop: await proof({ ath: hash('another token') }) }],
      ['missing ath', { authorization: `DPoP ${token}`, dpop: await proof({ ath: undefined }) }],
      ['thumbprint mismatch', { authorization: `DPoP ${token}`, dpop: await proof({}, {}, other, otherJwk) }],
    ];
    for (const [name, headers] of cases) {
      const refused = await send(headers);
      expect([name, refused.status, refused.code]).toEqual([name, 401, 'invalid_dpop_proof']);
      expect(refused.challenge, name).toContain('DPoP realm="allowance", error="invalid_dpop_proof"');
    }
    expect(await spent()).toBe(spentAfterGood);
    expect(spentAfterGood).toBeGreaterThan(before);
  });
});
