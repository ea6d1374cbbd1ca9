import { createHash, createHmac, randomUUID, webcrypto } from 'node:crypto';
import { connect } from 'node:net';
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

/** A proof signed with ES256 whatever its header says, so that a case can drop `alg` or `typ`. */
async function rawProof(header: Record<string, unknown>, claims: Record<string, unknown>) {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk, ...header })}.${encode({
    jti: randomUUID(),
    htm: 'POST',
    htu: url,
    iat: Math.floor(Date.now() / 1000),
    ath: hash(token),
    ...claims,
  })}`;
  const signature = await webcrypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    keys.privateKey as unknown as webcrypto.CryptoKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

/** One request with its header lines exactly as given (fetch lowercases names and joins repeats). */
function sendRaw(lines: [string, string][]) {
  const target = new URL(url);
  return new Promise<string>((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname, () => {
      socket.write(
        `POST ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\n` +
          lines.map(([name, value]) => `${name}: ${value}\r\n`).join('') +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
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
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const rsaProof = await new SignJWT({
      jti: randomUUID(),
      htm: 'POST',
      htu: url,
      iat: Math.floor(Date.now() / 1000),
      ath: hash(token),
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'RS256', jwk: await exportJWK(rsa.publicKey) })
      .sign(rsa.privateKey);
    const hmacInput = `${Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'HS256', jwk: publicJwk })).toString('base64url')}.${Buffer.from(
      JSON.stringify({
        jti: randomUUID(),
        htm: 'POST',
        htu: url,
        iat: Math.floor(Date.now() / 1000),
        ath: hash(token),
      }),
    ).toString('base64url')}`;
    const hmac = `${hmacInput}.${createHmac('sha256', 'secret').update(hmacInput).digest('base64url')}`;
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
      // DPOP-7 to DPOP-13: a header member or claim missing, each the only defect of its proof.
      ['missing typ', { authorization: `DPoP ${token}`, dpop: await rawProof({ typ: undefined }, {}) }],
      ['missing alg', { authorization: `DPoP ${token}`, dpop: await rawProof({ alg: undefined }, {}) }],
      ['missing jwk', { authorization: `DPoP ${token}`, dpop: await rawProof({ jwk: undefined }, {}) }],
      ['missing jti', { authorization: `DPoP ${token}`, dpop: await rawProof({}, { jti: undefined }) }],
      ['missing htm', { authorization: `DPoP ${token}`, dpop: await rawProof({}, { htm: undefined }) }],
      ['missing htu', { authorization: `DPoP ${token}`, dpop: await rawProof({}, { htu: undefined }) }],
      ['missing iat', { authorization: `DPoP ${token}`, dpop: await rawProof({}, { iat: undefined }) }],
      // DPOP-8: RS256 is not among ES256 and EdDSA, also when the header claims it over an ES256 signature.
      ['RS256 by an RSA key', { authorization: `DPoP ${token}`, dpop: rsaProof }],
      [
        'alg RS256 over ES256',
        { authorization: `DPoP ${token}`, dpop: await rawProof({ alg: 'RS256' }, {}) },
      ],
      ['alg HS256', { authorization: `DPoP ${token}`, dpop: hmac }],
      [
        'iat an hour ahead',
        { authorization: `DPoP ${token}`, dpop: await proof({ iat: Math.floor(Date.now() / 1000) + 3600 }) },
      ],
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

describe('proofs RFC 9449 accepts though they differ from the usual', () => {
  it('accepts extra claims, an htu with a query and fragment, and the header name in any case', async () => {
    const before = await spent();
    // DPOP-11: htu is compared without its query and fragment (RFC 9449 §4.3).
    const withQuery = await proof({ htu: `${url}?conformance=1#part` });
    expect((await send({ authorization: `DPoP ${token}`, dpop: withQuery })).status).toBe(200);
    const extra = await proof(
      { conformance: 'extra', exp: Math.floor(Date.now() / 1000) + 60 },
      { kid: 'k' },
    );
    expect((await send({ authorization: `DPoP ${token}`, dpop: extra })).status).toBe(200);
    // RFC 9110 §5.1: field names are case-insensitive.
    for (const name of ['dpop', 'DPOP', 'DPoP']) {
      const raw = await sendRaw([
        ['Authorization', `DPoP ${token}`],
        [name, await proof()],
      ]);
      expect([name, raw.split('\r\n')[0]]).toEqual([name, 'HTTP/1.1 200 OK']);
    }
    expect(await spent()).toBeGreaterThan(before);
  });
});

describe('two DPoP headers (DPOP-6)', () => {
  it('joined into one value by the client are refused with 401 invalid_dpop_proof, and bill nothing', async () => {
    const before = await spent();
    const answer = await send({ authorization: `DPoP ${token}`, dpop: `${await proof()}, ${await proof()}` });
    expect([answer.status, answer.code]).toEqual([401, 'invalid_dpop_proof']);
    expect(answer.challenge).toContain('invalid_dpop_proof');
    expect(await spent()).toBe(before);
  });

  it('are refused with 401 invalid_dpop_proof in the provider’s error shape, not an empty 400', async () => {
    const [first, second] = [await proof(), await proof()];
    const target = new URL(url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(target.port), target.hostname, () => {
        socket.write(
          `POST ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\n` +
            `Authorization: DPoP ${token}\r\nDPoP: ${first}\r\nDPoP: ${second}\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      });
      let answer = '';
      socket.on('data', (chunk) => {
        answer += chunk.toString();
      });
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
    });
    const [head = '', content = ''] = raw.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
    expect(head.toLowerCase()).toContain('www-authenticate: dpop');
    expect(head).toContain('invalid_dpop_proof');
    expect(
      JSON.parse(
        content.includes('{') ? content.slice(content.indexOf('{'), content.lastIndexOf('}') + 1) : '{}',
      ),
    ).toMatchObject({
      error: { code: 'invalid_dpop_proof' },
    });
  });
});
