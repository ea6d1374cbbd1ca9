import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveGatewayConfig } from './config.js';
import { createTokenVerifier, type TokenVerifier } from './verify-token.js';

// Spec GW-4: the gateway accepts an access token only within its clock leeway of 30 seconds, and
// only signed with the key its `kid` names.

const ISSUER = 'https://wallet.example';
const RESOURCE = 'https://wallet.example/gateway';
const NOW = 1_800_000_000_000;
const config = resolveGatewayConfig({ issuer: ISSUER, resource: RESOURCE });
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let verify: TokenVerifier;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'ES256' };
  verify = createTokenVerifier(config, { keys: createLocalJWKSet({ keys: [jwk] }), now: () => NOW });
});

const seconds = Math.floor(NOW / 1000);

function token(claims: Record<string, unknown> = {}, header: Record<string, unknown> = { kid: 'key-1' }) {
  return new SignJWT({
    client_id: 'app',
    grant_id: 'gr_1',
    sub: 'user',
    jti: `jti-${Math.random()}`,
    authorization_details: [
      {
        type: 'ai_allowance',
        providers: ['openai'],
        models: ['gpt-4.1-mini'],
        retention: 'provider_default',
        expires_at: '2030-01-01T00:00:00Z',
      },
    ],
    iat: seconds,
    exp: seconds + 300,
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', ...header })
    .setIssuer(ISSUER)
    .setAudience(RESOURCE)
    .sign(privateKey);
}

describe('access token verification (GW-4)', () => {
  it('accepts an iat up to 30 seconds ahead and refuses one a second further', async () => {
    await expect(verify(await token({ iat: seconds + 30 }))).resolves.toMatchObject({ grant_id: 'gr_1' });
    await expect(verify(await token({ iat: seconds + 31 }))).rejects.toMatchObject({
      code: 'invalid_token',
      message: expect.stringContaining('issued in the future'),
    });
    await expect(verify(await token({ iat: seconds + 120 }))).rejects.toMatchObject({
      code: 'invalid_token',
    });
  });

  it('refuses an nbf more than 30 seconds ahead and an exp more than 30 seconds past', async () => {
    await expect(verify(await token({ nbf: seconds + 31 }))).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(verify(await token({ exp: seconds - 31 }))).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(verify(await token({ exp: seconds - 29 }))).resolves.toMatchObject({ client_id: 'app' });
  });

  it('refuses a token without kid, though its signature verifies with the only key (TOK-8)', async () => {
    await expect(verify(await token({}, {}))).rejects.toMatchObject({
      code: 'invalid_token',
      message: expect.stringContaining('kid'),
    });
    await expect(verify(await token({}, { kid: 'key-2' }))).rejects.toMatchObject({ code: 'invalid_token' });
  });
});
